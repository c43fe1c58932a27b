// ingest/raw_batch_writer.h: appends rows to a raw lake table in micro-batches.
//
// Rows are built in an engine::RowBatch with the lake table's columns; Flush() moves them into
// the lake table with one INSERT ... SELECT * FROM medlake_row_batch(id), i.e. one Iceberg
// snapshot, and empties the batch. Memory is bounded by `flush_rows` rows (the batch holds them
// in memory).
//
// Thread-safety: one thread (the session's).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "engine/database.h"
#include "engine/lake_session.h"
#include "engine/row_batch.h"

namespace medlake::ingest {

class RawBatchWriter {
 public:
  // `table` is "ns.name" of an existing lake table; `session` must outlive the writer.
  static Result<std::unique_ptr<RawBatchWriter>> Make(engine::LakeSession& session,
                                                      const std::string& table,
                                                      int64_t flush_rows = 50'000);

  // Append one value per column, in the table's column order, then EndRow().
  engine::RowBatch& row() { return *batch_; }
  // Ends the row; flushes when `flush_rows` rows are pending.
  Status EndRow();
  // Commits the pending rows as one snapshot (nothing when none are pending).
  Status Flush();

  int64_t pending() const { return pending_; }
  int64_t committed() const { return committed_; }
  int64_t snapshots() const { return snapshots_; }

  RawBatchWriter(engine::LakeSession& session, std::string table, int64_t flush_rows,
                 std::unique_ptr<engine::RowBatch> batch);

 private:
  engine::LakeSession& session_;
  std::string table_;
  int64_t flush_rows_;
  std::unique_ptr<engine::RowBatch> batch_;
  int64_t pending_ = 0;
  int64_t committed_ = 0;
  int64_t snapshots_ = 0;
};

}  // namespace medlake::ingest
