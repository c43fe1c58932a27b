#include "engine/lake_session.h"

#include <charconv>
#include <climits>
#include <cstdint>

#include "engine/iceberg_functions.h"
#include "engine/mask_functions.h"
#include "engine/key_index_sql.h"
#include "engine/lake_executor.h"
#include "engine/lake_resolver.h"
#include "engine/row_batch.h"
#include "engine/lake_statement.h"
#include "engine/sql_guard.h"
#include "engine/sql_lexer.h"

namespace medlake::engine {

Result<std::vector<std::string>> SplitStatements(std::string_view sql) {
  // A statement split from a text is one statement, itself, when split again (its tokens are
  // those it had in the text, none a `;`). pgwire splits a simple query and the session then
  // splits each statement again: the last single statement split on this thread is kept, so
  // the second split costs a comparison instead of a tokenization.
  constexpr size_t kMaxKept = 16 * 1024;
  thread_local std::string kept;
  if (!kept.empty() && sql == kept) return std::vector<std::string>{kept};
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
  if (out.size() == 1 && out[0].size() <= kMaxKept) kept = out[0];
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

LakeSession::Engine::~Engine() = default;

Result<std::unique_ptr<LakeSession::Engine>> LakeSession::StartEngine(const storage::Lake& lake,
                                                                      const LakeSessionOptions& options,
                                                                      bool untrusted) {
  auto engine = std::make_unique<Engine>();
  engine->untrusted = untrusted;
  DatabaseOptions db_options;
  if (options.threads > 0) db_options.config["threads"] = std::to_string(options.threads);
  if (!options.memory_limit.empty()) db_options.config["memory_limit"] = options.memory_limit;
  // Spill files of large sorts and joins go inside the lake, not to the working directory.
  db_options.config["temp_directory"] = lake.root() + "/staging/duckdb-tmp";
  MEDLAKE_ASSIGN_OR_RETURN(engine->db, Database::Open(db_options));
  MEDLAKE_ASSIGN_OR_RETURN(engine->conn, engine->db->Connect());
  Connection& conn = *engine->conn;
  // Data files are immutable (a commit writes new ones), so their Parquet footers can be kept
  // between queries: a point query then reads only the row group it needs. (A setting of the
  // built-in parquet extension: it exists only once the database is open.)
  MEDLAKE_RETURN_IF_ERROR(conn.Execute("SET parquet_metadata_cache = true"));
  MEDLAKE_RETURN_IF_ERROR(RegisterIcebergFunctions(conn));
  MEDLAKE_ASSIGN_OR_RETURN(engine->key_rows, RegisterKeyIndexFunction(conn));
  MEDLAKE_RETURN_IF_ERROR(RegisterParameterTypeFunctions(conn));
  MEDLAKE_RETURN_IF_ERROR(RegisterRowBatchFunction(conn));
  if (untrusted) MEDLAKE_RETURN_IF_ERROR(RegisterMaskFunctions(conn));
  MEDLAKE_ASSIGN_OR_RETURN(engine->catalog, storage::Catalog::Open(lake.catalog_path()));
  return engine;
}

Result<std::unique_ptr<LakeSession>> LakeSession::Open(const storage::Lake& lake,
                                                       const LakeSessionOptions& options) {
  MEDLAKE_ASSIGN_OR_RETURN(auto engine, StartEngine(lake, options, options.access != nullptr));
  return Open(lake, options, std::move(engine));
}

Result<std::unique_ptr<LakeSession>> LakeSession::Open(const storage::Lake& lake, const LakeSessionOptions& options,
                                                       std::unique_ptr<Engine> engine) {
  if (!engine || engine->untrusted != (options.access != nullptr)) {
    return InvalidArgument("the engine was started for another kind of session");
  }
  Connection& conn = *engine->conn;
  storage::Catalog& catalog = *engine->catalog;
  if (options.access) {
    MEDLAKE_RETURN_IF_ERROR(RegisterKeyedHashFunction(conn, options.access->MaskHashKey()));
    // Untrusted SQL runs on a DuckDB that can reach only the lake's files, loads no extension
    // and whose configuration cannot be changed afterwards (defence behind the statement guard).
    std::string dirs = QuoteString(lake.warehouse_path() + "/") + ", " + QuoteString(lake.staging_path() + "/duckdb-tmp/");
    for (const auto& d : options.access->ReadableDirectories()) dirs += ", " + QuoteString(d + "/");
    // Tables registered from elsewhere (CALL medlake.register_table) keep their files where
    // they are: their table directories are readable too.
    MEDLAKE_ASSIGN_OR_RETURN(auto namespaces, catalog.ListNamespaces());
    for (const auto& ns : namespaces) {
      MEDLAKE_ASSIGN_OR_RETURN(auto tables, catalog.ListTables(ns));
      for (const auto& id : tables) {
        MEDLAKE_ASSIGN_OR_RETURN(auto entry, catalog.LoadTable(id));
        std::string loc = entry.metadata_location;
        if (loc.rfind("file://", 0) == 0) loc = loc.substr(7);
        if (loc.rfind(lake.warehouse_path() + "/", 0) == 0) continue;
        size_t meta = loc.rfind("/metadata/");
        std::string root = meta == std::string::npos ? loc.substr(0, loc.rfind('/')) : loc.substr(0, meta);
        if (!root.empty()) dirs += ", " + QuoteString(root + "/");
      }
    }
    MEDLAKE_RETURN_IF_ERROR(conn.Execute(
        "SET allowed_directories = [" + dirs + "]; SET enable_external_access = false; "
        "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; "
        "SET allow_community_extensions = false; SET lock_configuration = true"));
  }
  auto session = std::make_unique<LakeSession>(lake, options, std::move(engine->db), std::move(engine->conn),
                                               std::move(engine->catalog));
  session->key_rows_registration_ = engine->key_rows;
  return session;
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

namespace {

// A SELECT (or FROM, VALUES) statement: one that creates nothing. (WITH may lead other kinds.)
// Reads the leading word only (this runs for every statement); a statement that starts with a
// comment counts as not plain.
bool IsPlainSelect(std::string_view statement) {
  size_t i = 0;
  while (i < statement.size() && (std::isspace(static_cast<unsigned char>(statement[i])) || statement[i] == '(')) ++i;
  size_t end = i;
  while (end < statement.size() && (std::isalnum(static_cast<unsigned char>(statement[end])) || statement[end] == '_')) {
    ++end;
  }
  const std::string word = AsciiLower(statement.substr(i, end - i));
  return word == "select" || word == "from" || word == "values";
}

}  // namespace

Status LakeSession::RunOne(std::string_view statement, size_t index,
                           const ResultCallback& on_result) {
  if (!ran_other_than_queries_ && !IsPlainSelect(statement)) ran_other_than_queries_ = true;
  if (!options_.access) return DataFileErrorAsDataLoss(RunOneUnmapped(statement, index, on_result));
  if (index == 0) {
    // Statements shaped like an earlier one that read key indexes only reuse its rewrite.
    Status outcome;
    MEDLAKE_ASSIGN_OR_RETURN(bool ran, RunByShape(statement, on_result, &outcome));
    if (ran) return outcome;
  }
  StatementAudit audit;
  audit.statement = std::string(statement);
  Status st = DataFileErrorAsDataLoss(RunUntrusted(audit.statement, index, on_result, &audit));
  return FinishUntrusted(std::move(st), audit);
}

Status LakeSession::FinishUntrusted(Status st, StatementAudit& audit) {
  if (!st.ok()) {
    // DuckDB quotes the statement it ran around an error position; for an untrusted principal
    // that is the rewritten statement (file names, policy expressions): keep only the message.
    size_t line = st.message().find("\n\nLINE ");
    if (line == std::string::npos) line = st.message().find("\nLINE ");
    if (line != std::string::npos) st = Status(st.code(), st.message().substr(0, line));
  }
  if (audit.outcome != "handled") {
    audit.outcome = st.ok() ? "ok" : st.code() == StatusCode::kPermissionDenied ? "denied" : "error";
    if (!st.ok()) audit.error = st.message();
    options_.access->RecordStatement(std::move(audit));
  }
  return st;
}

namespace {

Result<std::optional<std::pair<WriteKind, std::pair<std::string, std::string>>>> WriteOf(
    const LakeStatement& st) {
  using K = LakeStatement::Kind;
  const std::string& ns = st.table.ns;
  const std::string& t = st.table.name;
  switch (st.kind) {
    case K::kCreateSchema: return std::make_optional(std::make_pair(WriteKind::kCreateNamespace, std::make_pair(st.schema, std::string())));
    case K::kDropSchema: return std::make_optional(std::make_pair(WriteKind::kDropNamespace, std::make_pair(st.schema, std::string())));
    case K::kCreateTable:
    case K::kCreateTableAs: return std::make_optional(std::make_pair(WriteKind::kCreateTable, std::make_pair(ns, t)));
    case K::kDropTable: return std::make_optional(std::make_pair(WriteKind::kDropTable, std::make_pair(ns, t)));
    case K::kInsert: return std::make_optional(std::make_pair(WriteKind::kInsert, std::make_pair(ns, t)));
    case K::kDelete:
    case K::kUpdate: return std::make_optional(std::make_pair(WriteKind::kModify, std::make_pair(ns, t)));
    case K::kMerge: return std::make_optional(std::make_pair(WriteKind::kMerge, std::make_pair(ns, t)));
    case K::kAlterTable:
      return std::make_optional(std::make_pair(
          st.alter && st.alter->kind == AlterAction::Kind::kRenameTable ? WriteKind::kRenameTable : WriteKind::kAlterTable,
          std::make_pair(ns, t)));
    case K::kCall: return std::make_optional(std::make_pair(WriteKind::kCall, std::make_pair(std::string("medlake"), st.procedure)));
    case K::kOther: break;
  }
  return std::optional<std::pair<WriteKind, std::pair<std::string, std::string>>>();
}

}  // namespace

// Temporary tables (DuckDB's, in this session's memory): their queries are checked and rewritten
// like any other; the statement around them is rebuilt from the parsed parts. DuckDB cannot
// serialize these statements, so they cannot go through the query rewrite whole.
bool LakeSession::IsTemporaryTableStatement(const LakeStatement& st) {
  const bool unqualified = st.table.ns.empty() || st.table.ns == "temp";
  return st.temporary ||
         (unqualified && (st.kind == LakeStatement::Kind::kInsert || st.kind == LakeStatement::Kind::kDropTable));
}

Status LakeSession::RunTemporaryTableStatement(const LakeStatement& st, AccessController* access, size_t index,
                                               const ResultCallback& on_result, StatementAudit* audit) {
  std::string name = (st.table.ns.empty() ? "" : QuoteIdentifier(st.table.ns) + ".") + QuoteIdentifier(st.table.name);
  std::string sql;
  LakeTableResolver resolver(*catalog_, fs_, access);
  std::string query;
  if (!st.query.empty()) {
    MEDLAKE_ASSIGN_OR_RETURN(auto r, RewriteQuery(*connection_, st.query, resolver, nullptr, postgres_result_names_));
    query = r.sql;
  }
  if (audit) {
    for (const auto& t : resolver.tables_read()) audit->tables.push_back(t);
    for (const auto& d : resolver.decisions()) audit->decisions.push_back(d);
  }
  if (st.kind == LakeStatement::Kind::kCreateTableAs) {
    sql = std::string("CREATE ") + (st.or_replace ? "OR REPLACE " : "") + "TEMP TABLE " +
          (st.if_not_exists ? "IF NOT EXISTS " : "") + name + " AS " + query;
  } else if (st.kind == LakeStatement::Kind::kCreateTable) {
    if (access) {
      MEDLAKE_RETURN_IF_ERROR(internal::CheckUntrustedText(*connection_, st.column_definitions, /*strict=*/true));
    }
    sql = std::string("CREATE ") + (st.or_replace ? "OR REPLACE " : "") + "TEMP TABLE " +
          (st.if_not_exists ? "IF NOT EXISTS " : "") + name + " (" + st.column_definitions + ")";
  } else if (st.kind == LakeStatement::Kind::kDropTable) {
    sql = std::string("DROP TABLE ") + (st.if_exists ? "IF EXISTS " : "") + "temp." + QuoteIdentifier(st.table.name);
  } else {
    std::string cols;
    for (const auto& c : st.insert_columns) cols += (cols.empty() ? " (" : ", ") + QuoteIdentifier(c);
    if (!cols.empty()) cols += ")";
    sql = "INSERT INTO temp." + QuoteIdentifier(st.table.name) + cols + " " + query;
  }
  MEDLAKE_ASSIGN_OR_RETURN(auto result, connection_->Query(sql, /*streaming=*/false));
  StatementOutcome outcome;
  outcome.kind = result->statement_kind();
  if (st.kind == LakeStatement::Kind::kInsert) {
    outcome.rows_changed = result->rows_changed();
    if (audit) audit->rows = result->rows_changed();
  }
  return on_result(index, outcome);
}

Status LakeSession::RunUntrusted(const std::string& text, size_t index,
                                 const ResultCallback& on_result, StatementAudit* audit) {
  AccessController& access = *options_.access;
  MEDLAKE_ASSIGN_OR_RETURN(auto handled, access.HandleStatement(text));
  if (handled) {
    audit->outcome = "handled";  // the layer that ran it wrote its own audit record
    if (!handled->error.ok()) return handled->error;
    StatementOutcome outcome;
    outcome.message = handled->message;
    if (!handled->rows_sql.empty()) {
      MEDLAKE_ASSIGN_OR_RETURN(outcome.owned_rows, connection_->Query(handled->rows_sql, /*streaming=*/false));
      outcome.rows = outcome.owned_rows.get();
      outcome.kind = StatementKind::kSelect;
    }
    return on_result(index, outcome);
  }
  auto recognized = RecognizeLakeStatement(text);
  if (recognized.ok()) {
    MEDLAKE_ASSIGN_OR_RETURN(bool lake, IsLakeStatement(*recognized, *catalog_));
    if (lake) {
      MEDLAKE_ASSIGN_OR_RETURN(auto write, WriteOf(*recognized));
      if (write) {
        if (!write->second.second.empty() && write->first != WriteKind::kCall) {
          audit->tables.push_back(write->second.first + "." + write->second.second);
        }
        MEDLAKE_RETURN_IF_ERROR(access.CheckWrite(write->first, write->second.first, write->second.second));
      }
      if (recognized->kind != LakeStatement::Kind::kCall) {
        MEDLAKE_RETURN_IF_ERROR(internal::CheckUntrustedText(
            *connection_, text,
            /*strict=*/recognized->kind == LakeStatement::Kind::kMerge ||
                recognized->kind == LakeStatement::Kind::kCreateTable));
      }
      LakeExecutorContext ctx{connection_.get(), catalog_.get(), &fs_, lake_.warehouse_path(),
                              clock_, options_.target_file_size_bytes, &access};
      MEDLAKE_ASSIGN_OR_RETURN(StatementOutcome outcome, ExecuteLakeStatement(*recognized, ctx));
      if (outcome.rows_changed) audit->rows = *outcome.rows_changed;
      return on_result(index, outcome);
    }
  }
  if (recognized.ok() && IsTemporaryTableStatement(*recognized)) {
    return RunTemporaryTableStatement(*recognized, &access, index, on_result, audit);
  }
  // Only queries remain: DuckDB must be able to parse them into a tree we can check.
  LakeTableResolver resolver(*catalog_, fs_, &access);
  auto rewritten = RewriteQuery(*connection_, text, resolver, nullptr, postgres_result_names_);
  for (const auto& t : resolver.tables_read()) audit->tables.push_back(t);
  for (const auto& d : resolver.decisions()) audit->decisions.push_back(d);
  if (!rewritten.ok()) {
    // A malformed lake statement (e.g. ALTER TABLE ... SET TBLPROPERTIES with a bad list)
    // explains itself better than DuckDB's parser or the statement guard.
    if (!recognized.ok() && recognized.status().code() == StatusCode::kInvalidArgument) return recognized.status();
    if (rewritten.status().code() == StatusCode::kFailedPrecondition) {
      return PermissionDenied(
          "statement not allowed: run queries (SELECT, WITH, VALUES, DESCRIBE/SUMMARIZE of a "
          "query), lake DDL/DML and medlake statements; COPY, ATTACH, PRAGMA, SET, INSTALL, LOAD, "
          "EXPLAIN, PREPARE and DuckDB DDL are not available");
    }
    return rewritten.status();
  }
  audit->columns = resolver.ColumnsRead(rewritten->column_names, rewritten->star);
  MEDLAKE_ASSIGN_OR_RETURN(auto prepared, connection_->Prepare(rewritten->sql));
  MEDLAKE_ASSIGN_OR_RETURN(auto result, prepared->Execute(/*streaming=*/true));
  StatementOutcome outcome;
  outcome.kind = result->statement_kind();
  if (result->returns_rows()) outcome.rows = result.get();
  Status st = on_result(index, outcome);
  audit->rows = result->rows_read();
  return st;
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
    if (IsTemporaryTableStatement(*recognized)) {
      return RunTemporaryTableStatement(*recognized, nullptr, index, on_result, nullptr);
    }
  }
  // Everything else runs on DuckDB, with lake table references replaced by snapshot scans.
  auto rewritten = RewriteLakeReferences(*connection_, *catalog_, fs_, text);
  if (!rewritten.ok()) {
    if (!recognized.ok() && recognized.status().code() == StatusCode::kInvalidArgument) return recognized.status();
    return rewritten.status();
  }
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

Result<std::unique_ptr<LakeSession::PreparedQuery>> LakeSession::PrepareQuery(std::string_view sql) {
  if (!options_.access) return std::unique_ptr<PreparedQuery>();
  auto statements = SplitStatements(sql);
  if (!statements.ok() || statements->size() != 1) return std::unique_ptr<PreparedQuery>();
  auto tokens = TokenizeSql((*statements)[0]);
  if (!tokens.ok() || tokens->empty()) return std::unique_ptr<PreparedQuery>();
  size_t first = 0;
  while (first < tokens->size() && (*tokens)[first].IsSymbol("(")) ++first;
  if (first == tokens->size()) return std::unique_ptr<PreparedQuery>();
  const SqlToken& t = (*tokens)[first];
  if (!(t.IsKeyword("SELECT") || t.IsKeyword("WITH") || t.IsKeyword("VALUES") || t.IsKeyword("FROM"))) {
    return std::unique_ptr<PreparedQuery>();
  }
  auto query = std::make_unique<PreparedQuery>();
  query->text = (*statements)[0];
  return query;
}

Status LakeSession::RewritePrepared(PreparedQuery& q, const std::string& epoch, StatementAudit& audit) {
  q.ready = false;
  q.audit = StatementAudit();
  LakeTableResolver resolver(*catalog_, fs_, options_.access.get());
  auto rewritten = RewriteQuery(*connection_, q.text, resolver, q.parameter_kinds.empty() ? nullptr : &q.parameter_kinds,
                                postgres_result_names_);
  for (const auto& t : resolver.tables_read()) audit.tables.push_back(t);
  for (const auto& d : resolver.decisions()) audit.decisions.push_back(d);
  if (!rewritten.ok()) {
    if (rewritten.status().code() == StatusCode::kFailedPrecondition) {
      return PermissionDenied("statement not allowed: prepared statements may hold queries only");
    }
    return rewritten.status();
  }
  q.audit.tables = audit.tables;
  q.audit.decisions = audit.decisions;
  q.audit.columns = resolver.ColumnsRead(rewritten->column_names, rewritten->star);
  q.rewritten = std::move(rewritten->sql);
  q.reads_parquet = resolver.reads_parquet();
  q.key_parameters = resolver.key_parameters();
  q.key_scans = resolver.key_scans();
  q.direct = DirectKeyLookupOf(q.text, q.key_scans, resolver.tables_read().size());
  q.direct_matched = 0;
  q.direct_unmatched = 0;
  q.plan.reset();
  q.plan_forms.clear();
  q.plan_failed = false;
  q.epoch = epoch;
  q.ready = true;
  return Status::OK();
}

std::optional<QueryShape> QueryShapeOf(std::string_view statement) {
  auto tokens = TokenizeSql(statement);
  if (!tokens.ok() || tokens->empty()) return std::nullopt;
  const auto& t = *tokens;
  size_t first = 0;
  while (first < t.size() && t[first].IsSymbol("(")) ++first;
  if (first == t.size() || !(t[first].IsKeyword("SELECT") || t[first].IsKeyword("WITH") || t[first].IsKeyword("FROM"))) {
    return std::nullopt;
  }
  for (const auto& tok : t) {
    if (tok.kind == SqlToken::Kind::kParameter) return std::nullopt;
  }
  // What may follow a literal that is only a comparison's operand.
  auto ends_operand = [&](size_t i, bool in_list) {
    if (i >= t.size()) return !in_list;
    const SqlToken& n = t[i];
    if (in_list) return n.IsSymbol(",") || n.IsSymbol(")");
    static const char* kWords[] = {"AND", "OR", "ORDER", "GROUP", "LIMIT", "UNION", "EXCEPT", "INTERSECT",
                                   "HAVING", "QUALIFY", "WINDOW", "OFFSET"};
    if (n.IsSymbol(")") || n.IsSymbol(";")) return true;
    for (const char* w : kWords) {
      if (n.IsKeyword(w)) return true;
    }
    return false;
  };
  auto literal_kind = [&](const SqlToken& tok) -> std::optional<ColumnPredicate::Kind> {
    if (tok.kind == SqlToken::Kind::kString) return ColumnPredicate::Kind::kString;
    if (PlainIntegerToken(tok)) return ColumnPredicate::Kind::kInteger;
    return std::nullopt;
  };
  QueryShape shape;
  size_t copied = 0;
  bool in_list = false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].IsSymbol("(") && i >= 2 && t[i - 1].IsKeyword("IN") && t[i - 2].IsIdentifier()) {
      in_list = true;
      continue;
    }
    if (in_list && !(t[i].IsSymbol(",") || literal_kind(t[i]))) in_list = false;
    auto kind = literal_kind(t[i]);
    if (!kind) continue;
    bool operand = false;
    // A select-list constant with its alias (`SELECT 42 AS person, ...`): a value only.
    const bool select_item = i >= 1 && (t[i - 1].IsKeyword("SELECT") || t[i - 1].IsSymbol(",")) && i + 1 < t.size() &&
                             t[i + 1].IsKeyword("AS");
    if (select_item) {
      operand = true;
    } else if (in_list) {
      operand = (t[i - 1].IsSymbol("(") || t[i - 1].IsSymbol(",")) && ends_operand(i + 1, true);
    } else {
      operand = i >= 2 && t[i - 1].IsSymbol("=") && t[i - 2].IsIdentifier() && !t[i - 2].IsKeyword("SET") &&
                ends_operand(i + 1, false);
    }
    if (!operand) continue;
    shape.text += std::string(statement.substr(copied, t[i].begin - copied));
    shape.literals.emplace_back(statement.substr(t[i].begin, t[i].end - t[i].begin));
    shape.kinds.push_back(*kind);
    shape.text += "$" + std::to_string(shape.literals.size());
    copied = t[i].end;
  }
  if (shape.literals.empty()) return std::nullopt;
  shape.text += std::string(statement.substr(copied));
  return shape;
}

Result<bool> LakeSession::RunByShape(std::string_view statement, const ResultCallback& on_result, Status* outcome) {
  auto shape = QueryShapeOf(statement);
  if (!shape) return false;
  if (shapes_.size() > 256) shapes_.clear();
  ShapeEntry& entry = shapes_[shape->text];
  if (!entry.usable) return false;
  if (!entry.query) {
    entry.query = std::make_unique<PreparedQuery>();
    entry.query->text = shape->text;
    entry.query->parameter_kinds = shape->kinds;
  }
  PreparedQuery& q = *entry.query;
  // The shape's rewrite is used only when it reads no Parquet (lake tables through key indexes,
  // empty tables, metadata): a Parquet scan planned without the literals would read files that
  // they would have pruned.
  // A failure here (a disabled user, an unwritable audit log) is reported and audited by the
  // usual path.
  if (!options_.access->BeginStatement().ok()) return false;
  auto current = options_.access->AccessEpoch();
  if (!current.ok()) return false;
  const std::string& epoch = *current;
  if (!q.ready || epoch.empty() || epoch != q.epoch) {
    StatementAudit scratch;
    if (!RewritePrepared(q, epoch, scratch).ok()) q.ready = false;
  }
  if (!q.ready || q.reads_parquet) {
    entry.usable = false;
    return false;
  }
  ++statements_by_shape_;
  *outcome = RunPreparedBegun(q, shape->literals, epoch, on_result, statement);
  return true;
}

namespace {

// A parameter's value as a kept plan binds it: text or an integer, from its SQL literal.
struct LiteralBinding {
  enum class Form { kText, kInteger, kBigint } form = Form::kText;
  std::string text;    // kText
  int64_t number = 0;  // kInteger (fits INTEGER), kBigint
  // kText only: CAST(text AS `cast`) in the literal (a type other than INTEGER or BIGINT).
  std::string cast;
};

// Reads an integer written as DuckDB writes one (optional '-', decimal digits, nothing else).
std::optional<int64_t> StrictInteger(std::string_view v) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return n;
}

// The binding of `literal` (as SubstituteParameterTokens accepts it); nullopt for forms bound
// only as text in the statement (NULL, TRUE, FALSE, decimals, from_hex(...)).
std::optional<LiteralBinding> BindingOf(std::string_view literal) {
  using Kind = SimpleLiteral::Kind;
  auto integer = [](int64_t n, bool bigint) {
    LiteralBinding b;
    b.form = bigint || n < INT32_MIN || n > INT32_MAX ? LiteralBinding::Form::kBigint : LiteralBinding::Form::kInteger;
    b.number = n;
    return b;
  };
  auto read = ReadSimpleLiteral(literal);
  if (!read || read->kind == Kind::kNull) return std::nullopt;
  if (read->kind == Kind::kString) {
    LiteralBinding b;
    b.text = std::move(read->text);
    return b;
  }
  if (read->kind == Kind::kInteger) {
    auto n = StrictInteger(read->text);
    if (!n) return std::nullopt;
    return integer(*n, false);
  }
  const std::string& type = read->type;
  const bool int32 = type == "integer" || type == "int" || type == "int4" || type == "int32";
  const bool int64 = type == "bigint" || type == "int8" || type == "int64" || type == "long";
  if (int32 || int64) {
    // The value the cast gives: bound as that type (other spellings of the number, which the
    // cast would accept too, are bound as text in the statement instead).
    auto n = StrictInteger(read->text);
    if (!n || (int32 && (*n < INT32_MIN || *n > INT32_MAX))) return std::nullopt;
    return integer(*n, int64);
  }
  LiteralBinding b;
  b.text = std::move(read->text);
  b.cast = type;
  return b;
}

}  // namespace

bool LakeSession::DirectApplies(PreparedQuery& q, const std::vector<std::string>& literals) {
  if (!q.direct || !q.plan) return false;
  using Type = PreparedStatement::ParameterType;
  using Form = LiteralBinding::Form;
  // Each key must be bound exactly as the comparison reads it: for an integer key a number
  // bound as INTEGER or BIGINT (a number, or a string that is one written plainly, as a client's
  // untyped parameter is: KeptPlan binds it as that number), for a string key a plain string
  // bound as VARCHAR. Any other form (a cast to another type, NULL) runs the plan.
  for (int p : q.direct->parameters) {
    const size_t n = static_cast<size_t>(p);
    if (n == 0 || n > literals.size() || q.plan_types.size() < n) return false;
    auto b = BindingOf(literals[n - 1]);
    if (!b) return false;
    const auto type = q.plan_types[n - 1];
    if (q.direct->integer_key) {
      if (type != Type::kInteger && type != Type::kBigint) return false;
      if (b->form == Form::kText && (!b->cast.empty() || !StrictInteger(b->text))) return false;
    } else if (b->form != Form::kText || !b->cast.empty() || type != Type::kVarchar) {
      return false;
    }
  }
  // (A plan for other literal forms can type a value item otherwise: each plan is matched.)
  if (q.direct_matched != q.plan_number) {
    if (q.direct_unmatched == q.plan_number) return false;
    if (!MatchResultColumns(*q.direct, q.plan->result_columns())) {
      q.direct_matched = 0;
      q.direct_unmatched = q.plan_number;
      return false;
    }
    q.direct_matched = q.plan_number;
  }
  // A `$n AS name` item's value, as the plan's column of it reads it: a number for INTEGER
  // (one that fits) or BIGINT, a plain string for VARCHAR.
  q.direct_values.assign(literals.size(), DirectValue());
  for (size_t c = 0; c < q.direct->sources.size(); ++c) {
    if (q.direct->sources[c] >= 0) continue;
    const size_t n = static_cast<size_t>(-q.direct->sources[c]);
    if (n > literals.size()) return false;
    auto b = BindingOf(literals[n - 1]);
    if (!b) return false;
    switch (q.direct->result_columns[c].type) {
      case TypeId::kInteger:
        if (b->form != Form::kInteger) return false;
        q.direct_values[n - 1].integer = b->number;
        break;
      case TypeId::kBigInt:
        if (b->form == Form::kText) return false;
        q.direct_values[n - 1].integer = b->number;
        break;
      default:
        if (b->form != Form::kText || !b->cast.empty()) return false;
        q.direct_values[n - 1].text = std::move(b->text);
        break;
    }
  }
  return true;
}

Result<PreparedStatement*> LakeSession::KeptPlan(PreparedQuery& q, const std::vector<std::string>& literals,
                                                  bool* direct) {
  *direct = false;
  using Type = PreparedStatement::ParameterType;
  using Form = LiteralBinding::Form;
  if (q.plan_failed) return nullptr;
  std::vector<LiteralBinding> bindings;
  std::string forms;
  for (const auto& literal : literals) {
    auto b = BindingOf(literal);
    if (!b) return nullptr;
    forms += b->form == Form::kText ? "s" + b->cast + ";" : b->form == Form::kInteger ? "i;" : "l;";
    bindings.push_back(std::move(*b));
  }
  if (!q.plan || q.plan_forms != forms) {
    q.plan.reset();
    // What the plan's text puts at each parameter: the parameter, cast as the literal was.
    // Parameters whose type DuckDB leaves open get it fixed by an identity function of the
    // literal's type, or DuckDB would plan the statement again at every execution.
    std::vector<std::string> at;
    for (size_t i = 0; i < bindings.size(); ++i) {
      const std::string n = "$" + std::to_string(i + 1);
      at.push_back(bindings[i].cast.empty() ? n : "CAST(medlake_param_text(" + n + ") AS " + bindings[i].cast + ")");
    }
    std::unique_ptr<PreparedStatement> plan;
    for (int attempt = 0; attempt < 2 && !plan; ++attempt) {
      MEDLAKE_ASSIGN_OR_RETURN(std::string sql, ReplaceParameterTokens(q.rewritten, at));
      auto prepared = connection_->Prepare(sql);
      if (!prepared.ok() || (*prepared)->parameter_count() != bindings.size()) break;
      bool open = false;
      for (size_t i = 0; i < bindings.size(); ++i) {
        if ((*prepared)->parameter_type(i + 1) != Type::kUnknown || !bindings[i].cast.empty()) continue;
        open = true;
        const std::string n = "$" + std::to_string(i + 1);
        at[i] = bindings[i].form == Form::kText      ? "medlake_param_text(" + n + ")"
                : bindings[i].form == Form::kInteger ? "medlake_param_int(" + n + ")"
                                                     : "medlake_param_bigint(" + n + ")";
      }
      if (!open || attempt == 1) plan = std::move(*prepared);
    }
    if (!plan) {
      // DuckDB could not plan it without the values: the values go into the text from now on.
      q.plan_failed = true;
      return nullptr;
    }
    q.plan_types.clear();
    for (size_t i = 0; i < bindings.size(); ++i) q.plan_types.push_back(plan->parameter_type(i + 1));
    q.plan = std::move(plan);
    ++q.plan_number;
    q.plan_forms = forms;
  }
  // Each value bound as the type DuckDB gave its parameter, converted as the literal would be
  // (a string literal compared with an integer column is cast to it), so that DuckDB keeps the
  // plan. A value that does not convert exactly so runs with its literal in the text, where
  // DuckDB's own casts decide (and word any error).
  PreparedStatement& plan = *q.plan;
  if (DirectApplies(q, literals)) {
    *direct = true;
    return &plan;
  }
  if (!plan.ClearBindings().ok()) return nullptr;
  for (size_t i = 0; i < bindings.size(); ++i) {
    const LiteralBinding& b = bindings[i];
    const size_t n = i + 1;
    const Type type = q.plan_types[i];
    std::optional<int64_t> number;
    if (b.form != Form::kText) {
      number = b.number;
    } else if (b.cast.empty() && (type == Type::kInteger || type == Type::kBigint)) {
      number = StrictInteger(b.text);
      if (!number) return nullptr;
    }
    Status st;
    switch (type) {
      case Type::kInteger:
        if (!number || *number < INT32_MIN || *number > INT32_MAX) return nullptr;
        st = plan.BindInt32(n, static_cast<int32_t>(*number));
        break;
      case Type::kBigint:
        if (!number) return nullptr;
        st = plan.BindInt64(n, *number);
        break;
      case Type::kVarchar:
        if (b.form != Form::kText) return nullptr;
        st = plan.BindString(n, b.text);
        break;
      case Type::kUnknown:
        // (Only where the plan still leaves it open, e.g. a parameter DuckDB types late.)
        st = b.form == Form::kText      ? plan.BindString(n, b.text)
             : b.form == Form::kInteger ? plan.BindInt32(n, static_cast<int32_t>(b.number))
                                        : plan.BindInt64(n, b.number);
        break;
      case Type::kOther:
        // A date, a decimal ...: a string literal is cast to it as DuckDB casts the bound text.
        if (b.form != Form::kText || !b.cast.empty()) return nullptr;
        st = plan.BindString(n, b.text);
        break;
    }
    if (!st.ok()) return nullptr;
  }
  return &plan;
}

Status LakeSession::RunPrepared(PreparedQuery& q, const std::vector<std::string>& literals,
                                const ResultCallback& on_result) {
  if (!options_.access) return FailedPrecondition("prepared queries are for sessions with an access controller");
  AccessController& access = *options_.access;
  Status begun = access.BeginStatement();
  Result<std::string> epoch = begun.ok() ? access.AccessEpoch() : Result<std::string>(begun);
  if (!epoch.ok()) {
    StatementAudit audit;
    auto text = SubstituteParameterTokens(q.text, literals);
    audit.statement = text.ok() ? *text : q.text;
    return FinishUntrusted(DataFileErrorAsDataLoss(epoch.status()), audit);
  }
  return RunPreparedBegun(q, literals, *epoch, on_result);
}

Status LakeSession::RunPreparedBegun(PreparedQuery& q, const std::vector<std::string>& literals,
                                     const std::string& epoch, const ResultCallback& on_result,
                                     std::optional<std::string_view> statement) {
  StatementAudit audit;
  // The statement as sent: a shape's own text, or the prepared text with the values in it.
  auto text = statement ? Result<std::string>(std::string(*statement)) : SubstituteParameterTokens(q.text, literals);
  audit.statement = text.ok() ? *text : q.text;
  bool as_text = false;
  Status st = [&]() -> Status {
    MEDLAKE_RETURN_IF_ERROR(text.status());
    if (!q.ready || epoch.empty() || epoch != q.epoch) MEDLAKE_RETURN_IF_ERROR(RewritePrepared(q, epoch, audit));
    audit.tables = q.audit.tables;
    audit.decisions = q.audit.decisions;
    audit.columns = q.audit.columns;
    // The keys of the key-index scans, given to them when the statement starts.
    std::vector<std::optional<std::string>> keys(literals.size());
    for (const auto& p : q.key_parameters) {
      if (static_cast<size_t>(p.n) > literals.size()) {
        return InvalidArgument("there is no value for parameter $" + std::to_string(p.n));
      }
      auto key = KeyOfLiteral(literals[static_cast<size_t>(p.n) - 1], p.integer);
      if (!key.ok()) {
        as_text = true;  // a value that is no key: the statement runs with it in its text
        return Status::OK();
      }
      keys[static_cast<size_t>(p.n) - 1] = std::move(*key);
    }
    // The lookups' disk reads start together now; the statement then finds their pages.
    PrefetchKeyLookups(q.key_scans, keys);
    std::unique_ptr<PreparedStatement> once;
    PreparedStatement* prepared = nullptr;
    bool direct = false;
    if (!q.reads_parquet) {
      MEDLAKE_ASSIGN_OR_RETURN(prepared, KeptPlan(q, literals, &direct));
    }
    if (prepared != nullptr) {
      ++executions_of_kept_plans_;
    } else {
      MEDLAKE_ASSIGN_OR_RETURN(std::string sql, SubstituteParameterTokens(q.rewritten, literals));
      MEDLAKE_ASSIGN_OR_RETURN(once, connection_->Prepare(sql));
      prepared = once.get();
    }
    std::unique_ptr<QueryResult> result;
    // The keys for the plan's key-index scans, which read them when the plan starts.
    std::optional<KeyParameterValues> given;
    if (!direct && !q.key_parameters.empty()) given.emplace(key_rows_registration_, *connection_, keys);
    if (direct) {
      // A plain lookup by key with its key bound as the plan binds it: the key index rows, as
      // the plan would return them, without running it.
      MEDLAKE_ASSIGN_OR_RETURN(result, RunDirectKeyLookup(*q.direct, keys, q.direct_values));
      ++direct_lookups_;
    } else {
      MEDLAKE_ASSIGN_OR_RETURN(result, prepared->Execute(/*streaming=*/true));
    }
    StatementOutcome outcome;
    outcome.kind = result->statement_kind();
    if (result->returns_rows()) outcome.rows = result.get();
    Status cb = on_result(0, outcome);
    audit.rows = result->rows_read();
    return cb;
  }();
  if (as_text && st.ok()) {
    StatementAudit plain;
    plain.statement = *text;
    Status ran = DataFileErrorAsDataLoss(RunUntrusted(plain.statement, 0, on_result, &plain));
    return FinishUntrusted(std::move(ran), plain);
  }
  return FinishUntrusted(DataFileErrorAsDataLoss(std::move(st)), audit);
}

Status LakeSession::Run(std::string_view sql, const ResultCallback& on_result) {
  auto split = SplitStatements(sql);
  if (!split.ok() && options_.access) {
    // Text that does not even split into statements is still a statement someone sent.
    StatementAudit audit;
    audit.statement = std::string(sql);
    audit.outcome = "error";
    audit.error = split.status().message();
    options_.access->RecordStatement(std::move(audit));
  }
  MEDLAKE_ASSIGN_OR_RETURN(auto statements, std::move(split));
  const bool many = statements.size() > 1;
  for (size_t i = 0; i < statements.size(); ++i) {
    Status st = RunOne(statements[i], i, on_result);
    if (!st.ok()) return many ? st.WithContext("statement " + std::to_string(i + 1)) : st;
  }
  return Status::OK();
}

}  // namespace medlake::engine
