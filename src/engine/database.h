// engine/database.h: RAII wrappers over DuckDB's C API (the only code in medlake that talks to
// DuckDB; nothing outside src/engine includes duckdb.h).
//
//   Database     an open DuckDB instance (in memory or a file), with its configuration
//   Connection   a session on it: runs SQL, prepares statements, creates appenders
//   StatementList the statements of a SQL text, prepared one at a time on demand
//   PreparedStatement  a statement with typed parameter binding
//   QueryResult  a result read chunk by chunk (streamed: never forced to materialize)
//   DataChunk    up to 2048 rows of a result, read column by column
//   Appender     fast row-wise bulk insert into a DuckDB table
//
// Every DuckDB error becomes a Status: parse and binder errors InvalidArgument, catalog errors
// NotFound/AlreadyExists, constraint violations FailedPrecondition, permission errors
// PermissionDenied, interrupts Aborted, out of memory ResourceExhausted, I/O errors IOError, the
// rest Internal. The message is DuckDB's own.
//
// Ownership and lifetime: a Connection must not outlive its Database; a QueryResult,
// PreparedStatement, StatementList or Appender must not outlive its Connection; a DataChunk may
// outlive its QueryResult.
// Thread-safety: Database is thread-safe (connect from many threads). A Connection and everything
// made from it belong to one thread at a time; Interrupt() may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/value.h"

namespace medlake::engine {

// DuckDB's logical type ids we distinguish (values equal DuckDB's DUCKDB_TYPE_* ids).
enum class TypeId : int {
  kInvalid = 0,
  kBoolean = 1,
  kTinyInt = 2,
  kSmallInt = 3,
  kInteger = 4,
  kBigInt = 5,
  kUTinyInt = 6,
  kUSmallInt = 7,
  kUInteger = 8,
  kUBigInt = 9,
  kFloat = 10,
  kDouble = 11,
  kTimestamp = 12,
  kDate = 13,
  kTime = 14,
  kInterval = 15,
  kHugeInt = 16,
  kVarchar = 17,
  kBlob = 18,
  kDecimal = 19,
  kTimestampS = 20,
  kTimestampMs = 21,
  kTimestampNs = 22,
  kEnum = 23,
  kList = 24,
  kStruct = 25,
  kMap = 26,
  kUuid = 27,
  kUnion = 28,
  kBit = 29,
  kTimeTz = 30,
  kTimestampTz = 31,
  kUHugeInt = 32,
  kArray = 33,
  kAny = 34,
  kBigNum = 35,
  kSqlNull = 36,
  kTimeNs = 39,
};

struct ColumnInfo {
  std::string name;
  TypeId type = TypeId::kInvalid;
  std::string type_name;  // SQL spelling, e.g. "DECIMAL(18,3)", "VARCHAR[]"
};

// What kind of statement produced a result (values equal DUCKDB_STATEMENT_TYPE_*).
enum class StatementKind : int {
  kInvalid = 0,
  kSelect = 1,
  kInsert = 2,
  kUpdate = 3,
  kExplain = 4,
  kDelete = 5,
  kPrepare = 6,
  kCreate = 7,
  kExecute = 8,
  kAlter = 9,
  kTransaction = 10,
  kCopy = 11,
  kAnalyze = 12,
  kVariableSet = 13,
  kCreateFunc = 14,
  kDrop = 15,
  kExport = 16,
  kPragma = 17,
  kVacuum = 18,
  kCall = 19,
  kSet = 20,
  kLoad = 21,
  kRelation = 22,
  kExtension = 23,
  kLogicalPlan = 24,
  kAttach = 25,
  kDetach = 26,
  kMulti = 27,
};

class DataChunk {
 public:
  ~DataChunk();
  DataChunk(const DataChunk&) = delete;
  DataChunk& operator=(const DataChunk&) = delete;

  size_t size() const;
  size_t column_count() const;
  bool IsNull(size_t column, size_t row) const;
  // Reads one cell as a Value (any type, nested ones included).
  Value GetValue(size_t column, size_t row) const;
  // Fast typed reads. Precondition: the column has that physical type (checked in debug
  // builds): GetInt64 for BIGINT/TIMESTAMP*/TIME, GetInt32 for INTEGER/DATE, GetDouble for
  // DOUBLE, GetFloat for REAL, GetBool for BOOLEAN, GetString for VARCHAR/BLOB (view valid
  // while the chunk lives).
  int64_t GetInt64(size_t column, size_t row) const;
  int32_t GetInt32(size_t column, size_t row) const;
  double GetDouble(size_t column, size_t row) const;
  float GetFloat(size_t column, size_t row) const;
  // INTERVAL: its three fields as DuckDB (and PostgreSQL) keep them.
  struct Interval {
    int32_t months = 0;
    int32_t days = 0;
    int64_t micros = 0;
  };
  Interval GetInterval(size_t column, size_t row) const;
  bool GetBool(size_t column, size_t row) const;
  std::string_view GetString(size_t column, size_t row) const;

  struct Impl;
  explicit DataChunk(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

class QueryResult {
 public:
  ~QueryResult();
  QueryResult(const QueryResult&) = delete;
  QueryResult& operator=(const QueryResult&) = delete;

  const std::vector<ColumnInfo>& columns() const;
  StatementKind statement_kind() const;
  // True when the statement returns rows (SELECT-like); false for DDL and DML.
  bool returns_rows() const;
  // Rows inserted/updated/deleted, for DML.
  int64_t rows_changed() const;
  bool is_streaming() const;
  // Rows handed out so far by Next() (FetchAll included): what a reader actually received.
  int64_t rows_read() const;

  // The next chunk, or nullptr at the end. Errors that happen while streaming (e.g. a cast
  // failing on row 10,000) are returned here.
  Result<std::unique_ptr<DataChunk>> Next();

  // Convenience for small results: reads every remaining row as Values.
  Result<std::vector<std::vector<Value>>> FetchAll();

  struct Impl;
  explicit QueryResult(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

class PreparedStatement {
 public:
  ~PreparedStatement();
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;

  size_t parameter_count() const;
  StatementKind statement_kind() const;
  // The type DuckDB gave parameter `index` (from 1) when it prepared the statement; kUnknown
  // when the statement leaves it open (e.g. `SELECT $1`): DuckDB then plans the statement again
  // at every execution, for the type of the value bound.
  enum class ParameterType { kUnknown, kInteger, kBigint, kVarchar, kOther };
  ParameterType parameter_type(size_t index) const;
  // The columns a run will return (names and types as the QueryResult will give them).
  std::vector<ColumnInfo> result_columns() const;
  // Parameters are numbered from 1, as in SQL ($1, ?). InvalidArgument for a bad index or a
  // value DuckDB cannot bind.
  Status BindNull(size_t index);
  Status BindBool(size_t index, bool v);
  Status BindInt32(size_t index, int32_t v);
  Status BindInt64(size_t index, int64_t v);
  Status BindDouble(size_t index, double v);
  Status BindString(size_t index, std::string_view v);
  Status BindBlob(size_t index, std::string_view v);
  // Days since 1970-01-01.
  Status BindDate(size_t index, int32_t days);
  // Microseconds since the epoch (TIMESTAMP, or TIMESTAMPTZ when `with_time_zone`).
  Status BindTimestamp(size_t index, int64_t micros, bool with_time_zone = false);
  Status ClearBindings();

  // Runs the statement with the current bindings. The result streams when `streaming`.
  Result<std::unique_ptr<QueryResult>> Execute(bool streaming = true);

  struct Impl;
  explicit PreparedStatement(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

class StatementList {
 public:
  ~StatementList();
  StatementList(const StatementList&) = delete;
  StatementList& operator=(const StatementList&) = delete;

  size_t size() const;
  // Prepares statement `i` (0-based). Call in order: later statements may depend on earlier ones
  // (a CREATE TABLE before its INSERT), so nothing is prepared ahead.
  Result<std::unique_ptr<PreparedStatement>> Prepare(size_t i);

  struct Impl;
  explicit StatementList(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

class Appender {
 public:
  ~Appender();
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  // Append one value per column, then EndRow(). Errors come back from the call that failed or
  // from Flush()/Close().
  Status AppendNull();
  Status AppendBool(bool v);
  Status AppendInt64(int64_t v);
  Status AppendDouble(double v);
  Status AppendString(std::string_view v);
  Status AppendBlob(std::string_view v);
  Status AppendDate(int32_t days);
  Status AppendTimestamp(int64_t micros);
  Status EndRow();
  Status Flush();
  // Flushes and closes; the destructor closes without reporting errors, so call Close().
  Status Close();

  struct Impl;
  explicit Appender(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs every statement of `sql`, discarding results.
  Status Execute(std::string_view sql);
  // Runs a single-statement `sql` and returns its result (streamed when `streaming`).
  Result<std::unique_ptr<QueryResult>> Query(std::string_view sql, bool streaming = true);
  // Shorthand: runs `sql` and reads the whole (small) result.
  Result<std::vector<std::vector<Value>>> QueryAll(std::string_view sql);
  // Splits `sql` into statements with DuckDB's parser. InvalidArgument on a syntax error.
  Result<std::unique_ptr<StatementList>> Split(std::string_view sql);
  Result<std::unique_ptr<PreparedStatement>> Prepare(std::string_view sql);
  // Prepares `sql` once per connection and returns that statement on later calls with the same
  // text (for the engine's own fixed statements, e.g. the SQL serializer; bind every parameter
  // before each Execute). Owned by the connection.
  Result<PreparedStatement*> PrepareCached(std::string_view sql);
  Result<std::unique_ptr<Appender>> CreateAppender(std::string_view schema,
                                                   std::string_view table);
  // Asks the running query to stop; it then fails with Aborted. Thread-safe.
  void Interrupt();
  // The duckdb_connection, for engine-internal code that registers functions (never use it
  // outside src/engine).
  void* NativeHandleForEngine();

  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

struct DatabaseOptions {
  // Empty: in memory. Otherwise a DuckDB database file.
  std::string path;
  // DuckDB configuration options (duckdb_set_config names), e.g. {"threads", "2"}. By default
  // extensions are never installed or loaded from the network and times are UTC.
  std::map<std::string, std::string> config;
};

class Database {
 public:
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens DuckDB. InvalidArgument for a bad option, IOError if the file cannot be opened.
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options = {});
  Result<std::unique_ptr<Connection>> Connect();
  // "v1.4.4".
  static std::string LibraryVersion();

  struct Impl;
  explicit Database(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

std::string_view TypeIdName(TypeId id);

}  // namespace medlake::engine
