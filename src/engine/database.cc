#include "engine/database.h"

#include <atomic>
#include <cstring>
#include <map>

#include "engine/duckdb_internal.h"

namespace medlake::engine {

using internal::ReadValue;
using internal::StatusFromDuckDb;
using internal::StatusFromDuckDbMessage;

namespace {
Status ResultError(duckdb_result* result, std::string_view context) {
  return StatusFromDuckDb(duckdb_result_error_type(result), duckdb_result_error(result), context);
}
}  // namespace

// ------------------------------------------------------------------ DataChunk

namespace {

// What all threads' spare chunks hold together (below), bounded by kProcessSpareBytes: a
// thread keeps a chunk only while the sum stays under it, so 200 sessions' threads cannot hold
// 200 times a thread's bound.
constexpr size_t kProcessSpareBytes = size_t{128} << 20;
std::atomic<size_t> process_spare_bytes{0};

// The spare built chunks of a thread (see internal::NewBuiltChunk), most recently freed last.
// Bounded in bytes per thread, and by the process's bound. A thread's bound holds the chunks
// of one patient's record (nine tables of up to ~20 columns: ~640 KB of vectors each).
struct SpareChunks {
  static constexpr size_t kMaxBytes = size_t{8} << 20;
  static constexpr size_t kMaxChunkBytes = size_t{2} << 20;
  std::vector<std::unique_ptr<DataChunk::Impl>> list;
  size_t bytes = 0;
  ~SpareChunks() { process_spare_bytes.fetch_sub(bytes, std::memory_order_relaxed); }
};
thread_local SpareChunks spare_chunks;

// What a chunk of these types holds without its strings' text: a vector of each.
size_t ChunkBytes(const std::vector<duckdb_type>& types) {
  size_t row = 0;
  for (duckdb_type t : types) {
    switch (t) {
      case DUCKDB_TYPE_BOOLEAN: row += 1; break;
      case DUCKDB_TYPE_INTEGER:
      case DUCKDB_TYPE_DATE:
      case DUCKDB_TYPE_FLOAT: row += 4; break;
      case DUCKDB_TYPE_BIGINT:
      case DUCKDB_TYPE_DOUBLE:
      case DUCKDB_TYPE_TIMESTAMP:
      case DUCKDB_TYPE_TIMESTAMP_TZ: row += 8; break;
      default: row += 16; break;
    }
  }
  return row * duckdb_vector_size();
}

void KeepSpareChunk(std::unique_ptr<DataChunk::Impl> impl) {
  SpareChunks& spares = spare_chunks;
  const size_t bytes = ChunkBytes(impl->built_types);
  if (bytes > SpareChunks::kMaxChunkBytes) return;  // destroyed
  while (!spares.list.empty() && spares.bytes + bytes > SpareChunks::kMaxBytes) {
    const size_t oldest = ChunkBytes(spares.list.front()->built_types);
    spares.bytes -= oldest;
    process_spare_bytes.fetch_sub(oldest, std::memory_order_relaxed);
    spares.list.erase(spares.list.begin());
  }
  // Kept only while the process's bound allows (other threads' spares count too).
  if (process_spare_bytes.fetch_add(bytes, std::memory_order_relaxed) + bytes > kProcessSpareBytes) {
    process_spare_bytes.fetch_sub(bytes, std::memory_order_relaxed);
    return;  // destroyed
  }
  duckdb_data_chunk_reset(impl->chunk);  // size 0, validity all valid
  spares.bytes += bytes;
  spares.list.push_back(std::move(impl));
}

}  // namespace

DataChunk::DataChunk(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataChunk::~DataChunk() {
  if (impl_ && !impl_->built_types.empty()) KeepSpareChunk(std::move(impl_));
}

size_t DataChunk::size() const { return duckdb_data_chunk_get_size(impl_->chunk); }
size_t DataChunk::column_count() const { return impl_->vectors.size(); }

bool DataChunk::IsNull(size_t column, size_t row) const {
  uint64_t* validity = duckdb_vector_get_validity(impl_->vectors[column]);
  return validity != nullptr && !duckdb_validity_row_is_valid(validity, row);
}

Value DataChunk::GetValue(size_t column, size_t row) const {
  return ReadValue(impl_->vectors[column], impl_->types[column], row);
}

int64_t DataChunk::GetInt64(size_t column, size_t row) const {
  return static_cast<int64_t*>(duckdb_vector_get_data(impl_->vectors[column]))[row];
}
int32_t DataChunk::GetInt32(size_t column, size_t row) const {
  return static_cast<int32_t*>(duckdb_vector_get_data(impl_->vectors[column]))[row];
}
double DataChunk::GetDouble(size_t column, size_t row) const {
  return static_cast<double*>(duckdb_vector_get_data(impl_->vectors[column]))[row];
}
float DataChunk::GetFloat(size_t column, size_t row) const {
  return static_cast<float*>(duckdb_vector_get_data(impl_->vectors[column]))[row];
}
DataChunk::Interval DataChunk::GetInterval(size_t column, size_t row) const {
  const auto& iv = static_cast<duckdb_interval*>(duckdb_vector_get_data(impl_->vectors[column]))[row];
  return Interval{iv.months, iv.days, iv.micros};
}
bool DataChunk::GetBool(size_t column, size_t row) const {
  return static_cast<bool*>(duckdb_vector_get_data(impl_->vectors[column]))[row];
}
std::string_view DataChunk::GetString(size_t column, size_t row) const {
  auto* s = static_cast<duckdb_string_t*>(duckdb_vector_get_data(impl_->vectors[column])) + row;
  return std::string_view(duckdb_string_t_data(s), duckdb_string_t_length(*s));
}

// ------------------------------------------------------------------ QueryResult

struct QueryResult::Impl {
  duckdb_result result{};
  std::vector<ColumnInfo> columns;
  bool done = false;
  int64_t rows_read = 0;
  // A result made of chunks built outside DuckDB (QueryResultOfChunks): no `result`, and
  // `columns` unused (shared_columns instead).
  bool built = false;
  std::shared_ptr<const std::vector<ColumnInfo>> shared_columns;
  std::vector<std::unique_ptr<DataChunk::Impl>> built_chunks;
  size_t next_built = 0;
  ~Impl() {
    if (!built) duckdb_destroy_result(&result);
    for (size_t i = next_built; i < built_chunks.size(); ++i) {
      if (built_chunks[i]) KeepSpareChunk(std::move(built_chunks[i]));
    }
  }
};

namespace {

// A chunk as the DataChunk wrapper holds it (owning the chunk and copies of its types).
std::unique_ptr<DataChunk> WrapChunk(duckdb_data_chunk chunk) {
  auto ci = std::make_unique<DataChunk::Impl>();
  ci->chunk = chunk;
  idx_t n = duckdb_data_chunk_get_column_count(chunk);
  for (idx_t i = 0; i < n; ++i) {
    duckdb_vector v = duckdb_data_chunk_get_vector(chunk, i);
    ci->vectors.push_back(v);
    ci->types.push_back(duckdb_vector_get_column_type(v));
  }
  return std::make_unique<DataChunk>(std::move(ci));
}

ColumnInfo ColumnInfoOf(const char* name, duckdb_logical_type type) {
  ColumnInfo c;
  c.name = name != nullptr ? name : "";
  c.type = static_cast<TypeId>(duckdb_get_type_id(type));
  c.type_name = internal::LogicalTypeName(type);
  return c;
}

}  // namespace

namespace internal {

std::unique_ptr<DataChunk::Impl> NewBuiltChunk(const std::vector<duckdb_type>& types) {
  SpareChunks& spares = spare_chunks;
  for (size_t i = spares.list.size(); i-- > 0;) {
    if (spares.list[i]->built_types == types) {
      auto impl = std::move(spares.list[i]);
      spares.list.erase(spares.list.begin() + static_cast<std::ptrdiff_t>(i));
      const size_t bytes = ChunkBytes(types);
      spares.bytes -= bytes;
      process_spare_bytes.fetch_sub(bytes, std::memory_order_relaxed);
      return impl;
    }
  }
  auto impl = std::make_unique<DataChunk::Impl>();
  impl->built_types = types;
  for (duckdb_type t : types) impl->types.push_back(duckdb_create_logical_type(t));
  impl->chunk = duckdb_create_data_chunk(impl->types.data(), impl->types.size());
  for (size_t c = 0; c < types.size(); ++c) impl->vectors.push_back(duckdb_data_chunk_get_vector(impl->chunk, c));
  return impl;
}

SpareChunkBytes SpareChunkBytesNow() {
  return SpareChunkBytes{spare_chunks.bytes, process_spare_bytes.load(std::memory_order_relaxed)};
}

std::unique_ptr<QueryResult> QueryResultOfChunks(std::shared_ptr<const std::vector<ColumnInfo>> columns,
                                                 std::vector<std::unique_ptr<DataChunk::Impl>> chunks) {
  auto impl = std::make_unique<QueryResult::Impl>();
  impl->built = true;
  impl->shared_columns = std::move(columns);
  impl->built_chunks = std::move(chunks);
  return std::make_unique<QueryResult>(std::move(impl));
}

}  // namespace internal

QueryResult::QueryResult(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  if (impl_->built) return;
  idx_t n = duckdb_column_count(&impl_->result);
  for (idx_t i = 0; i < n; ++i) {
    duckdb_logical_type t = duckdb_column_logical_type(&impl_->result, i);
    impl_->columns.push_back(ColumnInfoOf(duckdb_column_name(&impl_->result, i), t));
    duckdb_destroy_logical_type(&t);
  }
}
QueryResult::~QueryResult() = default;

const std::vector<ColumnInfo>& QueryResult::columns() const {
  return impl_->shared_columns ? *impl_->shared_columns : impl_->columns;
}
int64_t QueryResult::rows_read() const { return impl_->rows_read; }
StatementKind QueryResult::statement_kind() const {
  if (impl_->built) return StatementKind::kSelect;
  return static_cast<StatementKind>(duckdb_result_statement_type(impl_->result));
}
bool QueryResult::returns_rows() const {
  return impl_->built || duckdb_result_return_type(impl_->result) == DUCKDB_RESULT_TYPE_QUERY_RESULT;
}
int64_t QueryResult::rows_changed() const {
  return impl_->built ? 0 : static_cast<int64_t>(duckdb_rows_changed(&impl_->result));
}
bool QueryResult::is_streaming() const { return !impl_->built && duckdb_result_is_streaming(impl_->result); }

Result<std::unique_ptr<DataChunk>> QueryResult::Next() {
  if (impl_->done) return std::unique_ptr<DataChunk>();
  if (impl_->built) {
    while (impl_->next_built < impl_->built_chunks.size()) {
      auto chunk = std::move(impl_->built_chunks[impl_->next_built++]);
      const idx_t size = duckdb_data_chunk_get_size(chunk->chunk);
      if (size == 0) {
        KeepSpareChunk(std::move(chunk));
        continue;
      }
      impl_->rows_read += static_cast<int64_t>(size);
      return std::make_unique<DataChunk>(std::move(chunk));
    }
    impl_->done = true;
    return std::unique_ptr<DataChunk>();
  }
  duckdb_data_chunk chunk = duckdb_fetch_chunk(impl_->result);
  if (chunk == nullptr) {
    impl_->done = true;
    // A streaming result reports errors raised during execution here.
    const char* err = duckdb_result_error(&impl_->result);
    if (err != nullptr && *err != '\0') return ResultError(&impl_->result, "");
    return std::unique_ptr<DataChunk>();
  }
  auto wrapped = WrapChunk(chunk);
  if (duckdb_data_chunk_get_size(chunk) == 0) {
    // DuckDB never hands out empty chunks mid-stream; treat one as the end.
    impl_->done = true;
    return std::unique_ptr<DataChunk>();
  }
  impl_->rows_read += static_cast<int64_t>(duckdb_data_chunk_get_size(chunk));
  return wrapped;
}

Result<std::vector<std::vector<Value>>> QueryResult::FetchAll() {
  std::vector<std::vector<Value>> rows;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(auto chunk, Next());
    if (!chunk) break;
    for (size_t r = 0; r < chunk->size(); ++r) {
      std::vector<Value> row;
      row.reserve(chunk->column_count());
      for (size_t c = 0; c < chunk->column_count(); ++c) row.push_back(chunk->GetValue(c, r));
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

// ------------------------------------------------------------------ PreparedStatement

struct PreparedStatement::Impl {
  duckdb_prepared_statement stmt = nullptr;
  ~Impl() { duckdb_destroy_prepare(&stmt); }
};

PreparedStatement::PreparedStatement(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PreparedStatement::~PreparedStatement() = default;

size_t PreparedStatement::parameter_count() const { return duckdb_nparams(impl_->stmt); }

std::vector<ColumnInfo> PreparedStatement::result_columns() const {
  std::vector<ColumnInfo> out;
  const idx_t n = duckdb_prepared_statement_column_count(impl_->stmt);
  for (idx_t i = 0; i < n; ++i) {
    duckdb_logical_type t = duckdb_prepared_statement_column_logical_type(impl_->stmt, i);
    const char* name = duckdb_prepared_statement_column_name(impl_->stmt, i);  // ours to free
    out.push_back(ColumnInfoOf(name, t));
    duckdb_free(const_cast<char*>(name));
    duckdb_destroy_logical_type(&t);
  }
  return out;
}
PreparedStatement::ParameterType PreparedStatement::parameter_type(size_t index) const {
  switch (duckdb_param_type(impl_->stmt, index)) {
    case DUCKDB_TYPE_INVALID: return ParameterType::kUnknown;
    case DUCKDB_TYPE_INTEGER: return ParameterType::kInteger;
    case DUCKDB_TYPE_BIGINT: return ParameterType::kBigint;
    case DUCKDB_TYPE_VARCHAR: return ParameterType::kVarchar;
    default: return ParameterType::kOther;
  }
}
StatementKind PreparedStatement::statement_kind() const {
  return static_cast<StatementKind>(duckdb_prepared_statement_type(impl_->stmt));
}

namespace {
Status BindResult(duckdb_state st, duckdb_prepared_statement stmt, size_t index) {
  if (st == DuckDBSuccess) return Status::OK();
  const char* err = duckdb_prepare_error(stmt);
  std::string msg = "cannot bind parameter " + std::to_string(index);
  if (err && *err) msg += std::string(": ") + err;
  return InvalidArgument(std::move(msg));
}
}  // namespace

Status PreparedStatement::BindNull(size_t i) {
  return BindResult(duckdb_bind_null(impl_->stmt, i), impl_->stmt, i);
}
Status PreparedStatement::BindBool(size_t i, bool v) {
  return BindResult(duckdb_bind_boolean(impl_->stmt, i, v), impl_->stmt, i);
}
Status PreparedStatement::BindInt32(size_t i, int32_t v) {
  return BindResult(duckdb_bind_int32(impl_->stmt, i, v), impl_->stmt, i);
}
Status PreparedStatement::BindInt64(size_t i, int64_t v) {
  return BindResult(duckdb_bind_int64(impl_->stmt, i, v), impl_->stmt, i);
}
Status PreparedStatement::BindDouble(size_t i, double v) {
  return BindResult(duckdb_bind_double(impl_->stmt, i, v), impl_->stmt, i);
}
Status PreparedStatement::BindString(size_t i, std::string_view v) {
  return BindResult(duckdb_bind_varchar_length(impl_->stmt, i, v.data(), v.size()), impl_->stmt, i);
}
Status PreparedStatement::BindBlob(size_t i, std::string_view v) {
  return BindResult(duckdb_bind_blob(impl_->stmt, i, v.data(), v.size()), impl_->stmt, i);
}
Status PreparedStatement::BindDate(size_t i, int32_t days) {
  return BindResult(duckdb_bind_date(impl_->stmt, i, duckdb_date{days}), impl_->stmt, i);
}
Status PreparedStatement::BindTimestamp(size_t i, int64_t micros, bool with_time_zone) {
  duckdb_timestamp ts{micros};
  duckdb_state st = with_time_zone ? duckdb_bind_timestamp_tz(impl_->stmt, i, ts)
                                   : duckdb_bind_timestamp(impl_->stmt, i, ts);
  return BindResult(st, impl_->stmt, i);
}
Status PreparedStatement::ClearBindings() {
  if (duckdb_clear_bindings(impl_->stmt) != DuckDBSuccess) return Internal("clearing bindings");
  return Status::OK();
}

Result<std::unique_ptr<QueryResult>> PreparedStatement::Execute(bool streaming) {
  auto ri = std::make_unique<QueryResult::Impl>();
  duckdb_pending_result pending = nullptr;
  // duckdb_pending_prepared_streaming is the C API's only way to stream in 1.4 (deprecated there,
  // scheduled for a replacement); without streaming, big results would be materialized.
  duckdb_state st = streaming ? duckdb_pending_prepared_streaming(impl_->stmt, &pending)
                              : duckdb_pending_prepared(impl_->stmt, &pending);
  if (st != DuckDBSuccess) {
    Status s = StatusFromDuckDbMessage(duckdb_pending_error(pending), "");
    duckdb_destroy_pending(&pending);
    return s;
  }
  st = duckdb_execute_pending(pending, &ri->result);
  duckdb_destroy_pending(&pending);
  if (st != DuckDBSuccess) return ResultError(&ri->result, "");
  return std::make_unique<QueryResult>(std::move(ri));
}

// ------------------------------------------------------------------ StatementList

struct StatementList::Impl {
  duckdb_connection conn = nullptr;  // borrowed
  duckdb_extracted_statements extracted = nullptr;
  size_t count = 0;
  ~Impl() { duckdb_destroy_extracted(&extracted); }
};

StatementList::StatementList(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StatementList::~StatementList() = default;
size_t StatementList::size() const { return impl_->count; }

Result<std::unique_ptr<PreparedStatement>> StatementList::Prepare(size_t i) {
  if (i >= impl_->count) return InvalidArgument("statement index out of range");
  auto pi = std::make_unique<PreparedStatement::Impl>();
  if (duckdb_prepare_extracted_statement(impl_->conn, impl_->extracted, i, &pi->stmt) !=
      DuckDBSuccess) {
    return StatusFromDuckDbMessage(duckdb_prepare_error(pi->stmt), "");
  }
  return std::make_unique<PreparedStatement>(std::move(pi));
}

// ------------------------------------------------------------------ Appender

struct Appender::Impl {
  duckdb_appender appender = nullptr;
  ~Impl() { duckdb_appender_destroy(&appender); }
  Status Check(duckdb_state st) {
    if (st == DuckDBSuccess) return Status::OK();
    duckdb_error_data err = duckdb_appender_error_data(appender);
    Status s = StatusFromDuckDb(duckdb_error_data_error_type(err), duckdb_error_data_message(err),
                                "appender");
    duckdb_destroy_error_data(&err);
    return s;
  }
};

Appender::Appender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Appender::~Appender() = default;
Status Appender::AppendNull() { return impl_->Check(duckdb_append_null(impl_->appender)); }
Status Appender::AppendBool(bool v) { return impl_->Check(duckdb_append_bool(impl_->appender, v)); }
Status Appender::AppendInt64(int64_t v) {
  return impl_->Check(duckdb_append_int64(impl_->appender, v));
}
Status Appender::AppendDouble(double v) {
  return impl_->Check(duckdb_append_double(impl_->appender, v));
}
Status Appender::AppendString(std::string_view v) {
  return impl_->Check(duckdb_append_varchar_length(impl_->appender, v.data(), v.size()));
}
Status Appender::AppendBlob(std::string_view v) {
  return impl_->Check(duckdb_append_blob(impl_->appender, v.data(), v.size()));
}
Status Appender::AppendDate(int32_t days) {
  return impl_->Check(duckdb_append_date(impl_->appender, duckdb_date{days}));
}
Status Appender::AppendTimestamp(int64_t micros) {
  return impl_->Check(duckdb_append_timestamp(impl_->appender, duckdb_timestamp{micros}));
}
Status Appender::EndRow() { return impl_->Check(duckdb_appender_end_row(impl_->appender)); }
Status Appender::Flush() { return impl_->Check(duckdb_appender_flush(impl_->appender)); }
Status Appender::Close() { return impl_->Check(duckdb_appender_close(impl_->appender)); }

// ------------------------------------------------------------------ Connection

struct Connection::Impl {
  duckdb_connection conn = nullptr;
  std::map<std::string, std::unique_ptr<PreparedStatement>, std::less<>> cached;
  ~Impl() {
    cached.clear();
    duckdb_disconnect(&conn);
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;

Status Connection::Execute(std::string_view sql) {
  MEDLAKE_ASSIGN_OR_RETURN(auto list, Split(sql));
  for (size_t i = 0; i < list->size(); ++i) {
    MEDLAKE_ASSIGN_OR_RETURN(auto stmt, list->Prepare(i));
    MEDLAKE_ASSIGN_OR_RETURN(auto result, stmt->Execute(/*streaming=*/false));
    (void)result;
  }
  return Status::OK();
}

Result<std::unique_ptr<QueryResult>> Connection::Query(std::string_view sql, bool streaming) {
  MEDLAKE_ASSIGN_OR_RETURN(auto list, Split(sql));
  if (list->size() != 1) {
    return InvalidArgument("expected exactly one statement, got " + std::to_string(list->size()));
  }
  MEDLAKE_ASSIGN_OR_RETURN(auto stmt, list->Prepare(0));
  return stmt->Execute(streaming);
}

Result<std::vector<std::vector<Value>>> Connection::QueryAll(std::string_view sql) {
  MEDLAKE_ASSIGN_OR_RETURN(auto result, Query(sql, /*streaming=*/false));
  return result->FetchAll();
}

Result<std::unique_ptr<StatementList>> Connection::Split(std::string_view sql) {
  auto li = std::make_unique<StatementList::Impl>();
  li->conn = impl_->conn;
  std::string text(sql);  // DuckDB wants a NUL-terminated string
  li->count = duckdb_extract_statements(impl_->conn, text.c_str(), &li->extracted);
  if (li->count == 0) {
    const char* err = duckdb_extract_statements_error(li->extracted);
    if (err != nullptr && *err != '\0') return StatusFromDuckDbMessage(err, "");
  }
  return std::make_unique<StatementList>(std::move(li));
}

Result<std::unique_ptr<PreparedStatement>> Connection::Prepare(std::string_view sql) {
  auto pi = std::make_unique<PreparedStatement::Impl>();
  std::string text(sql);
  if (duckdb_prepare(impl_->conn, text.c_str(), &pi->stmt) != DuckDBSuccess) {
    return StatusFromDuckDbMessage(duckdb_prepare_error(pi->stmt), "");
  }
  return std::make_unique<PreparedStatement>(std::move(pi));
}

Result<PreparedStatement*> Connection::PrepareCached(std::string_view sql) {
  auto it = impl_->cached.find(sql);
  if (it == impl_->cached.end()) {
    MEDLAKE_ASSIGN_OR_RETURN(auto stmt, Prepare(sql));
    it = impl_->cached.emplace(std::string(sql), std::move(stmt)).first;
  }
  return it->second.get();
}

Result<std::unique_ptr<Appender>> Connection::CreateAppender(std::string_view schema,
                                                             std::string_view table) {
  auto ai = std::make_unique<Appender::Impl>();
  std::string s(schema), t(table);
  if (duckdb_appender_create(impl_->conn, s.empty() ? nullptr : s.c_str(), t.c_str(),
                             &ai->appender) != DuckDBSuccess) {
    Status st = ai->Check(DuckDBError);
    return st.ok() ? NotFound("table " + t) : st;
  }
  return std::make_unique<Appender>(std::move(ai));
}

void Connection::Interrupt() { duckdb_interrupt(impl_->conn); }

void* Connection::NativeHandleForEngine() { return impl_->conn; }

// ------------------------------------------------------------------ Database

struct Database::Impl {
  duckdb_database db = nullptr;
  ~Impl() { duckdb_close(&db); }
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) != DuckDBSuccess) return Internal("creating DuckDB config");
  // No network: never download or auto-load extensions; the built-in ones (parquet, json, icu,
  // core_functions) are all we use.
  std::map<std::string, std::string> settings = {
      {"autoinstall_known_extensions", "false"},
      {"autoload_known_extensions", "false"},
  };
  for (const auto& [k, v] : options.config) settings[k] = v;
  for (const auto& [k, v] : settings) {
    if (duckdb_set_config(config, k.c_str(), v.c_str()) != DuckDBSuccess) {
      duckdb_destroy_config(&config);
      return InvalidArgument("invalid DuckDB option " + k);
    }
  }
  auto impl = std::make_unique<Impl>();
  char* err = nullptr;
  duckdb_state st = duckdb_open_ext(options.path.empty() ? nullptr : options.path.c_str(),
                                    &impl->db, config, &err);
  duckdb_destroy_config(&config);
  if (st != DuckDBSuccess) {
    std::string msg = err ? err : "unknown error";
    duckdb_free(err);
    if (msg.rfind("Invalid Input Error", 0) == 0) return InvalidArgument("opening DuckDB: " + msg);
    return IOError("opening DuckDB: " + msg);
  }
  return std::make_unique<Database>(std::move(impl));
}

Result<std::unique_ptr<Connection>> Database::Connect() {
  auto ci = std::make_unique<Connection::Impl>();
  if (duckdb_connect(impl_->db, &ci->conn) != DuckDBSuccess) {
    return Internal("connecting to DuckDB");
  }
  auto conn = std::make_unique<Connection>(std::move(ci));
  // Every session computes in UTC (ARCHITECTURE: times to UTC).
  MEDLAKE_RETURN_IF_ERROR(conn->Execute("SET TimeZone = 'UTC'"));
  return conn;
}

std::string Database::LibraryVersion() { return duckdb_library_version(); }

std::string_view TypeIdName(TypeId id) {
  switch (id) {
    case TypeId::kBoolean: return "BOOLEAN";
    case TypeId::kTinyInt: return "TINYINT";
    case TypeId::kSmallInt: return "SMALLINT";
    case TypeId::kInteger: return "INTEGER";
    case TypeId::kBigInt: return "BIGINT";
    case TypeId::kFloat: return "FLOAT";
    case TypeId::kDouble: return "DOUBLE";
    case TypeId::kVarchar: return "VARCHAR";
    case TypeId::kDate: return "DATE";
    case TypeId::kTimestamp: return "TIMESTAMP";
    case TypeId::kTimestampTz: return "TIMESTAMPTZ";
    case TypeId::kDecimal: return "DECIMAL";
    default: return "OTHER";
  }
}

}  // namespace medlake::engine
