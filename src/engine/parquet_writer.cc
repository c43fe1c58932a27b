#include "engine/parquet_writer.h"

#include <cstdio>

#include "engine/sql_lexer.h"

namespace medlake::engine {
namespace {

void AppendFieldIds(const ParquetField& f, std::string* out) {
  *out += QuoteIdentifier(f.name);
  *out += ": ";
  if (f.children.empty()) {
    *out += std::to_string(f.field_id);
    return;
  }
  *out += "{__duckdb_field_id: " + std::to_string(f.field_id);
  for (const auto& c : f.children) {
    *out += ", ";
    AppendFieldIds(c, out);
  }
  *out += "}";
}

// Leaf paths as DuckDB prints them in RETURN_STATS ("a"."b") mapped to field ids.
void CollectLeafPaths(const ParquetField& f, const std::string& prefix,
                      std::map<std::string, int>* out) {
  std::string path = prefix.empty() ? QuoteIdentifier(f.name) : prefix + "." + QuoteIdentifier(f.name);
  if (f.children.empty()) {
    (*out)[path] = f.field_id;
    return;
  }
  for (const auto& c : f.children) CollectLeafPaths(c, path, out);
}

// Keeps a column's has_nan = false only where the file's footer confirms it (see
// ParquetColumnStats::has_nan); any doubt leaves it unset.
void ConfirmNoNaN(Connection& conn, const std::string& path, const std::map<std::string, int>& leaf_ids,
                  std::map<int, ParquetColumnStats>* stats) {
  bool claims = false;
  for (const auto& [id, cs] : *stats) claims = claims || cs.has_nan == std::optional<bool>(false);
  if (!claims) return;
  std::map<int, bool> confirmed;
  auto rows = conn.QueryAll(
      "SELECT path_in_schema, count(*) = 1 OR bool_and((stats_min_value IS NOT NULL AND stats_max_value IS NOT "
      "NULL) OR stats_null_count = num_values) FROM parquet_metadata(" + QuoteString(path) + ") GROUP BY ALL");
  if (rows.ok()) {
    for (const auto& row : *rows) {
      if (row.size() != 2) continue;
      auto id = leaf_ids.find(QuoteIdentifier(row[0].ToText()));
      if (id != leaf_ids.end()) confirmed[id->second] = row[1].ToText() == "true";
    }
  }
  for (auto& [id, cs] : *stats) {
    auto it = confirmed.find(id);
    if (cs.has_nan == std::optional<bool>(false) && (it == confirmed.end() || !it->second)) cs.has_nan.reset();
  }
}

std::optional<int64_t> ToInt(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  return static_cast<int64_t>(v);
}

int64_t AsInt64(const Value& v) {
  if (v.kind == Value::Kind::kUInt) return static_cast<int64_t>(v.u);
  if (v.kind == Value::Kind::kInt) return v.i;
  return ToInt(v.ToText()).value_or(0);
}

}  // namespace

std::string FieldIdsLiteral(const std::vector<ParquetField>& fields) {
  std::string out = "{";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ", ";
    AppendFieldIds(fields[i], &out);
  }
  return out + "}";
}

Result<std::vector<WrittenFile>> WriteParquetFiles(Connection& conn, const std::string& query,
                                                   const std::vector<ParquetField>& fields,
                                                   const ParquetWriteOptions& options) {
  if (options.directory.empty()) return InvalidArgument("no directory to write Parquet files to");
  std::string sql = "COPY (" + query + ") TO " + QuoteString(options.directory) +
                    " (FORMAT parquet, COMPRESSION " + QuoteString(options.compression) +
                    ", FIELD_IDS " + FieldIdsLiteral(fields) +
                    ", RETURN_STATS, FILENAME_PATTERN " +
                    QuoteString(options.file_prefix + "-{uuid}") + ", PER_THREAD_OUTPUT false";
  sql += ", OVERWRITE_OR_IGNORE";
  if (options.compression_level) sql += ", COMPRESSION_LEVEL " + std::to_string(*options.compression_level);
  if (options.row_group_rows) sql += ", ROW_GROUP_SIZE " + std::to_string(*options.row_group_rows);
  if (!options.kv_metadata.empty()) {
    sql += ", KV_METADATA {";
    bool first = true;
    for (const auto& [k, v] : options.kv_metadata) {
      sql += (first ? "" : ", ") + QuoteIdentifier(k) + ": " + QuoteString(v);
      first = false;
    }
    sql += "}";
  }
  if (options.target_file_size_bytes > 0 && options.partition_columns.empty()) {
    sql += ", FILE_SIZE_BYTES " + std::to_string(options.target_file_size_bytes);
  }
  if (!options.partition_columns.empty()) {
    sql += ", PARTITION_BY (";
    for (size_t i = 0; i < options.partition_columns.size(); ++i) {
      if (i) sql += ", ";
      sql += QuoteIdentifier(options.partition_columns[i]);
    }
    sql += ")";
  }
  sql += ")";

  std::map<std::string, int> leaf_ids;
  for (const auto& f : fields) CollectLeafPaths(f, "", &leaf_ids);

  MEDLAKE_ASSIGN_OR_RETURN(auto result, conn.Query(sql, /*streaming=*/false));
  MEDLAKE_ASSIGN_OR_RETURN(auto rows, result->FetchAll());
  const auto& cols = result->columns();
  auto col_index = [&cols](const std::string& name) -> int {
    for (size_t i = 0; i < cols.size(); ++i) {
      if (cols[i].name == name) return static_cast<int>(i);
    }
    return -1;
  };
  int c_file = col_index("filename"), c_count = col_index("count"),
      c_size = col_index("file_size_bytes"), c_stats = col_index("column_statistics"),
      c_parts = col_index("partition_keys");
  if (c_file < 0 || c_count < 0 || c_size < 0 || c_stats < 0) {
    return Internal("COPY ... RETURN_STATS returned unexpected columns");
  }
  std::vector<WrittenFile> out;
  for (const auto& row : rows) {
    WrittenFile f;
    f.path = row[c_file].s;
    f.record_count = AsInt64(row[c_count]);
    f.file_size_bytes = AsInt64(row[c_size]);
    if (f.record_count == 0) {
      // DuckDB writes a file even for an empty result; an empty data file is not worth keeping.
      std::remove(f.path.c_str());
      continue;
    }
    const Value& stats = row[c_stats];
    for (size_t k = 0; k + 1 < stats.items.size(); k += 2) {
      auto id = leaf_ids.find(stats.items[k].s);
      if (id == leaf_ids.end()) continue;
      ParquetColumnStats cs;
      const Value& m = stats.items[k + 1];
      for (size_t j = 0; j + 1 < m.items.size(); j += 2) {
        const std::string& key = m.items[j].s;
        const Value& v = m.items[j + 1];
        if (v.is_null()) continue;
        if (key == "column_size_bytes") cs.column_size_bytes = ToInt(v.s).value_or(0);
        if (key == "null_count") cs.null_count = ToInt(v.s);
        if (key == "min") cs.min = v.s;
        if (key == "max") cs.max = v.s;
        if (key == "has_nan") cs.has_nan = v.ToText() == "true";
      }
      f.stats[id->second] = std::move(cs);
    }
    ConfirmNoNaN(conn, f.path, leaf_ids, &f.stats);
    if (c_parts >= 0) {
      const Value& parts = row[c_parts];
      for (size_t k = 0; k + 1 < parts.items.size(); k += 2) {
        f.partition_keys[parts.items[k].s] = parts.items[k + 1].ToText();
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace medlake::engine
