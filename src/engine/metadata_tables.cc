#include "engine/metadata_tables.h"

#include <map>
#include <set>

#include "engine/sql_lexer.h"
#include "storage/iceberg/transform.h"
#include "storage/iceberg/types.h"

namespace medlake::engine {

namespace ib = storage::iceberg;

namespace {

std::string Lit(const std::string& s) { return QuoteString(s); }
std::string Lit(int64_t v) { return std::to_string(v) + "::BIGINT"; }
std::string OptLit(const std::optional<int64_t>& v) { return v ? Lit(*v) : "NULL::BIGINT"; }
std::string Millis(int64_t ms) { return "make_timestamptz(" + std::to_string(ms) + "::BIGINT * 1000)"; }

// "{name=Madrid, day=2024-01-01}" in Iceberg's human form.
std::string PartitionText(const storage::LakeTable& table, int32_t spec_id,
                          const std::vector<ib::Value>& values) {
  auto spec = ib::FindPartitionSpec(table.metadata(), spec_id);
  auto schema = ib::CurrentSchema(table.metadata());
  if (!spec.ok() || !schema.ok() || (*spec)->fields.empty()) return "{}";
  std::string out = "{";
  for (size_t i = 0; i < (*spec)->fields.size() && i < values.size(); ++i) {
    const auto& pf = (*spec)->fields[i];
    if (i) out += ", ";
    out += pf.name + "=";
    const ib::NestedField* source = ib::FindFieldById(**schema, pf.source_id);
    std::string text = "null";
    if (source != nullptr) {
      auto human = ib::TransformHumanString(pf.transform, source->type, values[i]);
      if (human.ok()) text = *human;
    }
    out += text;
  }
  return out + "}";
}

std::string Values(const std::vector<std::string>& rows, const std::string& columns,
                   const std::string& empty_select) {
  if (rows.empty()) return empty_select + " WHERE false";
  std::string out = "SELECT * FROM (VALUES ";
  for (size_t i = 0; i < rows.size(); ++i) out += (i ? ", " : "") + rows[i];
  return out + ") AS m(" + columns + ")";
}

}  // namespace

std::optional<std::pair<std::string, std::string>> SplitMetadataTableName(const std::string& name) {
  size_t dollar = name.rfind('$');
  if (dollar == std::string::npos || dollar == 0) return std::nullopt;
  return std::make_pair(name.substr(0, dollar), name.substr(dollar + 1));
}

Result<std::string> MetadataTableSql(const storage::LakeTable& table, const std::string& kind,
                                     std::optional<int64_t> snapshot_id, FileSystem& fs) {
  const auto& m = table.metadata();
  if (kind == "snapshots") {
    std::vector<std::string> rows;
    for (const auto& s : m.snapshots) {
      std::string keys = "[", values = "[";
      bool first = true;
      for (const auto& [k, v] : s.summary) {
        keys += (first ? "" : ", ") + Lit(k);
        values += (first ? "" : ", ") + Lit(v);
        first = false;
      }
      rows.push_back("(" + Millis(s.timestamp_ms) + ", " + Lit(s.snapshot_id) + ", " +
                     OptLit(s.parent_snapshot_id) + ", " + Lit(s.sequence_number) + ", " +
                     Lit(s.operation()) + ", " + Lit(s.manifest_list) + ", map(" + keys +
                     "]::VARCHAR[], " + values + "]::VARCHAR[]))");
    }
    return Values(rows, "committed_at, snapshot_id, parent_id, sequence_number, operation, manifest_list, summary",
                  "SELECT NULL::TIMESTAMPTZ AS committed_at, NULL::BIGINT AS snapshot_id, NULL::BIGINT AS "
                  "parent_id, NULL::BIGINT AS sequence_number, NULL::VARCHAR AS operation, NULL::VARCHAR "
                  "AS manifest_list, NULL::MAP(VARCHAR, VARCHAR) AS summary");
  }
  if (kind == "history") {
    std::set<int64_t> ancestors;
    if (m.current_snapshot_id) {
      auto chain = ib::Ancestors(m, *m.current_snapshot_id);
      if (chain.ok()) {
        for (const auto* s : *chain) ancestors.insert(s->snapshot_id);
      }
    }
    std::map<int64_t, std::optional<int64_t>> parents;
    for (const auto& s : m.snapshots) parents[s.snapshot_id] = s.parent_snapshot_id;
    std::vector<std::string> rows;
    for (const auto& e : m.snapshot_log) {
      rows.push_back("(" + Millis(e.timestamp_ms) + ", " + Lit(e.snapshot_id) + ", " +
                     OptLit(parents.count(e.snapshot_id) ? parents[e.snapshot_id] : std::nullopt) +
                     ", " + (ancestors.count(e.snapshot_id) ? "true" : "false") + ")");
    }
    return Values(rows, "made_current_at, snapshot_id, parent_id, is_current_ancestor",
                  "SELECT NULL::TIMESTAMPTZ AS made_current_at, NULL::BIGINT AS snapshot_id, NULL::BIGINT "
                  "AS parent_id, NULL::BOOLEAN AS is_current_ancestor");
  }
  if (kind == "files" || kind == "partitions") {
    MEDLAKE_ASSIGN_OR_RETURN(auto files, table.LiveFiles(snapshot_id));
    if (kind == "files") {
      std::vector<std::string> rows;
      for (const auto& f : files) {
        rows.push_back("(" + std::to_string(static_cast<int>(f.file.content)) + ", " +
                       Lit(f.file.file_path) + ", " + Lit(f.file.file_format) + ", " +
                       std::to_string(f.spec_id) + ", " +
                       Lit(PartitionText(table, f.spec_id, f.file.partition)) + ", " +
                       Lit(f.file.record_count) + ", " + Lit(f.file.file_size_in_bytes) + ", " +
                       Lit(f.data_sequence_number) + ", " + Lit(f.snapshot_id) + ")");
      }
      return Values(rows,
                    "content, file_path, file_format, spec_id, partition, record_count, "
                    "file_size_in_bytes, data_sequence_number, snapshot_id",
                    "SELECT NULL::INTEGER AS content, NULL::VARCHAR AS file_path, NULL::VARCHAR AS "
                    "file_format, NULL::INTEGER AS spec_id, NULL::VARCHAR AS partition, NULL::BIGINT AS "
                    "record_count, NULL::BIGINT AS file_size_in_bytes, NULL::BIGINT AS "
                    "data_sequence_number, NULL::BIGINT AS snapshot_id");
    }
    std::map<std::pair<std::string, int32_t>, std::pair<int64_t, int64_t>> parts;
    for (const auto& f : files) {
      if (f.file.content != ib::DataFileContent::kData) continue;
      auto& p = parts[{PartitionText(table, f.spec_id, f.file.partition), f.spec_id}];
      p.first += f.file.record_count;
      p.second += 1;
    }
    std::vector<std::string> rows;
    for (const auto& [key, counts] : parts) {
      rows.push_back("(" + Lit(key.first) + ", " + std::to_string(key.second) + ", " +
                     Lit(counts.first) + ", " + Lit(counts.second) + ")");
    }
    return Values(rows, "partition, spec_id, record_count, file_count",
                  "SELECT NULL::VARCHAR AS partition, NULL::INTEGER AS spec_id, NULL::BIGINT AS "
                  "record_count, NULL::BIGINT AS file_count");
  }
  if (kind == "manifests") {
    std::vector<std::string> rows;
    std::optional<int64_t> id = snapshot_id ? snapshot_id : m.current_snapshot_id;
    if (id) {
      MEDLAKE_ASSIGN_OR_RETURN(const ib::Snapshot* s, ib::FindSnapshot(m, *id));
      std::string path = table.ResolvePath(s->manifest_list);
      auto bytes = fs.ReadFile(path);
      if (!bytes.ok()) return bytes.status().WithContext("reading manifest list " + path);
      auto list = ib::ReadManifestList(*bytes);
      if (!list.ok()) return list.status().WithContext("reading manifest list " + path);
      for (const auto& mf : *list) {
        rows.push_back("(" + Lit(mf.manifest_path) + ", " + Lit(mf.manifest_length) + ", " +
                       std::to_string(mf.partition_spec_id) + ", " +
                       std::to_string(static_cast<int>(mf.content)) + ", " + Lit(mf.sequence_number) +
                       ", " + Lit(mf.added_snapshot_id) + ", " + std::to_string(mf.added_files_count) +
                       ", " + std::to_string(mf.existing_files_count) + ", " +
                       std::to_string(mf.deleted_files_count) + ", " + Lit(mf.added_rows_count) + ", " +
                       Lit(mf.existing_rows_count) + ", " + Lit(mf.deleted_rows_count) + ")");
      }
    }
    return Values(rows,
                  "path, length, partition_spec_id, content, sequence_number, added_snapshot_id, "
                  "added_files_count, existing_files_count, deleted_files_count, added_rows_count, "
                  "existing_rows_count, deleted_rows_count",
                  "SELECT NULL::VARCHAR AS path, NULL::BIGINT AS length, NULL::INTEGER AS "
                  "partition_spec_id, NULL::INTEGER AS content, NULL::BIGINT AS sequence_number, "
                  "NULL::BIGINT AS added_snapshot_id, NULL::INTEGER AS added_files_count, NULL::INTEGER "
                  "AS existing_files_count, NULL::INTEGER AS deleted_files_count, NULL::BIGINT AS "
                  "added_rows_count, NULL::BIGINT AS existing_rows_count, NULL::BIGINT AS "
                  "deleted_rows_count");
  }
  return NotFound("unknown metadata table $" + kind +
                  " (known: snapshots, history, files, manifests, partitions)");
}

}  // namespace medlake::engine
