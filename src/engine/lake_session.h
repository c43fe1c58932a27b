// engine/lake_session.h: the SQL path every front end uses (CLI now; HTTP, pgwire and FHIR later).
//
// A LakeSession is one user's session on one lake: a DuckDB instance for the work, the lake's
// Iceberg catalog, and the rules that join them (ARCHITECTURE.md section 3):
//   - the text is split into statements with medlake's SQL lexer;
//   - statements on lake tables (CREATE/DROP SCHEMA, CREATE TABLE [AS], INSERT, DELETE, UPDATE,
//     ALTER TABLE, DROP TABLE on a namespace of the catalog) are executed by medlake: DuckDB does
//     the row work and writes Parquet, medlake commits one Iceberg snapshot per statement;
//   - every other statement has its lake table references (ns.table, with AT (VERSION => id) or
//     AT (TIMESTAMP => ts) for time travel) replaced by scans of the snapshot's live files, and
//     runs on DuckDB, streamed.
// Schema-qualified names whose schema is not a lake namespace (main, temp, information_schema)
// are left to DuckDB, so temporary tables and macros work as usual.
//
// Thread-safety: one thread at a time per session; Interrupt() from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/file_system.h"
#include "core/status.h"
#include "engine/access_control.h"
#include "engine/database.h"
#include "engine/key_index_sql.h"
#include "engine/select_rewriter.h"
#include "storage/catalog.h"
#include "storage/lake.h"

namespace medlake::engine {

struct LakeStatement;

struct LakeSessionOptions {
  // DuckDB worker threads; 0 lets DuckDB decide (one per core).
  int threads = 0;
  // DuckDB memory limit, e.g. "4GB"; empty for DuckDB's default (80% of RAM).
  std::string memory_limit;
  // Target size of data files written by INSERT/CTAS/UPDATE.
  int64_t target_file_size_bytes = 256LL * 1024 * 1024;
  // The principal's access controller: set for sessions that run SQL typed by people or sent
  // by clients (the statement guard, policies, audit and a locked DuckDB apply); null for
  // medlake's own jobs (ingestion, pipelines), which are trusted.
  std::shared_ptr<AccessController> access;
};

// What one statement produced: rows to read, or a count of changed rows, or nothing.
struct StatementOutcome {
  StatementKind kind = StatementKind::kInvalid;
  QueryResult* rows = nullptr;          // set when the statement returns rows; owned by the run
  std::optional<int64_t> rows_changed;  // INSERT/UPDATE/DELETE (DuckDB or lake)
  std::string message;                  // for lake DDL: e.g. "CREATE TABLE raw.x"
  std::unique_ptr<QueryResult> owned_rows;  // keeps `rows` alive when the outcome owns them
};

class LakeSession {
 public:
  // Called once per executed statement. `index` is 0-based. A non-OK return stops the run.
  using ResultCallback = std::function<Status(size_t index, StatementOutcome& outcome)>;

  // Opens a session on `lake` (which must outlive the session).
  static Result<std::unique_ptr<LakeSession>> Open(const storage::Lake& lake,
                                                   const LakeSessionOptions& options = {});

  // What a session on `lake` needs before it knows its principal: a started DuckDB with
  // medlake's functions, and the catalog. Starting DuckDB is most of a session's opening (its
  // built-in functions are registered one by one), so servers make these ahead of time and a
  // connecting client does not wait for it. `options.access` is not read, only whether the
  // session will have one (`untrusted`).
  struct Engine {
    ~Engine();  // (in lake_session.cc, where its members' types are complete)
    std::unique_ptr<Database> db;
    std::unique_ptr<Connection> conn;
    std::unique_ptr<storage::Catalog> catalog;
    uint64_t key_rows = 0;  // the key-index function's registration (RegisterKeyIndexFunction)
    bool untrusted = false;
  };
  static Result<std::unique_ptr<Engine>> StartEngine(const storage::Lake& lake, const LakeSessionOptions& options,
                                                     bool untrusted);
  // Opens a session from an engine StartEngine made on the same lake with the same threads and
  // memory limit, and for an untrusted session when `options.access` is set.
  static Result<std::unique_ptr<LakeSession>> Open(const storage::Lake& lake, const LakeSessionOptions& options,
                                                   std::unique_ptr<Engine> engine);
  ~LakeSession();

  // Runs every statement of `sql` in order; stops at the first failing statement and returns its
  // error (with "statement N: " context when the text held more than one statement).
  Status Run(std::string_view sql, const ResultCallback& on_result);

  // A query (SELECT, WITH, VALUES, FROM ...) with $n parameters, checked and rewritten once and
  // run many times with different values: the extended query protocol's prepared statements.
  // The rewrite (policies, masks, the snapshot's files) is reused while the session's access
  // epoch (AccessController::AccessEpoch: security state and every catalog commit) stays the same,
  // and made again transparently otherwise. When the rewrite reads Parquet, the values are
  // substituted as SQL literals into the rewritten text, so DuckDB still sees constants (file and
  // row-group pruning) and plans each execution. When it reads no Parquet (lookups through key
  // indexes, empty tables), DuckDB's plan of the rewrite is kept and each execution binds the
  // values: a lookup is then neither rewritten nor planned again.
  struct PreparedQuery {
    std::string text;       // as prepared, with $n parameters
    std::string epoch;      // the access epoch of the rewrite
    std::string rewritten;  // the checked, rewritten statement, $n parameters kept
    StatementAudit audit;   // tables, columns and decisions of the rewrite
    bool ready = false;
    bool reads_parquet = true;                // the rewrite reads Parquet files
    std::vector<KeyParameter> key_parameters;  // parameters whose values are key-index keys
    std::vector<KeyIndexScan> key_scans;       // the key-index scans (PrefetchKeyLookups)
    // When the statement is a plain lookup by key (DirectKeyLookupOf): its rows are read from
    // the key indexes without running `plan`, once `plan`'s columns matched. Plans are counted
    // (`plan_number`); `direct_matched` and `direct_unmatched` name the plan whose columns did
    // or did not match (0: none), so that each plan is matched once.
    std::optional<DirectKeyLookup> direct;
    uint64_t plan_number = 0;
    uint64_t direct_matched = 0;
    uint64_t direct_unmatched = 0;
    // This execution's values of the lookup's `$n AS name` items (DirectApplies), by $n.
    std::vector<DirectValue> direct_values;
    // The kind of literal each $n will be (empty: unknown, as for a client's parameters).
    std::vector<ColumnPredicate::Kind> parameter_kinds;
    // DuckDB's plan of `rewritten` for values of the literal forms `plan_forms` (see
    // RunPrepared); null when there is none (yet) or `plan_failed` (DuckDB cannot type the
    // parameters without their values).
    std::unique_ptr<PreparedStatement> plan;
    std::string plan_forms;
    std::vector<PreparedStatement::ParameterType> plan_types;  // of `plan`'s parameters
    bool plan_failed = false;
  };
  // nullptr when `sql` is not a single plain query or the session is trusted: run such
  // statements with Run() on the text with the values substituted.
  Result<std::unique_ptr<PreparedQuery>> PrepareQuery(std::string_view sql);
  // Runs `query` with `literals` ($1 is literals[0]; SQL literal text such as 'x', NULL or
  // CAST('1' AS BIGINT)), as Run() runs one statement: same checks, same audit record (the
  // statement with the values in it).
  Status RunPrepared(PreparedQuery& query, const std::vector<std::string>& literals, const ResultCallback& on_result);

  // Statements run through the rewrite of an earlier statement of the same shape (QueryShapeOf).
  int64_t statements_by_shape() const { return statements_by_shape_; }
  // Executions of prepared queries and shapes that reused a kept DuckDB plan.
  int64_t executions_of_kept_plans() const { return executions_of_kept_plans_; }
  // Whether Run() was given a statement other than a plain SELECT since the session opened or
  // since ForgetStatementKinds(): only such statements can create temporary objects (a pool
  // of sessions checks for those before reusing a session). Prepared queries are queries.
  bool ran_other_than_queries() const { return ran_other_than_queries_; }
  void ForgetStatementKinds() { ran_other_than_queries_ = false; }
  // Result columns without an alias are named as PostgreSQL names them (RewriteQuery's
  // `postgres_result_names`): set by the pgwire front end before its first statement.
  void set_postgres_result_names(bool on) { postgres_result_names_ = on; }
  // Executions answered by a direct key lookup instead of their plan (tests, benchmarks).
  int64_t direct_lookups() const { return direct_lookups_; }
  // The registration of medlake_key_rows in this session's database (KeyParameterValues).
  uint64_t key_rows_registration() const { return key_rows_registration_; }

  void Interrupt() { connection_->Interrupt(); }
  Connection& connection() { return *connection_; }
  // The session's DuckDB instance (for a second connection, e.g. loading rows while a query streams).
  Database& database() { return *database_; }
  const storage::Lake& lake() const { return lake_; }
  storage::Catalog& catalog() { return *catalog_; }
  void SetClockForTest(const Clock* clock) { clock_ = clock; }
  FileSystem& file_system() { return fs_; }
  const Clock& clock() const { return *clock_; }
  const LakeSessionOptions& options() const { return options_; }
  // The access controller of an untrusted session; null for a trusted one.
  AccessController* access() const { return options_.access.get(); }

  LakeSession(const storage::Lake& lake, const LakeSessionOptions& options,
              std::unique_ptr<Database> db, std::unique_ptr<Connection> conn,
              std::unique_ptr<storage::Catalog> catalog);

 private:
  Status RunOne(std::string_view statement, size_t index, const ResultCallback& on_result);
  // Trims a failed untrusted statement's error and writes its audit record.
  Status FinishUntrusted(Status st, StatementAudit& audit);
  Status RunOneUnmapped(std::string_view statement, size_t index, const ResultCallback& on_result);
  Status RunUntrusted(const std::string& statement, size_t index, const ResultCallback& on_result,
                      StatementAudit* audit);
  // CREATE TEMP TABLE [AS query], INSERT INTO / DROP TABLE of an unqualified (temporary) table:
  // the query is rewritten (under `access`'s policies when given) and the statement rebuilt.
  // `audit` (nullable) gets the tables read, the decisions and the rows inserted.
  static bool IsTemporaryTableStatement(const LakeStatement& st);
  Status RunTemporaryTableStatement(const LakeStatement& st, AccessController* access, size_t index,
                                    const ResultCallback& on_result, StatementAudit* audit);
  // (Re)writes `q` for the access epoch `epoch`; `audit` gets the tables and decisions.
  Status RewritePrepared(PreparedQuery& q, const std::string& epoch, StatementAudit& audit);
  // Runs `statement` through the rewrite of earlier statements of the same shape (QueryShapeOf)
  // when that rewrite reads no Parquet (key indexes, empty tables); false when it does not apply
  // (the caller runs the statement as usual).
  Result<bool> RunByShape(std::string_view statement, const ResultCallback& on_result, Status* outcome);
  // RunPrepared once BeginStatement has passed and `epoch` is the current access epoch; the audit
  // records `statement` (a shape's own text) or else the prepared text with the values in it.
  Status RunPreparedBegun(PreparedQuery& q, const std::vector<std::string>& literals, const std::string& epoch,
                          const ResultCallback& on_result, std::optional<std::string_view> statement = std::nullopt);
  // Whether this run of `q` may be answered by its direct key lookup (see PreparedQuery::direct).
  bool DirectApplies(PreparedQuery& q, const std::vector<std::string>& literals);
  // DuckDB's kept plan of `q` bound to `literals`; null when the values cannot be bound to a
  // kept plan (the caller substitutes them into the text instead). When the direct key lookup
  // applies, `*direct` is set and the plan is returned without binding (it will not run).
  Result<PreparedStatement*> KeptPlan(PreparedQuery& q, const std::vector<std::string>& literals, bool* direct);

  struct ShapeEntry {
    std::unique_ptr<PreparedQuery> query;
    bool usable = true;  // false: its rewrite reads Parquet (the literals matter for pruning)
  };
  std::map<std::string, ShapeEntry> shapes_;
  int64_t statements_by_shape_ = 0;
  int64_t executions_of_kept_plans_ = 0;
  int64_t direct_lookups_ = 0;
  uint64_t key_rows_registration_ = 0;  // of medlake_key_rows in this session's database
  bool postgres_result_names_ = false;
  bool ran_other_than_queries_ = false;

  const storage::Lake& lake_;
  LakeSessionOptions options_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<storage::Catalog> catalog_;
  LocalFileSystem fs_;
  const Clock* clock_ = &SystemClock::Default();
};

// A query with the literals of its key comparisons taken out: `col = 'x'`, `col = 42`, the
// members of `col IN ('a', 'b')` and aliased select-list constants (`SELECT 42 AS id`) (string
// and integer literals followed by nothing that could bind them to something else) become $1,
// $2, ... in `text`; `literals` holds their source text
// and `kinds` their kinds. Statements of the same shape share one rewrite (LakeSession runs
// them like a prepared statement). nullopt for anything else (no such literal, not a query,
// parameters of its own).
struct QueryShape {
  std::string text;
  std::vector<std::string> literals;
  std::vector<ColumnPredicate::Kind> kinds;
};
std::optional<QueryShape> QueryShapeOf(std::string_view statement);

// Splits a SQL text into statements on top-level semicolons (strings, quoted identifiers and
// comments respected). Empty statements are dropped. InvalidArgument on an unterminated token.
Result<std::vector<std::string>> SplitStatements(std::string_view sql);

}  // namespace medlake::engine
