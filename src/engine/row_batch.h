// engine/row_batch.h: rows built in memory, column by column, that a statement reads as a table.
//
// A loader fills a RowBatch with the calls it would make on an Appender (AppendString, ...,
// EndRow), then runs a statement that reads it through the table function
// `medlake_row_batch(<id>)` (ScanSql()), e.g. `INSERT INTO raw.x SELECT * FROM
// medlake_row_batch(17)`. Against an appender into a temporary table, this skips one copy of
// every value (into DuckDB's table storage), the scan back out of it and the DELETE afterwards:
// the values are copied once, into DuckDB's vectors, while the statement reads them.
//
// Held natively: BOOLEAN, INTEGER, BIGINT, DOUBLE, DATE, TIMESTAMP, TIMESTAMP WITH TIME ZONE,
// VARCHAR, BLOB. A column of any type also takes text (AppendString), which the batch hands out as
// VARCHAR for the reading statement to cast, as an appender would (a CSV loader gives canonical
// text for DECIMAL, TIME, ...); within one batch a column holds either text or typed values.
// A value of the wrong kind for its column, text that is not UTF-8 for a non-BLOB column, or a
// row with too few or too many values, is an InvalidArgument error at the call that made it (the
// row being built is then discarded).
//
// Thread-safety: one thread fills a batch, and it must not change while a statement reads it;
// batches are registered in a process-wide table, so any connection with the function registered
// (RegisterRowBatchFunction; LakeSession does it) can read any live batch by id.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/database.h"

namespace medlake::engine {

class RowBatch {
 public:
  // A batch with these columns (name, type, and type_name for messages).
  static Result<std::unique_ptr<RowBatch>> Make(const std::vector<ColumnInfo>& columns);
  ~RowBatch();
  RowBatch(const RowBatch&) = delete;
  RowBatch& operator=(const RowBatch&) = delete;

  // The SQL table expression that reads this batch: "medlake_row_batch(<id>)".
  std::string ScanSql() const;
  const std::vector<ColumnInfo>& columns() const;

  Status AppendNull();
  Status AppendBool(bool v);
  Status AppendInt64(int64_t v);  // BIGINT, or INTEGER when it fits
  Status AppendDouble(double v);
  Status AppendString(std::string_view v);  // any column; UTF-8 except for BLOB
  Status AppendBlob(std::string_view v);    // BLOB
  Status AppendDate(int32_t days);
  Status AppendTimestamp(int64_t micros);  // TIMESTAMP or TIMESTAMP WITH TIME ZONE
  Status EndRow();

  // Complete rows held.
  int64_t rows() const;
  // Bytes of string and blob values held (for flush decisions and memory accounting).
  int64_t string_bytes() const;
  // Forgets every row (keeps the memory for the next rows).
  void Clear();

  struct Impl;
  explicit RowBatch(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// Registers the table function medlake_row_batch(BIGINT) on `conn`.
Status RegisterRowBatchFunction(Connection& conn);

}  // namespace medlake::engine
