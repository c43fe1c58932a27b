#include "ingest/csv_loader.h"

#include "core/crypto.h"
#include "core/file_system.h"
#include "engine/sql_lexer.h"
#include "ingest/csv/csv_reader.h"
#include "ingest/raw_tables.h"

namespace medlake::ingest {
namespace {

std::string SqlType(const csv::ColumnSpec& c) {
  switch (c.type) {
    case csv::ColumnType::kInteger: return "BIGINT";
    case csv::ColumnType::kDecimal: {
      int p = c.precision > 0 ? c.precision : 38;
      int s = c.scale >= 0 ? c.scale : std::min(p, 10);
      return "DECIMAL(" + std::to_string(p) + ", " + std::to_string(s) + ")";
    }
    case csv::ColumnType::kDouble: return "DOUBLE";
    case csv::ColumnType::kDate: return "DATE";
    case csv::ColumnType::kTime: return "TIME";
    case csv::ColumnType::kTimestamp: return "TIMESTAMP";
    case csv::ColumnType::kBoolean: return "BOOLEAN";
    default: return "VARCHAR";
  }
}

std::string TableName(const csv::SourceContract& c) {
  if (!c.table.empty()) return c.table;
  std::string t = c.source + "_" + c.dataset;
  for (char& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return t;
}

}  // namespace

Result<std::string> CsvRawTableDdl(const csv::SourceContract& contract) {
  if (contract.columns.empty()) return InvalidArgument("the contract declares no columns");
  std::string ddl = "CREATE TABLE IF NOT EXISTS raw." + engine::QuoteIdentifier(TableName(contract)) +
                    " (received_at TIMESTAMPTZ NOT NULL, batch_id VARCHAR NOT NULL, origin VARCHAR,"
                    " line_number BIGINT, byte_offset BIGINT, content_hash VARCHAR NOT NULL";
  for (const auto& c : contract.columns) {
    ddl += ", " + engine::QuoteIdentifier(c.name) + " " + SqlType(c);
  }
  return ddl + ", raw_line BLOB NOT NULL) PARTITIONED BY (day(received_at))";
}

Result<IngestSummary> IngestCsvFiles(engine::LakeSession& session, const std::string& contract_path,
                                     const std::vector<std::string>& paths, const IngestOptions& options) {
  auto& fs = LocalFileSystem::Default();
  MEDLAKE_ASSIGN_OR_RETURN(csv::SourceContract contract, csv::LoadContract(fs, contract_path));
  MEDLAKE_RETURN_IF_ERROR(EnsureRawTables(session));
  MEDLAKE_ASSIGN_OR_RETURN(std::string ddl, CsvRawTableDdl(contract));
  MEDLAKE_RETURN_IF_ERROR(session.Run(ddl, [](size_t, engine::StatementOutcome&) { return Status::OK(); }));
  std::string kind = "csv:" + contract.source + "/" + contract.dataset;

  FileLoader loader = [&contract, &fs, &kind](FileContext& ctx) -> Status {
    auto reader = csv::CsvReader::Open(fs, ctx.path, contract);
    if (!reader.ok()) {
      if (reader.status().code() != StatusCode::kFailedPrecondition) return reader.status();
      // Schema drift: the file's layout is not the contract's. Report, do not guess.
      std::string head = LocalFileSystem::Default().ReadFile(ctx.path).value_or("");
      head = head.substr(0, head.find('\n'));
      ++ctx.summary->received;
      return AppendQuarantine(ctx, kind, 0, 1, "header", "csv.schema_drift", reader.status().message(), head);
    }
    csv::CsvRow row;
    while (true) {
      MEDLAKE_ASSIGN_OR_RETURN(bool more, (*reader)->Next(&row));
      if (!more) break;
      ++ctx.summary->received;
      if (!row.accepted()) {
        MEDLAKE_RETURN_IF_ERROR(AppendQuarantine(ctx, kind, static_cast<int64_t>(row.offset),
                                                 static_cast<int64_t>(row.line_number),
                                                 "line " + std::to_string(row.line_number), "csv.row_rejected",
                                                 row.rejection, row.raw));
        continue;
      }
      auto& a = ctx.accepted->row();
      MEDLAKE_RETURN_IF_ERROR(a.AppendTimestamp(ctx.received_micros));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString(ctx.batch_id));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString(ctx.path));
      MEDLAKE_RETURN_IF_ERROR(a.AppendInt64(static_cast<int64_t>(row.line_number)));
      MEDLAKE_RETURN_IF_ERROR(a.AppendInt64(static_cast<int64_t>(row.offset)));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString(HexEncode(Sha256(row.raw))));
      for (const auto& v : row.values) {
        MEDLAKE_RETURN_IF_ERROR(v ? a.AppendString(*v) : a.AppendNull());
      }
      MEDLAKE_RETURN_IF_ERROR(a.AppendBlob(row.raw));
      ++ctx.summary->accepted;
      MEDLAKE_RETURN_IF_ERROR(ctx.accepted->EndRow());
    }
    return Status::OK();
  };
  return IngestFiles(session, paths, kind, "raw." + TableName(contract), loader, options, {".csv", ".txt"});
}

}  // namespace medlake::ingest
