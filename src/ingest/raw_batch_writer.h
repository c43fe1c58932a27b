// ingest/raw_batch_writer.h: appends rows to a raw lake table in micro-batches.
//
// Rows go through a DuckDB appender into a session-temporary table with the lake table's
// columns; Flush() moves them into the lake table with one INSERT, i.e. one Iceberg snapshot, and
// empties the temporary table. Memory is bounded by `flush_rows` (DuckDB spills beyond its limit).
//
// Thread-safety: one thread (the session's).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "engine/database.h"
#include "engine/lake_session.h"

namespace medlake::ingest {

class RawBatchWriter {
 public:
  // `table` is "ns.name" of an existing lake table; `session` must outlive the writer.
  static Result<std::unique_ptr<RawBatchWriter>> Make(engine::LakeSession& session,
                                                      const std::string& table,
                                                      int64_t flush_rows = 50'000);
  ~RawBatchWriter();

  // Append one value per column, in the table's column order, then EndRow().
  engine::Appender& row() { return *appender_; }
  // Ends the row; flushes when `flush_rows` rows are pending.
  Status EndRow();
  // Commits the pending rows as one snapshot (nothing when none are pending).
  Status Flush();

  int64_t pending() const { return pending_; }
  int64_t committed() const { return committed_; }
  int64_t snapshots() const { return snapshots_; }

  RawBatchWriter(engine::LakeSession& session, std::string table, std::string temp, int64_t flush_rows,
                 std::unique_ptr<engine::Appender> appender);

 private:
  engine::LakeSession& session_;
  std::string table_;
  std::string temp_;
  int64_t flush_rows_;
  std::unique_ptr<engine::Appender> appender_;
  int64_t pending_ = 0;
  int64_t committed_ = 0;
  int64_t snapshots_ = 0;
};

}  // namespace medlake::ingest
