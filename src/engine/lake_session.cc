#include "engine/lake_session.h"

#include "engine/iceberg_functions.h"
#include "engine/lake_executor.h"
#include "engine/lake_statement.h"
#include "engine/sql_lexer.h"

namespace medlake::engine {

Result<std::vector<std::string>> SplitStatements(std::string_view sql) {
  MEDLAKE_ASSIGN_OR_RETURN(auto tokens, TokenizeSql(sql));
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= tokens.size(); ++i) {
    if (i == tokens.size() || tokens[i].IsSymbol(";")) {
      if (i > start) {
        out.emplace_back(sql.substr(tokens[start].begin, tokens[i - 1].end - tokens[start].begin));
      }
      start = i + 1;
    }
  }
  return out;
}

LakeSession::LakeSession(const storage::Lake& lake, const LakeSessionOptions& options,
                         std::unique_ptr<Database> db, std::unique_ptr<Connection> conn,
                         std::unique_ptr<storage::Catalog> catalog)
    : lake_(lake),
      options_(options),
      database_(std::move(db)),
      connection_(std::move(conn)),
      catalog_(std::move(catalog)) {}

LakeSession::~LakeSession() = default;

Result<std::unique_ptr<LakeSession>> LakeSession::Open(const storage::Lake& lake,
                                                       const LakeSessionOptions& options) {
  DatabaseOptions db_options;
  if (options.threads > 0) db_options.config["threads"] = std::to_string(options.threads);
  if (!options.memory_limit.empty()) db_options.config["memory_limit"] = options.memory_limit;
  // Spill files of large sorts and joins go inside the lake, not to the working directory.
  db_options.config["temp_directory"] = lake.root() + "/staging/duckdb-tmp";
  MEDLAKE_ASSIGN_OR_RETURN(auto db, Database::Open(db_options));
  MEDLAKE_ASSIGN_OR_RETURN(auto conn, db->Connect());
  MEDLAKE_RETURN_IF_ERROR(RegisterIcebergFunctions(*conn));
  MEDLAKE_ASSIGN_OR_RETURN(auto catalog, storage::Catalog::Open(lake.catalog_path()));
  return std::make_unique<LakeSession>(lake, options, std::move(db), std::move(conn),
                                       std::move(catalog));
}

namespace {

// DuckDB reports a corrupt, truncated or missing data file as an input or I/O error naming
// the file; for a lake table that is lost data, whatever DuckDB calls it.
Status DataFileErrorAsDataLoss(Status st) {
  if (st.ok() || st.code() == StatusCode::kDataLoss) return st;
  const std::string& m = st.message();
  bool names_parquet = m.find(".parquet") != std::string::npos;
  bool looks_corrupt = m.find("magic bytes") != std::string::npos ||
                       m.find("No files found") != std::string::npos ||
                       m.find("Cannot open file") != std::string::npos ||
                       m.find("corrupt") != std::string::npos ||
                       m.find("Corrupt") != std::string::npos ||
                       m.find("truncated") != std::string::npos ||
                       m.find("Invalid Input Error: Failed to read") != std::string::npos;
  if (names_parquet && looks_corrupt) return DataLoss("corrupt or missing data file: " + m);
  return st;
}

}  // namespace

Status LakeSession::RunOne(std::string_view statement, size_t index,
                           const ResultCallback& on_result) {
  return DataFileErrorAsDataLoss(RunOneUnmapped(statement, index, on_result));
}

Status LakeSession::RunOneUnmapped(std::string_view statement, size_t index,
                                   const ResultCallback& on_result) {
  std::string text(statement);
  auto recognized = RecognizeLakeStatement(text);
  if (recognized.ok()) {
    MEDLAKE_ASSIGN_OR_RETURN(bool lake, IsLakeStatement(*recognized, *catalog_));
    if (lake) {
      LakeExecutorContext ctx{connection_.get(), catalog_.get(), &fs_, lake_.warehouse_path(),
                              clock_, options_.target_file_size_bytes};
      MEDLAKE_ASSIGN_OR_RETURN(StatementOutcome outcome, ExecuteLakeStatement(*recognized, ctx));
      return on_result(index, outcome);
    }
  }
  // Everything else runs on DuckDB, with lake table references replaced by snapshot scans.
  auto rewritten = RewriteLakeReferences(*connection_, *catalog_, fs_, text);
  if (!rewritten.ok()) return rewritten.status();
  auto prepared = connection_->Prepare(*rewritten);
  if (!prepared.ok()) {
    // A malformed lake statement explains itself better than DuckDB's error about it.
    if (!recognized.ok()) return recognized.status();
    return prepared.status();
  }
  MEDLAKE_ASSIGN_OR_RETURN(auto result, (*prepared)->Execute(/*streaming=*/true));
  StatementOutcome outcome;
  outcome.kind = result->statement_kind();
  if (result->returns_rows()) {
    outcome.rows = result.get();
  } else if (outcome.kind == StatementKind::kInsert || outcome.kind == StatementKind::kUpdate ||
             outcome.kind == StatementKind::kDelete) {
    outcome.rows_changed = result->rows_changed();
  }
  return on_result(index, outcome);
}

Status LakeSession::Run(std::string_view sql, const ResultCallback& on_result) {
  MEDLAKE_ASSIGN_OR_RETURN(auto statements, SplitStatements(sql));
  const bool many = statements.size() > 1;
  for (size_t i = 0; i < statements.size(); ++i) {
    Status st = RunOne(statements[i], i, on_result);
    if (!st.ok()) return many ? st.WithContext("statement " + std::to_string(i + 1)) : st;
  }
  return Status::OK();
}

}  // namespace medlake::engine
