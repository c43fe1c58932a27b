#include "engine/row_batch.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "duckdb.h"
#include "simdjson.h"

namespace medlake::engine {

struct RowBatch::Impl {
  // How a column of a type other than VARCHAR/BLOB holds this batch's values: as that type, or
  // as text that the reading statement casts (a CSV loader hands over canonical text for DECIMAL,
  // TIME, ... columns). One batch cannot mix both in one column.
  enum class Mode { kUnset, kTyped, kText };
  struct Column {
    TypeId type = TypeId::kInvalid;
    bool fixed = false;  // a type held natively (else only text or NULL)
    Mode mode = Mode::kUnset;
    // One entry per row: the value for fixed-size types (doubles bit-copied), or for text the
    // value's offset in `heap` (its size in `sizes`; sizes has an entry per row either way).
    std::vector<int64_t> values;
    std::vector<uint32_t> sizes;
    std::vector<uint8_t> valid;
    std::string heap;
    bool IsText() const { return type == TypeId::kVarchar || type == TypeId::kBlob || mode == Mode::kText; }
    // The type a scan of the batch gives the column.
    TypeId ScanType() const {
      if (type == TypeId::kVarchar || type == TypeId::kBlob) return type;
      return fixed && mode != Mode::kText ? type : TypeId::kVarchar;
    }
  };
  uint64_t id = 0;
  std::vector<ColumnInfo> info;
  std::vector<Column> columns;
  size_t rows = 0;  // complete rows
  size_t next = 0;  // column the next Append goes to
  int64_t string_bytes = 0;

  // The column of the next value, whatever its kind.
  Result<Column*> Next() {
    if (next >= columns.size()) {
      return Refuse("more values than the " + std::to_string(columns.size()) + " columns");
    }
    return &columns[next++];
  }
  // The column of the next value, if it may take a value of one of `types`.
  Result<Column*> Take(std::initializer_list<TypeId> types, const char* what) {
    MEDLAKE_ASSIGN_OR_RETURN(Column * c, Next());
    if (std::find(types.begin(), types.end(), c->type) == types.end() || c->mode == Mode::kText) {
      const ColumnInfo& column = info[static_cast<size_t>(c - columns.data())];
      return Refuse(std::string("a ") + what + " value for column " + column.name + " of type " +
                    column.type_name + (c->mode == Mode::kText ? " (given text values in this batch)" : ""));
    }
    if (c->fixed) c->mode = Mode::kTyped;
    return c;
  }
  // The column of the next value, for a text value: VARCHAR and BLOB columns, and the others
  // unless this batch gave them typed values.
  Result<Column*> TakeText() {
    MEDLAKE_ASSIGN_OR_RETURN(Column * c, Next());
    if (c->type != TypeId::kVarchar && c->type != TypeId::kBlob) {
      if (c->mode == Mode::kTyped) {
        const ColumnInfo& column = info[static_cast<size_t>(c - columns.data())];
        return Refuse("a text value for column " + column.name + " of type " + column.type_name +
                      " (given typed values in this batch)");
      }
      c->mode = Mode::kText;
    }
    return c;
  }
  void Put(Column& c, int64_t v) {
    c.values.push_back(v);
    c.sizes.push_back(0);
    c.valid.push_back(1);
  }
  // Discards the row being built and returns InvalidArgument("row batch: <what>").
  Status Refuse(const std::string& what) {
    DropPartialRow();
    return InvalidArgument("row batch: " + what);
  }
  Status PutBytes(Column& c, std::string_view v) {
    if (v.size() > UINT32_MAX) return Refuse("a value of 4 GiB or more");
    c.values.push_back(static_cast<int64_t>(c.heap.size()));
    c.sizes.push_back(static_cast<uint32_t>(v.size()));
    c.heap.append(v);
    c.valid.push_back(1);
    string_bytes += static_cast<int64_t>(v.size());
    return Status::OK();
  }
  // Undoes the values of the row being built.
  void DropPartialRow() {
    for (Column& c : columns) {
      if (c.values.size() > rows) {
        if (c.IsText() && c.valid[rows] != 0) {
          c.heap.resize(static_cast<size_t>(c.values[rows]));
          string_bytes -= c.sizes[rows];
        }
        c.sizes.resize(rows);
        c.values.resize(rows);
        c.valid.resize(rows);
      }
    }
    next = 0;
  }
};

namespace {

std::mutex registry_mu;
std::map<uint64_t, RowBatch::Impl*>& Registry() {
  static auto* batches = new std::map<uint64_t, RowBatch::Impl*>();
  return *batches;
}
std::atomic<uint64_t> next_id{1};

// The types a batch holds natively; columns of other types take text (cast by the statement).
bool Fixed(TypeId t) {
  switch (t) {
    case TypeId::kBoolean:
    case TypeId::kInteger:
    case TypeId::kBigInt:
    case TypeId::kDouble:
    case TypeId::kDate:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return true;
    default:
      return false;
  }
}

struct ScanBind {
  RowBatch::Impl* batch = nullptr;
};
struct ScanState {
  size_t pos = 0;
};

void BindFn(duckdb_bind_info info) {
  duckdb_value arg = duckdb_bind_get_parameter(info, 0);
  const int64_t id = duckdb_get_int64(arg);
  duckdb_destroy_value(&arg);
  RowBatch::Impl* batch = nullptr;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    auto it = Registry().find(static_cast<uint64_t>(id));
    if (it != Registry().end()) batch = it->second;
  }
  if (batch == nullptr) {
    duckdb_bind_set_error(info, "medlake_row_batch: no such batch");
    return;
  }
  for (size_t i = 0; i < batch->info.size(); ++i) {
    duckdb_logical_type t =
        duckdb_create_logical_type(static_cast<duckdb_type>(batch->columns[i].ScanType()));
    duckdb_bind_add_result_column(info, batch->info[i].name.c_str(), t);
    duckdb_destroy_logical_type(&t);
  }
  duckdb_bind_set_cardinality(info, batch->rows, true);
  auto bind = std::make_unique<ScanBind>();
  bind->batch = batch;
  duckdb_bind_set_bind_data(info, bind.release(), [](void* p) { delete static_cast<ScanBind*>(p); });
}

void InitFn(duckdb_init_info info) {
  duckdb_init_set_max_threads(info, 1);
  duckdb_init_set_init_data(info, new ScanState(), [](void* p) { delete static_cast<ScanState*>(p); });
}

void ScanFn(duckdb_function_info info, duckdb_data_chunk output) {
  const auto* bind = static_cast<const ScanBind*>(duckdb_function_get_bind_data(info));
  auto* state = static_cast<ScanState*>(duckdb_function_get_init_data(info));
  const RowBatch::Impl& b = *bind->batch;
  const size_t n = std::min<size_t>(duckdb_vector_size(), b.rows - std::min(b.rows, state->pos));
  if (n == 0) {
    duckdb_data_chunk_set_size(output, 0);
    return;
  }
  for (size_t c = 0; c < b.columns.size(); ++c) {
    const RowBatch::Impl::Column& col = b.columns[c];
    duckdb_vector vec = duckdb_data_chunk_get_vector(output, c);
    uint64_t* validity = nullptr;
    for (size_t r = 0; r < n; ++r) {
      if (col.valid[state->pos + r] == 0) {
        if (validity == nullptr) {
          duckdb_vector_ensure_validity_writable(vec);
          validity = duckdb_vector_get_validity(vec);
        }
        duckdb_validity_set_row_invalid(validity, r);
      }
    }
    const int64_t* v = col.values.data() + state->pos;
    void* data = duckdb_vector_get_data(vec);
    if (col.IsText()) {
      for (size_t r = 0; r < n; ++r) {
        if (col.valid[state->pos + r] == 0) continue;
        duckdb_vector_assign_string_element_len(vec, r, col.heap.data() + v[r],
                                                col.sizes[state->pos + r]);
      }
      continue;
    }
    switch (col.type) {
      case TypeId::kBoolean:
        for (size_t r = 0; r < n; ++r) static_cast<bool*>(data)[r] = v[r] != 0;
        break;
      case TypeId::kInteger:
      case TypeId::kDate:
        for (size_t r = 0; r < n; ++r) static_cast<int32_t*>(data)[r] = static_cast<int32_t>(v[r]);
        break;
      case TypeId::kBigInt:
      case TypeId::kTimestamp:
      case TypeId::kTimestampTz:
      case TypeId::kDouble:  // bit-copied in and out
        std::memcpy(data, v, n * sizeof(int64_t));
        break;
      default:
        break;
    }
  }
  state->pos += n;
  duckdb_data_chunk_set_size(output, n);
}

}  // namespace

RowBatch::RowBatch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RowBatch::~RowBatch() {
  std::lock_guard<std::mutex> lock(registry_mu);
  Registry().erase(impl_->id);
}

Result<std::unique_ptr<RowBatch>> RowBatch::Make(const std::vector<ColumnInfo>& columns) {
  if (columns.empty()) return InvalidArgument("row batch: no columns");
  auto impl = std::make_unique<Impl>();
  for (const ColumnInfo& c : columns) {
    Impl::Column col;
    col.type = c.type;
    col.fixed = Fixed(c.type);
    impl->columns.push_back(std::move(col));
  }
  impl->info = columns;
  impl->id = next_id.fetch_add(1);
  auto batch = std::make_unique<RowBatch>(std::move(impl));
  std::lock_guard<std::mutex> lock(registry_mu);
  Registry()[batch->impl_->id] = batch->impl_.get();
  return batch;
}

std::string RowBatch::ScanSql() const { return "medlake_row_batch(" + std::to_string(impl_->id) + ")"; }
const std::vector<ColumnInfo>& RowBatch::columns() const { return impl_->info; }
int64_t RowBatch::rows() const { return static_cast<int64_t>(impl_->rows); }
int64_t RowBatch::string_bytes() const { return impl_->string_bytes; }

void RowBatch::Clear() {
  for (Impl::Column& c : impl_->columns) {
    c.values.clear();
    c.sizes.clear();
    c.valid.clear();
    c.heap.clear();
    c.mode = Impl::Mode::kUnset;
  }
  impl_->rows = 0;
  impl_->next = 0;
  impl_->string_bytes = 0;
}

Status RowBatch::AppendNull() {
  MEDLAKE_ASSIGN_OR_RETURN(Impl::Column * c, impl_->Next());
  c->values.push_back(0);
  c->sizes.push_back(0);
  c->valid.push_back(0);
  return Status::OK();
}

Status RowBatch::AppendBool(bool v) {
  MEDLAKE_ASSIGN_OR_RETURN(Impl::Column * c, impl_->Take({TypeId::kBoolean}, "BOOLEAN"));
  impl_->Put(*c, v ? 1 : 0);
  return Status::OK();
}

Status RowBatch::AppendInt64(int64_t v) {
  MEDLAKE_ASSIGN_OR_RETURN(Impl::Column * c, impl_->Take({TypeId::kBigInt, TypeId::kInteger}, "BIGINT"));
  if (c->type == TypeId::kInteger && (v < INT32_MIN || v > INT32_MAX)) {
    return impl_->Refuse(std::to_string(v) + " does not fit an INTEGER column");
  }
  impl_->Put(*c, v);
  return Status::OK();
}

Status RowBatch::AppendDouble(double v) {
  MEDLAKE_ASSIGN_OR_RETURN(Impl::Column * c, impl_->Take({TypeId::kDouble}, "DOUBLE"));
  int64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  impl_->Put(*c, bits);
  return Status::OK();
}

Status RowBatch::AppendString(std::string_view v) {
  MEDLAKE_ASSIGN_OR_RETURN(Impl::Column * c, impl_->TakeText());
  if (c->type != TypeId::kBlob && !simdjson::validate_utf8(v.data(), v.size())) {
    return impl_->Refuse("a text value that is not valid UTF-8");
  }
  return impl_->PutBytes(*c, v);
}

Status RowBatch::AppendBlob(std::string_view v) {
  MEDLAKE_ASSIGN_OR_RETURN(Impl::Column * c, impl_->Take({TypeId::kBlob}, "BLOB"));
  return impl_->PutBytes(*c, v);
}

Status RowBatch::AppendDate(int32_t days) {
  MEDLAKE_ASSIGN_OR_RETURN(Impl::Column * c, impl_->Take({TypeId::kDate}, "DATE"));
  impl_->Put(*c, days);
  return Status::OK();
}

Status RowBatch::AppendTimestamp(int64_t micros) {
  MEDLAKE_ASSIGN_OR_RETURN(Impl::Column * c,
                           impl_->Take({TypeId::kTimestamp, TypeId::kTimestampTz}, "TIMESTAMP"));
  impl_->Put(*c, micros);
  return Status::OK();
}

Status RowBatch::EndRow() {
  if (impl_->next != impl_->columns.size()) {
    return impl_->Refuse("a row of " + std::to_string(impl_->next) + " values for " +
                         std::to_string(impl_->columns.size()) + " columns");
  }
  ++impl_->rows;
  impl_->next = 0;
  return Status::OK();
}

Status RegisterRowBatchFunction(Connection& conn) {
  auto raw = static_cast<duckdb_connection>(conn.NativeHandleForEngine());
  duckdb_table_function f = duckdb_create_table_function();
  duckdb_table_function_set_name(f, "medlake_row_batch");
  duckdb_logical_type id = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
  duckdb_table_function_add_parameter(f, id);
  duckdb_destroy_logical_type(&id);
  duckdb_table_function_set_bind(f, BindFn);
  duckdb_table_function_set_init(f, InitFn);
  duckdb_table_function_set_function(f, ScanFn);
  duckdb_state st = duckdb_register_table_function(raw, f);
  duckdb_destroy_table_function(&f);
  if (st != DuckDBSuccess) return Internal("registering medlake_row_batch failed");
  return Status::OK();
}

}  // namespace medlake::engine
