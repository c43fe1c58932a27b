#include "engine/key_index_sql.h"

#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "engine/duckdb_internal.h"
#include "engine/scan_sql.h"
#include "engine/sql_lexer.h"
#include "storage/key_index.h"

namespace medlake::engine {
namespace {

namespace ib = storage::iceberg;
using Json = nlohmann::json;
using storage::KeyIndexStorage;

// Most keys one scan looks up through the key indexes (more: the Parquet scan).
constexpr size_t kMaxKeys = 1024;

// The Iceberg primitive type name of a scan column's JSON type; empty for nested types.
std::string PrimitiveName(const std::string& type_json) {
  Json j = Json::parse(type_json, nullptr, false);
  return j.is_string() ? j.get<std::string>() : std::string();
}

// How a key index stores a column of Iceberg type `type`; nullopt when it does not.
std::optional<KeyIndexStorage> StorageOf(const std::string& type) {
  if (type == "boolean" || type == "int" || type == "long" || type == "date" || type == "timestamp" ||
      type == "timestamptz") {
    return KeyIndexStorage::kInteger;
  }
  if (type == "float" || type == "double") return KeyIndexStorage::kReal;
  if (type == "string") return KeyIndexStorage::kText;
  if (type == "binary") return KeyIndexStorage::kBlob;
  return std::nullopt;
}

// The SQL giving a column's stored value from the scan's column `name` of Iceberg type `type`.
std::string StoredValueSql(const std::string& name, const std::string& type) {
  const std::string c = QuoteIdentifier(name);
  if (type == "boolean" || type == "int" || type == "long") return "CAST(" + c + " AS BIGINT)";
  if (type == "date") return "CAST(date_diff('day', DATE '1970-01-01', " + c + ") AS BIGINT)";
  if (type == "timestamp" || type == "timestamptz") return "epoch_us(" + c + ")";
  if (type == "float" || type == "double") return "CAST(" + c + " AS DOUBLE)";
  return c;
}

bool IsKeyType(const std::string& type) { return type == "string" || type == "int" || type == "long"; }

}  // namespace

int KeyIndexField(const ib::TableMetadata& metadata) {
  auto on = metadata.properties.find(kKeyIndexProperty);
  if (on == metadata.properties.end() || on->second != "true") return 0;
  const ib::SortOrder* order = ib::DefaultSortOrder(metadata);
  if (order == nullptr || order->fields.front().transform.kind != ib::TransformKind::kIdentity) return 0;
  auto schema = ib::CurrentSchema(metadata);
  if (!schema.ok()) return 0;
  const int id = order->fields.front().source_id;
  for (const auto& f : (*schema)->fields) {
    if (f.id == id) return f.type.is_primitive() && IsKeyType(ib::TypeToString(f.type)) ? id : 0;
  }
  return 0;
}

Result<int64_t> BuildKeyIndexes(Connection& conn, const ib::Schema& schema, int key_field_id,
                                const std::vector<storage::ScanDataFile>& files) {
  storage::ScanPlan plan;
  std::vector<storage::KeyIndexColumn> stored;
  std::vector<int> schema_fields;
  std::string select = std::string("SELECT ") + kRowPositionColumn;
  std::optional<storage::KeyIndexColumn> key;
  for (const auto& f : schema.fields) {
    schema_fields.push_back(f.id);
    plan.columns.push_back(storage::ScanColumn{f.id, f.name, ib::TypeToJson(f.type), f.required});
    if (!f.type.is_primitive()) continue;
    const std::string type = ib::TypeToString(f.type);
    auto storage = StorageOf(type);
    if (!storage) continue;
    stored.push_back(storage::KeyIndexColumn{f.id, type, *storage});
    select += ", " + StoredValueSql(f.name, type);
    if (f.id == key_field_id) key = stored.back();
  }
  if (!key || !IsKeyType(key->type)) return InvalidArgument("the key column cannot be indexed");
  int64_t built = 0;
  for (const auto& file : files) {
    // An index that reads back is kept; a missing or refused one (format 1 with REAL columns)
    // is written (again).
    if (::access(storage::KeyIndexPath(file.path).c_str(), F_OK) == 0 &&
        storage::KeyIndexReader::Open(storage::KeyIndexPath(file.path)).ok()) {
      continue;
    }
    plan.data_files = {file};
    MEDLAKE_ASSIGN_OR_RETURN(std::string scan, BuildScanSql(plan, /*with_row_ids=*/true));
    MEDLAKE_ASSIGN_OR_RETURN(auto writer,
                             storage::KeyIndexWriter::Create(file.path, *key, stored, schema_fields));
    MEDLAKE_ASSIGN_OR_RETURN(auto result, conn.Query(select + " FROM (" + scan + ") AS __medlake_f", /*streaming=*/true));
    std::vector<storage::KeyIndexValue> values(stored.size());
    int64_t rows = 0;
    while (true) {
      MEDLAKE_ASSIGN_OR_RETURN(auto chunk, result->Next());
      if (!chunk) break;
      for (size_t r = 0; r < chunk->size(); ++r) {
        for (size_t c = 0; c < stored.size(); ++c) {
          storage::KeyIndexValue& v = values[c];
          v = storage::KeyIndexValue{};
          if (chunk->IsNull(c + 1, r)) continue;
          v.is_null = false;
          switch (stored[c].storage) {
            case KeyIndexStorage::kInteger: v.integer = chunk->GetInt64(c + 1, r); break;
            case KeyIndexStorage::kReal: v.real = chunk->GetDouble(c + 1, r); break;
            default: v.bytes = chunk->GetString(c + 1, r); break;
          }
        }
        MEDLAKE_RETURN_IF_ERROR(writer->AddRow(chunk->GetInt64(0, r), values));
        ++rows;
      }
    }
    MEDLAKE_RETURN_IF_ERROR(writer->Finish(rows));
    ++built;
  }
  return built;
}

std::optional<KeyIndexScan> KeyIndexScanSql(const storage::ScanPlan& plan, int key_field_id, const ib::Schema& schema,
                                            const std::vector<ColumnPredicate>& predicates) {
  if (!plan.delete_files.empty() || plan.columns.empty()) return std::nullopt;
  if (key_field_id <= 0 && plan.data_files.empty()) {
    // A table with no rows (yet): a lookup by any string, int or long column reads no file, so
    // it takes this path too, and a plain lookup of it skips DuckDB's plan.
    for (size_t k = 0; k < predicates.size() && key_field_id <= 0; ++k) {
      const ColumnPredicate& p = predicates[k];
      if (p.op != ColumnPredicate::Op::kEq && p.op != ColumnPredicate::Op::kIn) continue;
      for (const auto& f : schema.fields) {
        if (AsciiLower(f.name) == AsciiLower(p.column) && f.type.is_primitive() && IsKeyType(ib::TypeToString(f.type))) {
          key_field_id = f.id;
          break;
        }
      }
    }
  }
  if (key_field_id <= 0) return std::nullopt;
  const ib::NestedField* key_field = ib::FindFieldById(schema, key_field_id);
  if (key_field == nullptr) return std::nullopt;
  const bool integer_key = ib::TypeToString(key_field->type) != "string";
  // The keys: the first `=` or IN on the key column (case-insensitive name, as DuckDB binds):
  // constants as SQL text of VARCHAR values, parameters apart. A prepared statement's parameter
  // counts for an integer key (its value read as a BIGINT, as the comparison casts it) and for
  // a text key when it stands for a string literal (a value of another type compares
  // differently, DuckDB casting the column: such runs fall back, see KeyOfLiteral).
  std::set<std::string> keys;
  std::vector<std::string> raw_keys;
  std::vector<KeyParameter> parameters;
  bool found = false;
  for (const auto& p : predicates) {
    if (found || (p.op != ColumnPredicate::Op::kEq && p.op != ColumnPredicate::Op::kIn)) continue;
    if (AsciiLower(p.column) != AsciiLower(key_field->name)) continue;
    std::set<std::string> values;
    std::set<std::string> raw;  // the same keys as they are looked up
    std::vector<KeyParameter> params;
    bool usable = !p.values.empty();
    for (const auto& c : p.values) {
      const bool parameter = c.kind == ColumnPredicate::Kind::kParameter;
      int n = 0;
      if (parameter) {
        auto [end, ec] = std::from_chars(c.text.data(), c.text.data() + c.text.size(), n);
        if (ec != std::errc() || end != c.text.data() + c.text.size() || n <= 0) {
          usable = false;
          break;
        }
      }
      if (integer_key && c.kind == ColumnPredicate::Kind::kInteger) {
        raw.insert(c.text);
        values.insert(QuoteString(c.text));
      } else if (integer_key && parameter &&
                 (c.parameter_kind == ColumnPredicate::Kind::kParameter ||
                  c.parameter_kind == ColumnPredicate::Kind::kInteger)) {
        params.push_back(KeyParameter{n, true});
      } else if (!integer_key && c.kind == ColumnPredicate::Kind::kString) {
        raw.insert(c.text);
        values.insert(QuoteString(c.text));
      } else if (!integer_key && parameter &&
                 (c.parameter_kind == ColumnPredicate::Kind::kString ||
                  c.parameter_kind == ColumnPredicate::Kind::kParameter)) {
        // A string literal will stand there, or the run falls back to the statement with its
        // literal in the text (KeyOfLiteral refuses any other form).
        params.push_back(KeyParameter{n, false});
      } else {
        usable = false;
        break;
      }
    }
    if (!usable || values.size() + params.size() > kMaxKeys) continue;
    keys = std::move(values);
    raw_keys.assign(raw.begin(), raw.end());
    parameters = std::move(params);
    found = true;
  }
  if (!found) return std::nullopt;
  // Every column the scan returns must come from every file's key index (or be absent from
  // the file's schema: NULL, as the Parquet scan gives).
  Json columns = Json::array();
  for (const auto& c : plan.columns) {
    const std::string type = PrimitiveName(c.type_json);
    if (!StorageOf(type)) return std::nullopt;
    columns.push_back(Json{{"id", c.field_id}, {"name", c.name}, {"type", type}});
  }
  Json files = Json::array();
  for (const auto& f : plan.data_files) {
    auto reader = storage::BorrowKeyIndexReader(storage::KeyIndexPath(f.path));
    if (!reader.ok()) return std::nullopt;
    if ((*reader)->key_field_id() != key_field_id || (*reader)->record_count() != f.record_count) return std::nullopt;
    const auto& in_file = (*reader)->schema_field_ids();
    for (const auto& c : plan.columns) {
      if ((*reader)->ColumnOf(c.field_id) >= 0) continue;
      if (std::find(in_file.begin(), in_file.end(), c.field_id) != in_file.end()) return std::nullopt;
    }
    files.push_back(storage::KeyIndexPath(f.path));
  }
  Json spec{{"files", files}, {"columns", columns}};
  if (!parameters.empty()) {
    Json params = Json::array();
    for (const auto& p : parameters) params.push_back(Json{{"n", p.n}, {"integer", p.integer}});
    spec["parameters"] = std::move(params);
  }
  std::string key_list;
  for (const auto& k : keys) key_list += (key_list.empty() ? "" : ", ") + k;
  KeyIndexScan scan;
  scan.sql = "SELECT * FROM medlake_key_rows(" + QuoteString(spec.dump()) + ", CAST([" + key_list + "] AS VARCHAR[]))";
  scan.parameters = std::move(parameters);
  for (const auto& f : files) scan.files.push_back(f.get<std::string>());
  scan.keys = std::move(raw_keys);
  scan.key_name = key_field->name;
  for (const auto& c : columns) {
    scan.columns.push_back({c["id"].get<int>(), c["name"].get<std::string>(), c["type"].get<std::string>()});
  }
  return scan;
}

namespace {

// Queues the lookups of `keys` in `files` that may find rows; a batch of fewer than two is
// dropped (see PrefetchKeyLookups).
void PrefetchPairs(const std::vector<std::string>& files, const std::vector<const std::string*>& keys,
                   std::vector<std::pair<const std::string*, const std::string*>>& pairs) {
  for (const auto& file : files) {
    auto range = storage::RememberedKeyIndexRange(file);
    for (const std::string* key : keys) {
      if (!range || range->MayHold(*key)) pairs.emplace_back(&file, key);
    }
  }
}

void StartPrefetch(const std::vector<std::pair<const std::string*, const std::string*>>& pairs) {
  if (pairs.size() < 2 || !storage::KeyIndexPrefetcher::Default().Admit()) return;
  for (const auto& [file, key] : pairs) storage::KeyIndexPrefetcher::Default().Prefetch(*file, *key);
}

}  // namespace

void PrefetchKeyLookups(const std::vector<KeyIndexScan>& scans,
                        const std::vector<std::optional<std::string>>& parameter_values) {
  // One lookup in all (one file, one key): nothing to start beside it.
  size_t lookups = 0;
  for (const auto& scan : scans) lookups += scan.files.size() * (scan.keys.size() + scan.parameters.size());
  if (lookups < 2) return;
  std::vector<std::pair<const std::string*, const std::string*>> pairs;
  for (const auto& scan : scans) {
    std::vector<const std::string*> keys;
    for (const auto& k : scan.keys) keys.push_back(&k);
    for (const auto& p : scan.parameters) {
      const size_t i = static_cast<size_t>(p.n) - 1;
      if (i < parameter_values.size() && parameter_values[i]) keys.push_back(&*parameter_values[i]);
    }
    PrefetchPairs(scan.files, keys, pairs);
  }
  StartPrefetch(pairs);
}

Result<std::optional<std::string>> KeyOfLiteral(std::string_view literal, bool integer_key) {
  using Kind = SimpleLiteral::Kind;
  auto no_key = [] { return InvalidArgument("the parameter's value gives no key"); };
  auto read = ReadSimpleLiteral(literal);
  if (!read) return no_key();
  if (read->kind == Kind::kNull) return std::optional<std::string>();
  if (!integer_key) {
    // A string key: a string literal only (a value of another type compares differently).
    if (read->kind != Kind::kString) return no_key();
    return std::optional<std::string>(std::move(read->text));
  }
  // CAST('text' AS type): the text, for integer types (the comparison casts it to the key's).
  static const char* kIntegerTypes[] = {"bigint", "integer", "smallint", "tinyint", "int8", "int4", "int2"};
  if (read->kind == Kind::kCast &&
      std::find(std::begin(kIntegerTypes), std::end(kIntegerTypes), read->type) == std::end(kIntegerTypes)) {
    return no_key();
  }
  // An integer key: optional sign and decimal digits (DuckDB's cast also trims spaces).
  std::string_view digits = read->text;
  while (!digits.empty() && std::isspace(static_cast<unsigned char>(digits.front()))) digits.remove_prefix(1);
  while (!digits.empty() && std::isspace(static_cast<unsigned char>(digits.back()))) digits.remove_suffix(1);
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return no_key();
  return std::optional<std::string>(std::to_string(value));
}

namespace {

struct OutputColumn {
  int field_id = 0;
  std::string type;  // Iceberg primitive type name
  duckdb_type duck = DUCKDB_TYPE_VARCHAR;
};

// The values of key parameters per registration of the function (one per database: connection
// ids are per database) and connection (KeyParameterValues), read when a scan starts.
using ParameterSlot = std::pair<uint64_t, uint64_t>;
struct SlotHash {
  size_t operator()(const ParameterSlot& s) const { return std::hash<uint64_t>()(s.first * 0x9E3779B97F4A7C15ull ^ s.second); }
};
std::mutex parameter_mu;
std::unordered_map<ParameterSlot, const std::vector<std::optional<std::string>>*, SlotHash>& ParameterValues() {
  static auto* values = new std::unordered_map<ParameterSlot, const std::vector<std::optional<std::string>>*, SlotHash>();
  return *values;
}
std::atomic<uint64_t> next_registration{1};

struct KeyRowsBind {
  std::vector<std::string> files;
  std::vector<std::string> keys;  // the constant keys
  std::vector<KeyParameter> parameters;
  ParameterSlot slot;  // where the parameters' values are
  std::vector<OutputColumn> columns;
};


uint64_t ConnectionId(duckdb_client_context context) {
  const uint64_t id = duckdb_client_context_get_connection_id(context);
  duckdb_destroy_client_context(&context);
  return id;
}

struct KeyRowsState {
  std::vector<std::string> keys;  // this run's keys: the constants and the parameters' values
  size_t file = 0;
  size_t key = 0;
  bool in_lookup = false;
  std::optional<storage::PooledKeyIndexReader> reader;
  std::vector<int> positions;  // per output column: position among the reader's stored columns, or -1
  std::vector<int> lookup;     // the stored columns the lookup reads
  std::vector<storage::KeyIndexValue> values;
};

duckdb_type DuckTypeOf(const std::string& type) {
  if (type == "boolean") return DUCKDB_TYPE_BOOLEAN;
  if (type == "int") return DUCKDB_TYPE_INTEGER;
  if (type == "long") return DUCKDB_TYPE_BIGINT;
  if (type == "date") return DUCKDB_TYPE_DATE;
  if (type == "timestamp") return DUCKDB_TYPE_TIMESTAMP;
  if (type == "timestamptz") return DUCKDB_TYPE_TIMESTAMP_TZ;
  if (type == "float") return DUCKDB_TYPE_FLOAT;
  if (type == "double") return DUCKDB_TYPE_DOUBLE;
  if (type == "binary") return DUCKDB_TYPE_BLOB;
  return DUCKDB_TYPE_VARCHAR;
}

void KeyRowsBindFn(duckdb_bind_info info) {
  duckdb_value arg = duckdb_bind_get_parameter(info, 0);
  char* text = duckdb_get_varchar(arg);
  duckdb_destroy_value(&arg);
  Json spec = Json::parse(text != nullptr ? text : "", nullptr, false);
  duckdb_free(text);
  auto bind = std::make_unique<KeyRowsBind>();
  duckdb_value keys = duckdb_bind_get_parameter(info, 1);
  if (!duckdb_is_null_value(keys)) {
    const idx_t n = duckdb_get_list_size(keys);
    for (idx_t i = 0; i < n; ++i) {
      duckdb_value k = duckdb_get_list_child(keys, i);
      if (!duckdb_is_null_value(k)) {  // NULL equals nothing
        char* key = duckdb_get_varchar(k);
        if (key != nullptr) bind->keys.emplace_back(key);
        duckdb_free(key);
      }
      duckdb_destroy_value(&k);
    }
  }
  duckdb_destroy_value(&keys);
  if (!spec.is_object() || !spec["files"].is_array() || !spec["columns"].is_array() ||
      spec["columns"].empty()) {
    duckdb_bind_set_error(info, "medlake_key_rows: bad specification");
    return;
  }
  for (const auto& f : spec["files"]) {
    if (!f.is_string()) continue;
    std::string path = f.get<std::string>();
    // Only key indexes: this function reads nothing else.
    if (path.size() <= storage::kKeyIndexSuffix.size() ||
        path.compare(path.size() - storage::kKeyIndexSuffix.size(), std::string::npos, storage::kKeyIndexSuffix) != 0 ||
        path.find("/../") != std::string::npos) {
      duckdb_bind_set_error(info, "medlake_key_rows: not a key index");
      return;
    }
    bind->files.push_back(std::move(path));
  }
  for (const auto& c : spec["columns"]) {
    if (!c.is_object() || !c["id"].is_number_integer() || !c["name"].is_string() || !c["type"].is_string()) {
      duckdb_bind_set_error(info, "medlake_key_rows: bad column");
      return;
    }
    OutputColumn out{c["id"].get<int>(), c["type"].get<std::string>(), DUCKDB_TYPE_VARCHAR};
    out.duck = DuckTypeOf(out.type);
    duckdb_logical_type t = duckdb_create_logical_type(out.duck);
    duckdb_bind_add_result_column(info, c["name"].get<std::string>().c_str(), t);
    duckdb_destroy_logical_type(&t);
    bind->columns.push_back(std::move(out));
  }
  if (spec.contains("parameters")) {
    for (const auto& p : spec["parameters"]) {
      if (!p.is_object() || !p["n"].is_number_integer() || p["n"].get<int>() <= 0 || !p["integer"].is_boolean()) {
        duckdb_bind_set_error(info, "medlake_key_rows: bad parameter");
        return;
      }
      bind->parameters.push_back(KeyParameter{p["n"].get<int>(), p["integer"].get<bool>()});
    }
    duckdb_client_context context = nullptr;
    duckdb_table_function_get_client_context(info, &context);
    bind->slot = {*static_cast<const uint64_t*>(duckdb_bind_get_extra_info(info)), ConnectionId(context)};
  }
  // Constant keys: the lookups start now, while DuckDB plans (a statement with parameter keys
  // has them started by the session, which knows the values: PrefetchKeyLookups).
  if (bind->parameters.empty()) {
    std::vector<const std::string*> constant_keys;
    for (const auto& k : bind->keys) constant_keys.push_back(&k);
    std::vector<std::pair<const std::string*, const std::string*>> pairs;
    PrefetchPairs(bind->files, constant_keys, pairs);
    StartPrefetch(pairs);
  }
  duckdb_bind_set_cardinality(info, (bind->keys.size() + bind->parameters.size()) * 32, false);
  duckdb_bind_set_bind_data(info, bind.release(), [](void* p) { delete static_cast<KeyRowsBind*>(p); });
}

void KeyRowsInitFn(duckdb_init_info info) {
  duckdb_init_set_max_threads(info, 1);
  const auto* bind = static_cast<const KeyRowsBind*>(duckdb_init_get_bind_data(info));
  auto state = std::make_unique<KeyRowsState>();
  std::set<std::string> keys(bind->keys.begin(), bind->keys.end());
  if (!bind->parameters.empty()) {
    std::lock_guard<std::mutex> lock(parameter_mu);
    auto it = ParameterValues().find(bind->slot);
    for (const auto& p : bind->parameters) {
      if (it == ParameterValues().end() || static_cast<size_t>(p.n) > it->second->size()) {
        duckdb_init_set_error(info, ("medlake_key_rows: no value for $" + std::to_string(p.n)).c_str());
        return;
      }
      const auto& value = (*it->second)[static_cast<size_t>(p.n) - 1];
      if (value) keys.insert(*value);  // NULL equals nothing
    }
  }
  state->keys.assign(keys.begin(), keys.end());
  duckdb_init_set_init_data(info, state.release(), [](void* p) { delete static_cast<KeyRowsState*>(p); });
}

// Maps output columns (by field id) onto a key index's stored columns: for each, its place in
// the lookup's values (-1: the file predates the column, NULL), and the stored columns to read.
Status MapColumns(const storage::KeyIndexReader& reader, const std::string& path, const std::vector<int>& field_ids,
                  std::vector<int>& positions, std::vector<int>& lookup) {
  positions.clear();
  lookup.clear();
  for (int field_id : field_ids) {
    int p = reader.ColumnOf(field_id);
    if (p < 0) {
      const auto& in_file = reader.schema_field_ids();
      if (std::find(in_file.begin(), in_file.end(), field_id) != in_file.end()) {
        return DataLoss("key index " + path + " lacks column " + std::to_string(field_id));
      }
      positions.push_back(-1);
      continue;
    }
    positions.push_back(static_cast<int>(lookup.size()));
    lookup.push_back(p);
  }
  return Status::OK();
}

// A reader of the key index at `path` if the file may hold one of `keys`; nullopt if it cannot.
// A file whose key range is remembered (storage::RememberedKeyIndexRange: known once any
// reader of it was opened) is passed over without borrowing a reader: a scan by a parameter
// lists every file of the table.
Result<std::optional<storage::PooledKeyIndexReader>> BorrowIfMayHold(const std::string& path,
                                                                     const std::vector<std::string>& keys) {
  auto may_hold = [&](const storage::KeyIndexRange& range) {
    return std::any_of(keys.begin(), keys.end(), [&](const std::string& k) { return range.MayHold(k); });
  };
  std::optional<storage::PooledKeyIndexReader> out;
  if (auto range = storage::RememberedKeyIndexRange(path); range && !may_hold(*range)) return out;
  MEDLAKE_ASSIGN_OR_RETURN(auto reader, storage::BorrowKeyIndexReader(path));
  if (may_hold(reader->range())) out.emplace(std::move(reader));
  return out;
}

void WriteCell(duckdb_vector vec, const OutputColumn& c, idx_t row, const storage::KeyIndexValue& v) {
  switch (c.duck) {
    case DUCKDB_TYPE_BOOLEAN: static_cast<bool*>(duckdb_vector_get_data(vec))[row] = v.integer != 0; break;
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_DATE: static_cast<int32_t*>(duckdb_vector_get_data(vec))[row] = static_cast<int32_t>(v.integer); break;
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ: static_cast<int64_t*>(duckdb_vector_get_data(vec))[row] = v.integer; break;
    case DUCKDB_TYPE_FLOAT: static_cast<float*>(duckdb_vector_get_data(vec))[row] = static_cast<float>(v.real); break;
    case DUCKDB_TYPE_DOUBLE: static_cast<double*>(duckdb_vector_get_data(vec))[row] = v.real; break;
    default: duckdb_vector_assign_string_element_len(vec, row, v.bytes.data(), v.bytes.size()); break;
  }
}

// Writes one key index row (its `values`, placed by `positions` as MapColumns made them) into
// row `row` of `vectors`; a column the file lacks or a NULL value is invalid.
void WriteRow(const std::vector<duckdb_vector>& vectors, const std::vector<OutputColumn>& columns,
              const std::vector<int>& positions, const std::vector<storage::KeyIndexValue>& values, idx_t row) {
  for (size_t c = 0; c < columns.size(); ++c) {
    const int p = positions[c];
    if (p < 0 || values[static_cast<size_t>(p)].is_null) {
      duckdb_validity_set_row_invalid(duckdb_vector_get_validity(vectors[c]), row);
      continue;
    }
    WriteCell(vectors[c], columns[c], row, values[static_cast<size_t>(p)]);
  }
}

void KeyRowsFn(duckdb_function_info info, duckdb_data_chunk output) {
  const auto* bind = static_cast<const KeyRowsBind*>(duckdb_function_get_bind_data(info));
  auto* state = static_cast<KeyRowsState*>(duckdb_function_get_init_data(info));
  const idx_t capacity = duckdb_vector_size();
  std::vector<duckdb_vector> vectors(bind->columns.size());
  for (size_t c = 0; c < vectors.size(); ++c) {
    vectors[c] = duckdb_data_chunk_get_vector(output, c);
    duckdb_vector_ensure_validity_writable(vectors[c]);
  }
  idx_t row = 0;
  auto fail = [&](const Status& st) { duckdb_function_set_error(info, ("medlake_key_rows: " + st.message()).c_str()); };
  while (row < capacity && state->file < bind->files.size()) {
    if (!state->reader) {
      const std::string& path = bind->files[state->file];
      auto reader = BorrowIfMayHold(path, state->keys);
      if (!reader.ok()) return fail(reader.status());
      if (!*reader) {
        ++state->file;
        continue;
      }
      state->reader.emplace(std::move(**reader));
      std::vector<int> field_ids;
      for (const auto& c : bind->columns) field_ids.push_back(c.field_id);
      if (Status st = MapColumns(**state->reader, path, field_ids, state->positions, state->lookup); !st.ok()) {
        return fail(st);
      }
    }
    if (!state->in_lookup) {
      if (state->key >= state->keys.size()) {
        state->reader.reset();
        state->key = 0;
        ++state->file;
        continue;
      }
      if (!(*state->reader)->range().MayHold(state->keys[state->key])) {
        ++state->key;
        continue;
      }
      if (Status st = (*state->reader)->Lookup(state->keys[state->key], state->lookup); !st.ok()) return fail(st);
      state->in_lookup = true;
    }
    int64_t pos = 0;
    auto next = (*state->reader)->Next(&pos, &state->values);
    if (!next.ok()) return fail(next.status());
    if (!*next) {
      state->in_lookup = false;
      ++state->key;
      continue;
    }
    WriteRow(vectors, bind->columns, state->positions, state->values, row);
    ++row;
  }
  duckdb_data_chunk_set_size(output, row);
}

}  // namespace

KeyParameterValues::KeyParameterValues(uint64_t registration, Connection& conn,
                                       const std::vector<std::optional<std::string>>& values) {
  duckdb_client_context context = nullptr;
  duckdb_connection_get_client_context(static_cast<duckdb_connection>(conn.NativeHandleForEngine()), &context);
  registration_ = registration;
  connection_id_ = ConnectionId(context);
  std::lock_guard<std::mutex> lock(parameter_mu);
  ParameterValues()[{registration_, connection_id_}] = &values;
}

KeyParameterValues::~KeyParameterValues() {
  std::lock_guard<std::mutex> lock(parameter_mu);
  ParameterValues().erase({registration_, connection_id_});
}

Result<uint64_t> RegisterKeyIndexFunction(Connection& conn) {
  auto raw = static_cast<duckdb_connection>(conn.NativeHandleForEngine());
  duckdb_table_function f = duckdb_create_table_function();
  duckdb_table_function_set_name(f, "medlake_key_rows");
  duckdb_logical_type v = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  duckdb_logical_type list = duckdb_create_list_type(v);
  duckdb_table_function_add_parameter(f, v);
  duckdb_table_function_add_parameter(f, list);
  duckdb_destroy_logical_type(&list);
  duckdb_destroy_logical_type(&v);
  duckdb_table_function_set_bind(f, KeyRowsBindFn);
  duckdb_table_function_set_init(f, KeyRowsInitFn);
  duckdb_table_function_set_function(f, KeyRowsFn);
  const uint64_t registration = next_registration++;
  duckdb_table_function_set_extra_info(f, new uint64_t(registration), [](void* p) { delete static_cast<uint64_t*>(p); });
  duckdb_state st = duckdb_register_table_function(raw, f);
  duckdb_destroy_table_function(&f);
  if (st != DuckDBSuccess) return Internal("registering SQL function medlake_key_rows");
  return registration;
}

std::optional<DirectKeyLookup> DirectKeyLookupOf(std::string_view statement, const std::vector<KeyIndexScan>& scans,
                                                 size_t tables_read) {
  if (scans.size() != 1 || tables_read != 1) return std::nullopt;
  const KeyIndexScan& scan = scans[0];
  if (!scan.unrestricted || !scan.keys.empty() || scan.parameters.empty() || scan.columns.empty()) {
    return std::nullopt;
  }
  auto tokens = TokenizeSql(statement);
  if (!tokens.ok()) return std::nullopt;
  const auto& t = *tokens;
  size_t i = 0;
  auto word = [&](std::string_view kw) { return i < t.size() && t[i].IsKeyword(kw); };
  auto symbol = [&](std::string_view sym) { return i < t.size() && t[i].IsSymbol(sym); };
  auto identifier = [&] {
    static const char* kReserved[] = {"SELECT", "FROM",  "WHERE", "AS",       "AT",  "JOIN",  "ON",   "USING",
                                      "LIMIT",  "ORDER", "GROUP", "UNION",    "ALL", "BY",    "ASC",  "DESC",
                                      "NULLS",  "IN",    "AND",   "DISTINCT", "OR",  "NOT",   "IS",   "OFFSET",
                                      "HAVING", "QUALIFY", "WINDOW", "EXCEPT", "INTERSECT", "LIKE", "BETWEEN"};
    if (i >= t.size() || !t[i].IsIdentifier()) return false;
    if (t[i].kind == SqlToken::Kind::kWord) {
      for (const char* r : kReserved) {
        if (t[i].upper == r) return false;
      }
    }
    return true;
  };
  auto parameter = [&]() -> int {
    auto n = i < t.size() ? ParameterNumber(t[i]) : std::nullopt;
    return n && *n <= 100000 ? static_cast<int>(*n) : 0;
  };
  // [qualifier.]name: the name, lower case, and its qualifier (empty: none).
  struct Name {
    std::string qualifier, name;
  };
  auto column_name = [&]() -> std::optional<Name> {
    if (!identifier()) return std::nullopt;
    Name n{"", AsciiLower(t[i].text)};
    ++i;
    if (symbol(".") && i + 1 < t.size() && t[i + 1].IsIdentifier()) {
      ++i;
      if (!identifier()) return std::nullopt;
      n.qualifier = std::move(n.name);
      n.name = AsciiLower(t[i].text);
      ++i;
    }
    return n;
  };
  DirectKeyLookup lookup;
  std::vector<std::string> qualifiers;  // the item and ORDER BY qualifiers, checked once FROM is read
  std::vector<std::string> aliases;     // per item: its output name when given with AS (lower case)
  if (!word("SELECT")) return std::nullopt;
  ++i;
  while (true) {
    DirectKeyLookup::Item item;
    std::string alias;
    if (symbol("*")) {
      item.kind = DirectKeyLookup::Item::Kind::kStar;
      ++i;
    } else if (int n = parameter(); n > 0) {
      item.kind = DirectKeyLookup::Item::Kind::kValue;
      item.parameter = n;
      ++i;
      if (!word("AS")) return std::nullopt;
      ++i;
      if (!identifier()) return std::nullopt;
      alias = AsciiLower(t[i].text);
      ++i;
    } else if (identifier() && i + 2 < t.size() && t[i + 1].IsSymbol(".") && t[i + 2].IsSymbol("*")) {
      item.kind = DirectKeyLookup::Item::Kind::kStar;
      qualifiers.push_back(AsciiLower(t[i].text));
      i += 3;
    } else {
      auto column = column_name();
      if (!column) return std::nullopt;
      if (!column->qualifier.empty()) qualifiers.push_back(column->qualifier);
      item.column = column->name;
      if (word("AS")) {
        ++i;
        if (!identifier()) return std::nullopt;
      }
      if (identifier()) {
        alias = AsciiLower(t[i].text);
        ++i;
      }
    }
    lookup.items.push_back(std::move(item));
    aliases.push_back(std::move(alias));
    if (!symbol(",")) break;
    ++i;
  }
  if (!word("FROM")) return std::nullopt;
  ++i;
  if (!identifier()) return std::nullopt;
  std::string table = AsciiLower(t[i].text);
  ++i;
  while (symbol(".")) {
    ++i;
    if (!identifier()) return std::nullopt;
    table = AsciiLower(t[i].text);
    ++i;
  }
  if (word("AS")) {
    ++i;
    if (!identifier()) return std::nullopt;
  }
  if (identifier()) {
    table = AsciiLower(t[i].text);  // an alias: the table is named by it alone
    ++i;
  }
  if (!word("WHERE")) return std::nullopt;
  ++i;
  auto key = column_name();
  if (!key || key->name != AsciiLower(scan.key_name)) return std::nullopt;
  if (!key->qualifier.empty()) qualifiers.push_back(key->qualifier);
  if (symbol("=")) {
    ++i;
    int n = parameter();
    if (n <= 0) return std::nullopt;
    lookup.parameters.push_back(n);
    ++i;
  } else if (word("IN")) {
    ++i;
    if (!symbol("(")) return std::nullopt;
    ++i;
    while (true) {
      int n = parameter();
      if (n <= 0) return std::nullopt;
      lookup.parameters.push_back(n);
      ++i;
      if (!symbol(",")) break;
      ++i;
    }
    if (!symbol(")")) return std::nullopt;
    ++i;
  } else {
    return std::nullopt;
  }
  if (word("ORDER")) {
    ++i;
    if (!word("BY")) return std::nullopt;
    ++i;
    while (true) {
      auto n = column_name();
      if (!n) return std::nullopt;
      if (!n->qualifier.empty()) {
        qualifiers.push_back(n->qualifier);
      } else {
        // An unqualified name that is an item's alias orders by that item: taken only when the
        // alias names the column it stands for.
        for (size_t k = 0; k < aliases.size(); ++k) {
          if (aliases[k] == n->name &&
              (lookup.items[k].kind != DirectKeyLookup::Item::Kind::kColumn || lookup.items[k].column != n->name)) {
            return std::nullopt;
          }
        }
      }
      DirectKeyLookup::Order order;
      order.source = scan.columns.size();
      for (size_t c = 0; c < scan.columns.size(); ++c) {
        if (AsciiLower(scan.columns[c].name) == n->name) order.source = c;
      }
      if (order.source == scan.columns.size()) return std::nullopt;
      const std::string& type = scan.columns[order.source].type;
      if (!(type == "string" || type == "binary" || type == "boolean" || type == "int" || type == "long" ||
            type == "date" || type == "timestamp" || type == "timestamptz")) {
        return std::nullopt;
      }
      if (word("ASC")) {
        ++i;
      } else if (word("DESC")) {
        order.descending = true;
        ++i;
      }
      if (word("NULLS")) {
        ++i;
        if (word("FIRST")) {
          order.nulls_first = true;
        } else if (!word("LAST")) {
          return std::nullopt;
        }
        ++i;
      }
      lookup.order.push_back(order);
      if (!symbol(",")) break;
      ++i;
    }
  }
  if (word("LIMIT")) {
    ++i;
    const auto limit = i < t.size() ? PlainIntegerToken(t[i]) : std::nullopt;
    if (!limit) return std::nullopt;
    lookup.limit = *limit;
    ++i;
  }
  if (symbol(";")) ++i;
  if (i != t.size()) return std::nullopt;
  for (const auto& q : qualifiers) {
    if (q != table) return std::nullopt;
  }
  // The keys are exactly the scan's parameters; a value item is no key.
  std::set<int> in_where(lookup.parameters.begin(), lookup.parameters.end());
  std::set<int> in_scan;
  for (const auto& p : scan.parameters) in_scan.insert(p.n);
  if (in_where != in_scan) return std::nullopt;
  for (const auto& item : lookup.items) {
    if (item.kind == DirectKeyLookup::Item::Kind::kValue && in_where.count(item.parameter) != 0) return std::nullopt;
  }
  lookup.scan = scan;
  lookup.integer_key = scan.parameters[0].integer;
  return lookup;
}

// What a direct lookup reads and writes, the same for each run (RunDirectKeyLookup).
struct DirectKeyLayout {
  std::vector<int> field_ids;     // the scan columns read, each once: the result's, then those only ordered by
  std::vector<int> from;          // per result column: its place in field_ids, or -1: a value
  std::vector<OutputColumn> out;  // per result column, how it is written
  std::vector<duckdb_type> types;
  std::vector<size_t> order_at;   // per ORDER BY column: its place in field_ids
  std::vector<bool> order_text;   // per ORDER BY column: compared byte by byte
  std::shared_ptr<const std::vector<ColumnInfo>> columns;  // the result's
};

namespace {

std::shared_ptr<const DirectKeyLayout> LayoutOf(const DirectKeyLookup& lookup) {
  auto layout = std::make_shared<DirectKeyLayout>();
  std::vector<int> read_at(lookup.scan.columns.size(), -1);
  auto read = [&](size_t source) {
    if (read_at[source] < 0) {
      read_at[source] = static_cast<int>(layout->field_ids.size());
      layout->field_ids.push_back(lookup.scan.columns[source].field_id);
    }
    return static_cast<size_t>(read_at[source]);
  };
  for (size_t c = 0; c < lookup.sources.size(); ++c) {
    const int source = lookup.sources[c];
    if (source >= 0) {
      const auto& col = lookup.scan.columns[static_cast<size_t>(source)];
      layout->out.push_back(OutputColumn{col.field_id, col.type, DuckTypeOf(col.type)});
      layout->from.push_back(static_cast<int>(read(static_cast<size_t>(source))));
      continue;
    }
    layout->from.push_back(-1);
    switch (lookup.result_columns[c].type) {
      case TypeId::kInteger: layout->out.push_back(OutputColumn{0, "int", DUCKDB_TYPE_INTEGER}); break;
      case TypeId::kBigInt: layout->out.push_back(OutputColumn{0, "long", DUCKDB_TYPE_BIGINT}); break;
      default: layout->out.push_back(OutputColumn{0, "string", DUCKDB_TYPE_VARCHAR}); break;
    }
  }
  for (const auto& c : layout->out) layout->types.push_back(c.duck);
  for (const auto& o : lookup.order) {
    layout->order_at.push_back(read(o.source));
    const std::string& type = lookup.scan.columns[o.source].type;
    layout->order_text.push_back(type == "string" || type == "binary");
  }
  layout->columns = std::make_shared<const std::vector<ColumnInfo>>(lookup.result_columns);
  return layout;
}

}  // namespace

bool MatchResultColumns(DirectKeyLookup& lookup, const std::vector<ColumnInfo>& plan_columns) {
  using Kind = DirectKeyLookup::Item::Kind;
  lookup.result_columns.clear();
  lookup.sources.clear();
  lookup.layout.reset();
  size_t stars = 0;
  for (const auto& item : lookup.items) stars += item.kind == Kind::kStar ? 1 : 0;
  const size_t named = lookup.items.size() - stars;
  if (stars > 1 || plan_columns.empty() || (stars == 0 && plan_columns.size() != named) ||
      (stars == 1 && plan_columns.size() <= named)) {
    return false;
  }
  const size_t star_width = plan_columns.size() - named;
  auto source_of = [&](const std::string& name, TypeId type) -> int {
    const std::string lower = AsciiLower(name);
    for (size_t j = 0; j < lookup.scan.columns.size(); ++j) {
      if (AsciiLower(lookup.scan.columns[j].name) != lower) continue;
      if (static_cast<int>(type) != static_cast<int>(DuckTypeOf(lookup.scan.columns[j].type))) return -1;
      return static_cast<int>(j);
    }
    return -1;
  };
  size_t at = 0;
  for (const auto& item : lookup.items) {
    if (item.kind == Kind::kStar) {
      for (size_t k = 0; k < star_width; ++k, ++at) {
        int source = source_of(plan_columns[at].name, plan_columns[at].type);
        if (source < 0) return false;
        lookup.sources.push_back(source);
      }
    } else if (item.kind == Kind::kColumn) {
      int source = source_of(item.column, plan_columns[at].type);
      if (source < 0) return false;
      lookup.sources.push_back(source);
      ++at;
    } else {
      const TypeId type = plan_columns[at].type;
      if (type != TypeId::kInteger && type != TypeId::kBigInt && type != TypeId::kVarchar) return false;
      lookup.sources.push_back(-item.parameter);
      ++at;
    }
  }
  lookup.result_columns = plan_columns;
  lookup.layout = LayoutOf(lookup);
  return true;
}

namespace {

// Buffers a direct lookup reuses from one run to the next on its thread (a point query's run
// would otherwise allocate each of them again).
struct DirectScratch {
  std::vector<int> positions, columns;
  std::vector<storage::KeyIndexValue> values, ordered, constants;
  std::vector<std::string> keys;
};

// Calls `row` with each key index row of the lookup's files and keys (the values of
// `field_ids`, in that order; a column a file lacks is NULL), in file order, then key order,
// until it returns false. The values' bytes are valid during the call only.
template <typename RowFn>
Status ForEachKeyRow(const DirectKeyLookup& lookup, const std::vector<std::string>& keys, const std::vector<int>& field_ids,
                     DirectScratch& scratch, RowFn&& row) {
  std::vector<storage::KeyIndexValue>& values = scratch.values;
  std::vector<storage::KeyIndexValue>& ordered = scratch.ordered;
  ordered.assign(field_ids.size(), storage::KeyIndexValue{});
  for (const auto& path : lookup.scan.files) {
    MEDLAKE_ASSIGN_OR_RETURN(auto borrowed, BorrowIfMayHold(path, keys));
    if (!borrowed) continue;
    storage::PooledKeyIndexReader& reader = *borrowed;
    MEDLAKE_RETURN_IF_ERROR(MapColumns(*reader, path, field_ids, scratch.positions, scratch.columns));
    for (const auto& key : keys) {
      if (!reader->range().MayHold(key)) continue;
      MEDLAKE_RETURN_IF_ERROR(reader->Lookup(key, scratch.columns));
      while (true) {
        int64_t pos = 0;
        MEDLAKE_ASSIGN_OR_RETURN(bool more, reader->Next(&pos, &values));
        if (!more) break;
        for (size_t c = 0; c < field_ids.size(); ++c) {
          const int p = scratch.positions[c];
          ordered[c] = p < 0 ? storage::KeyIndexValue{} : values[static_cast<size_t>(p)];
        }
        if (!row(ordered)) return Status::OK();
      }
    }
  }
  return Status::OK();
}

// A copy of a key index value that owns its bytes.
struct HeldValue {
  bool is_null = true;
  int64_t integer = 0;
  double real = 0;
  std::string bytes;
  storage::KeyIndexValue View() const { return storage::KeyIndexValue{is_null, integer, real, bytes}; }
};

}  // namespace

Result<std::unique_ptr<QueryResult>> RunDirectKeyLookup(const DirectKeyLookup& lookup,
                                                        const std::vector<std::optional<std::string>>& keys,
                                                        const std::vector<DirectValue>& values) {
  if (!lookup.layout) return FailedPrecondition("direct key lookup: its result columns were not matched");
  const DirectKeyLayout& layout = *lookup.layout;
  const size_t width = layout.out.size();
  // Not reentrant: nothing a run calls runs another direct lookup.
  thread_local DirectScratch scratch;
  std::vector<storage::KeyIndexValue>& constants = scratch.constants;
  constants.assign(width, storage::KeyIndexValue{});
  for (size_t c = 0; c < width; ++c) {
    if (layout.from[c] >= 0) continue;
    const size_t n = static_cast<size_t>(-lookup.sources[c]);
    if (n > values.size()) return InvalidArgument("there is no value for parameter $" + std::to_string(n));
    storage::KeyIndexValue& v = constants[c];
    v.is_null = false;
    if (layout.out[c].duck == DUCKDB_TYPE_VARCHAR) {
      v.bytes = values[n - 1].text;
    } else {
      v.integer = values[n - 1].integer;
    }
  }
  std::vector<std::string>& distinct = scratch.keys;
  distinct.clear();
  for (int n : lookup.parameters) {
    if (static_cast<size_t>(n) <= keys.size() && keys[static_cast<size_t>(n) - 1]) {
      distinct.push_back(*keys[static_cast<size_t>(n) - 1]);  // NULL equals nothing
    }
  }
  if (distinct.size() > 1) {
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  }

  std::vector<std::unique_ptr<DataChunk::Impl>> chunks;
  const idx_t capacity = duckdb_vector_size();
  idx_t row = capacity;  // the current chunk is full: start one at the first row
  int64_t left = lookup.limit.value_or(std::numeric_limits<int64_t>::max());
  // Writes a row unless the limit is reached; whether more rows are wanted.
  auto write = [&](const std::vector<storage::KeyIndexValue>& read_values) {
    if (left <= 0) return false;
    --left;
    if (row == capacity) {
      if (!chunks.empty()) duckdb_data_chunk_set_size(chunks.back()->chunk, row);
      chunks.push_back(internal::NewBuiltChunk(layout.types));
      row = 0;
    }
    const std::vector<duckdb_vector>& vectors = chunks.back()->vectors;
    for (size_t c = 0; c < width; ++c) {
      const int from = layout.from[c];
      const storage::KeyIndexValue& v = from < 0 ? constants[c] : read_values[static_cast<size_t>(from)];
      if (v.is_null) {
        duckdb_vector_ensure_validity_writable(vectors[c]);
        duckdb_validity_set_row_invalid(duckdb_vector_get_validity(vectors[c]), row);
      } else {
        WriteCell(vectors[c], layout.out[c], row, v);
      }
    }
    ++row;
    return left > 0;
  };
  if (left <= 0) {
    // LIMIT 0: no rows (nothing is read).
  } else if (lookup.order.empty()) {
    MEDLAKE_RETURN_IF_ERROR(ForEachKeyRow(lookup, distinct, layout.field_ids, scratch, write));
  } else {
    // Held, then sorted as DuckDB orders (see DirectKeyLookup); ties keep file order.
    std::vector<std::vector<HeldValue>> held;
    MEDLAKE_RETURN_IF_ERROR(
        ForEachKeyRow(lookup, distinct, layout.field_ids, scratch, [&](const std::vector<storage::KeyIndexValue>& r) {
          auto& h = held.emplace_back(r.size());
          for (size_t c = 0; c < r.size(); ++c) h[c] = HeldValue{r[c].is_null, r[c].integer, r[c].real, std::string(r[c].bytes)};
          return true;
        }));
    std::stable_sort(held.begin(), held.end(), [&](const std::vector<HeldValue>& a, const std::vector<HeldValue>& b) {
      for (size_t k = 0; k < lookup.order.size(); ++k) {
        const HeldValue& x = a[layout.order_at[k]];
        const HeldValue& y = b[layout.order_at[k]];
        if (x.is_null || y.is_null) {
          if (x.is_null && y.is_null) continue;
          return x.is_null == lookup.order[k].nulls_first;
        }
        const int cmp = layout.order_text[k] ? x.bytes.compare(y.bytes)
                                             : (x.integer < y.integer ? -1 : x.integer > y.integer ? 1 : 0);
        if (cmp != 0) return lookup.order[k].descending ? cmp > 0 : cmp < 0;
      }
      return false;
    });
    std::vector<storage::KeyIndexValue> views(layout.field_ids.size());
    for (const auto& h : held) {
      for (size_t c = 0; c < h.size(); ++c) views[c] = h[c].View();
      if (!write(views)) break;
    }
  }
  if (!chunks.empty()) duckdb_data_chunk_set_size(chunks.back()->chunk, row);
  return internal::QueryResultOfChunks(layout.columns, std::move(chunks));
}

}  // namespace medlake::engine
