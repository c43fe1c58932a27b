#include "ingest/raw_batch_writer.h"

#include "core/crypto.h"
#include "engine/lake_executor.h"

namespace medlake::ingest {

RawBatchWriter::RawBatchWriter(engine::LakeSession& session, std::string table, std::string temp,
                               int64_t flush_rows, std::unique_ptr<engine::Appender> appender)
    : session_(session),
      table_(std::move(table)),
      temp_(std::move(temp)),
      flush_rows_(flush_rows),
      appender_(std::move(appender)) {}

RawBatchWriter::~RawBatchWriter() {
  appender_.reset();
  (void)session_.connection().Execute("DROP TABLE IF EXISTS " + temp_);
}

Result<std::unique_ptr<RawBatchWriter>> RawBatchWriter::Make(engine::LakeSession& session,
                                                             const std::string& table,
                                                             int64_t flush_rows) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string suffix, RandomHex(6));
  std::string temp = "__ingest_" + suffix;
  LocalFileSystem fs;
  MEDLAKE_ASSIGN_OR_RETURN(std::string empty_scan,
                           engine::RewriteLakeReferences(session.connection(), session.catalog(), fs,
                                                         "SELECT * FROM " + table + " LIMIT 0"));
  MEDLAKE_RETURN_IF_ERROR(session.connection().Execute("CREATE TEMP TABLE " + temp + " AS " + empty_scan));
  MEDLAKE_ASSIGN_OR_RETURN(auto appender, session.connection().CreateAppender("", temp));
  return std::make_unique<RawBatchWriter>(session, table, temp, flush_rows, std::move(appender));
}

Status RawBatchWriter::EndRow() {
  MEDLAKE_RETURN_IF_ERROR(appender_->EndRow());
  ++pending_;
  if (pending_ >= flush_rows_) return Flush();
  return Status::OK();
}

Status RawBatchWriter::Flush() {
  if (pending_ == 0) return Status::OK();
  MEDLAKE_RETURN_IF_ERROR(appender_->Flush());
  MEDLAKE_RETURN_IF_ERROR(session_.Run("INSERT INTO " + table_ + " SELECT * FROM " + temp_,
                                       [](size_t, engine::StatementOutcome&) { return Status::OK(); }));
  MEDLAKE_RETURN_IF_ERROR(session_.connection().Execute("DELETE FROM " + temp_));
  committed_ += pending_;
  pending_ = 0;
  ++snapshots_;
  return Status::OK();
}

}  // namespace medlake::ingest
