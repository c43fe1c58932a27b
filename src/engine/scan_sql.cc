#include "engine/scan_sql.h"

#include <map>
#include <set>

#include "engine/iceberg_sql_types.h"
#include "engine/sql_lexer.h"

namespace medlake::engine {
namespace {

std::string Col(int field_id) { return "__c" + std::to_string(field_id); }

std::string FileList(const std::vector<std::string>& paths) {
  std::string out = "[";
  for (size_t i = 0; i < paths.size(); ++i) {
    if (i) out += ", ";
    out += QuoteString(paths[i]);
  }
  return out + "]";
}

// read_parquet's `schema` map: field id -> internal column name and DuckDB type.
Result<std::string> SchemaMap(const std::vector<storage::ScanColumn>& columns) {
  std::string out = "map {";
  for (size_t i = 0; i < columns.size(); ++i) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string type, IcebergTypeToDuckDb(columns[i].type_json));
    if (i) out += ", ";
    out += std::to_string(columns[i].field_id) + ": {name: " + QuoteString(Col(columns[i].field_id)) +
           ", type: " + QuoteString(type) + ", default_value: NULL}";
  }
  return out + "}";
}

}  // namespace

Result<std::string> BuildScanSql(const storage::ScanPlan& plan, bool with_row_ids) {
  if (plan.columns.empty()) return DataLoss("table schema has no columns");
  std::string projection;
  for (size_t i = 0; i < plan.columns.size(); ++i) {
    if (i) projection += ", ";
    projection += Col(plan.columns[i].field_id) + " AS " + QuoteIdentifier(plan.columns[i].name);
  }
  if (plan.data_files.empty()) {
    std::string out = "SELECT ";
    for (size_t i = 0; i < plan.columns.size(); ++i) {
      MEDLAKE_ASSIGN_OR_RETURN(std::string type, IcebergTypeToDuckDb(plan.columns[i].type_json));
      if (i) out += ", ";
      out += "CAST(NULL AS " + type + ") AS " + QuoteIdentifier(plan.columns[i].name);
    }
    if (with_row_ids) {
      out += std::string(", CAST(NULL AS VARCHAR) AS ") + kRowFileColumn +
             ", CAST(NULL AS BIGINT) AS " + kRowPositionColumn;
    }
    return out + " WHERE false";
  }

  std::vector<std::string> paths;
  for (const auto& f : plan.data_files) paths.push_back(f.path);
  MEDLAKE_ASSIGN_OR_RETURN(std::string schema_map, SchemaMap(plan.columns));
  std::string scan = "read_parquet(" + FileList(paths) + ", schema = " + schema_map;

  if (plan.delete_files.empty() && !with_row_ids) {
    return "SELECT " + projection + " FROM " + scan + ")";
  }
  if (with_row_ids) {
    projection += std::string(", __t.__orig AS ") + kRowFileColumn +
                  ", __t.file_row_number AS " + kRowPositionColumn;
  }

  // With deletes: each row carries its file's original path and data sequence number.
  scan += ", filename = '__file', file_row_number = true)";
  std::string files = "(VALUES ";
  for (size_t i = 0; i < plan.data_files.size(); ++i) {
    const auto& f = plan.data_files[i];
    if (i) files += ", ";
    files += "(" + QuoteString(f.path) + ", " + QuoteString(f.original_path) + ", " +
             std::to_string(f.data_sequence_number) + "::BIGINT)";
  }
  files += ") AS __files(local_path, original_path, seq)";
  std::string base = "SELECT __d.*, __files.original_path AS __orig, __files.seq AS __seq FROM " +
                     scan + " AS __d JOIN " + files + " ON __d.__file = __files.local_path";

  std::vector<std::string> conditions;
  std::vector<std::string> position_paths;
  std::string position_seqs;
  for (const auto& d : plan.delete_files) {
    if (d.content == storage::ScanDeleteFile::Content::kPosition) {
      position_paths.push_back(d.path);
    }
  }
  if (!position_paths.empty()) {
    // Sequence numbers of position delete files, by their local path.
    std::string seqs = "(VALUES ";
    bool first = true;
    for (const auto& d : plan.delete_files) {
      if (d.content != storage::ScanDeleteFile::Content::kPosition) continue;
      if (!first) seqs += ", ";
      first = false;
      seqs += "(" + QuoteString(d.path) + ", " + std::to_string(d.data_sequence_number) + "::BIGINT)";
    }
    seqs += ") AS __ps(local_path, seq)";
    conditions.push_back(
        "NOT EXISTS (SELECT 1 FROM read_parquet(" + FileList(position_paths) +
        ", filename = '__dfile') AS __p JOIN " + seqs +
        " ON __p.__dfile = __ps.local_path WHERE __p.file_path = __t.__orig AND __p.pos = "
        "__t.file_row_number AND __t.__seq <= __ps.seq)");
  }
  std::map<int, const storage::ScanColumn*> by_id;
  for (const auto& c : plan.columns) by_id[c.field_id] = &c;
  for (const auto& d : plan.delete_files) {
    if (d.content != storage::ScanDeleteFile::Content::kEquality) continue;
    if (d.equality_ids.empty()) return DataLoss("equality delete file without equality ids: " + d.path);
    std::vector<storage::ScanColumn> eq_columns;
    std::string match;
    for (int id : d.equality_ids) {
      auto it = by_id.find(id);
      if (it == by_id.end()) {
        return DataLoss("equality delete on field " + std::to_string(id) +
                        " that the current schema does not have: " + d.path);
      }
      eq_columns.push_back(*it->second);
      if (!match.empty()) match += " AND ";
      match += "__e." + Col(id) + " IS NOT DISTINCT FROM __t." + Col(id);
    }
    MEDLAKE_ASSIGN_OR_RETURN(std::string eq_map, SchemaMap(eq_columns));
    conditions.push_back("NOT (__t.__seq < " + std::to_string(d.data_sequence_number) +
                         " AND EXISTS (SELECT 1 FROM read_parquet(" + FileList({d.path}) +
                         ", schema = " + eq_map + ") AS __e WHERE " + match + "))");
  }
  std::string where = conditions.empty() ? "true" : "";
  for (size_t i = 0; i < conditions.size(); ++i) where += (i ? " AND " : "") + conditions[i];
  return "SELECT " + projection + " FROM (" + base + ") AS __t WHERE " + where;
}

Result<std::string> BuildChangedRowsSql(const storage::ChangePlan& plan, const std::vector<std::string>& columns) {
  std::string added_cols;
  std::string removed_cols;
  for (size_t i = 0; i < columns.size(); ++i) {
    const storage::ScanColumn* now = nullptr;
    for (const auto& c : plan.added.columns) {
      if (c.name == columns[i]) now = &c;
    }
    if (now == nullptr) return NotFound("no column " + columns[i] + " in the table");
    const storage::ScanColumn* then = nullptr;
    for (const auto& c : plan.before.columns) {
      if (c.field_id == now->field_id) then = &c;
    }
    MEDLAKE_ASSIGN_OR_RETURN(std::string type, IcebergTypeToDuckDb(now->type_json));
    const std::string name = QuoteIdentifier(now->name);
    added_cols += (i ? ", " : "") + name;
    removed_cols += (i ? ", " : "") + (then ? "CAST(__b." + QuoteIdentifier(then->name) + " AS " + type + ")"
                                            : "CAST(NULL AS " + type + ")") + " AS " + name;
  }
  const std::string sep = columns.empty() ? "" : ", ";
  MEDLAKE_ASSIGN_OR_RETURN(std::string added, BuildScanSql(plan.added));
  std::string out = "SELECT " + added_cols + sep + "false AS " + kRemovedColumn + " FROM (" + added + ") AS __a";
  if (plan.before.data_files.empty()) return out;
  // Removed rows. When every delete committed since is a position delete naming its file, the
  // files still live lost exactly the rows at those positions: read them by position (the older
  // files' other rows are never compared). Otherwise, compare every row of the older files with
  // the current ones (equality deletes, or position deletes of any file).
  bool positional = true;
  for (const auto& d : plan.new_deletes) {
    positional = positional && d.content == storage::ScanDeleteFile::Content::kPosition && !d.referenced_data_file.empty();
  }
  std::set<std::string> live;
  for (const auto& f : plan.after.data_files) live.insert(f.original_path);
  const std::string on = std::string(" ON __b.") + kRowFileColumn + " = __n." + kRowFileColumn + " AND __b." +
                         kRowPositionColumn + " = __n." + kRowPositionColumn;
  auto removed_from = [&](const std::string& rows) {
    return " UNION ALL SELECT " + removed_cols + sep + "true AS " + kRemovedColumn + " FROM (" + rows + ") AS __b";
  };
  if (!positional) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string before, BuildScanSql(plan.before, /*with_row_ids=*/true));
    out += removed_from(before);
    if (!plan.after.data_files.empty()) {
      MEDLAKE_ASSIGN_OR_RETURN(std::string after, BuildScanSql(plan.after, /*with_row_ids=*/true));
      out += std::string(" ANTI JOIN (SELECT ") + kRowFileColumn + ", " + kRowPositionColumn + " FROM (" + after +
             ")) AS __n" + on;
    }
    return out;
  }
  storage::ScanPlan gone = plan.before;
  storage::ScanPlan kept = plan.before;
  gone.data_files.clear();
  kept.data_files.clear();
  for (const auto& f : plan.before.data_files) (live.count(f.original_path) ? kept : gone).data_files.push_back(f);
  if (!gone.data_files.empty()) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string rows, BuildScanSql(gone, /*with_row_ids=*/true));
    out += removed_from(rows);
  }
  std::vector<std::string> delete_paths;
  for (const auto& d : plan.new_deletes) {
    if (live.count(d.referenced_data_file)) delete_paths.push_back(d.path);
  }
  if (!kept.data_files.empty() && !delete_paths.empty()) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string rows, BuildScanSql(kept, /*with_row_ids=*/true));
    out += removed_from(rows) + " SEMI JOIN (SELECT file_path AS " + kRowFileColumn + ", pos AS " + kRowPositionColumn +
           " FROM read_parquet(" + FileList(delete_paths) + ")) AS __n" + on;
  }
  return out;
}

}  // namespace medlake::engine
