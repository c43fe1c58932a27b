#include "ingest/raw_batch_writer.h"

#include "engine/lake_executor.h"

namespace medlake::ingest {

RawBatchWriter::RawBatchWriter(engine::LakeSession& session, std::string table, int64_t flush_rows,
                               std::unique_ptr<engine::RowBatch> batch)
    : session_(session), table_(std::move(table)), flush_rows_(flush_rows), batch_(std::move(batch)) {}

Result<std::unique_ptr<RawBatchWriter>> RawBatchWriter::Make(engine::LakeSession& session,
                                                             const std::string& table,
                                                             int64_t flush_rows) {
  // The lake table's columns and DuckDB types, from an empty scan of it.
  LocalFileSystem fs;
  MEDLAKE_ASSIGN_OR_RETURN(std::string empty_scan,
                           engine::RewriteLakeReferences(session.connection(), session.catalog(), fs,
                                                         "SELECT * FROM " + table + " LIMIT 0"));
  MEDLAKE_ASSIGN_OR_RETURN(auto result, session.connection().Query(empty_scan, /*streaming=*/false));
  MEDLAKE_ASSIGN_OR_RETURN(auto batch, engine::RowBatch::Make(result->columns()));
  return std::make_unique<RawBatchWriter>(session, table, flush_rows, std::move(batch));
}

Status RawBatchWriter::EndRow() {
  MEDLAKE_RETURN_IF_ERROR(batch_->EndRow());
  ++pending_;
  if (pending_ >= flush_rows_) return Flush();
  return Status::OK();
}

Status RawBatchWriter::Flush() {
  if (pending_ == 0) return Status::OK();
  MEDLAKE_RETURN_IF_ERROR(session_.Run("INSERT INTO " + table_ + " SELECT * FROM " + batch_->ScanSql(),
                                       [](size_t, engine::StatementOutcome&) { return Status::OK(); }));
  batch_->Clear();
  committed_ += pending_;
  pending_ = 0;
  ++snapshots_;
  return Status::OK();
}

}  // namespace medlake::ingest
