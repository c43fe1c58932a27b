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
  // The table's columns under their names; `from` qualifies the internal names.
  //
  // A double column widened from float is read through `* 1.0`, which changes no value (NaN,
  // -0.0 and infinities included) and which DuckDB does not simplify for DOUBLE (its arithmetic
  // rule matches integers only). DuckDB 1.4.4 pushes a comparison on a bare column into each
  // file's reader, and for a file holding FLOAT it rounds the constant to FLOAT: `f = 0.1`
  // then matches the stored 0.1f, which as a DOUBLE is 0.10000000149 (duckdb/duckdb#24900,
  // fixed after 1.4.4). A filter on the expression is evaluated on the widened values.
  auto columns_as_named = [&](const std::string& from) {
    std::string out;
    for (size_t i = 0; i < plan.columns.size(); ++i) {
      if (i) out += ", ";
      const std::string value = from + Col(plan.columns[i].field_id);
      out += (plan.columns[i].widened_from_float ? "(" + value + " * 1.0)" : value) + " AS " +
             QuoteIdentifier(plan.columns[i].name);
    }
    return out;
  };
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
  // DuckDB 1.4 plans read_parquet of a single file with an explicit `schema` for one thread: it
  // does not open the file while binding, so it does not know how many row groups there are.
  // With the file listed twice and only file_index 0 kept, it plans for every thread, and the
  // filter on file_index drops the second entry before it is opened (bench/README.md §8:
  // a 10M-row single-file scan 1.32 s -> 0.63 s on 2 threads).
  const bool twice = plan.data_files.size() == 1 && plan.data_files[0].record_count >= kParallelScanRows;
  if (twice) paths.push_back(paths[0]);
  const std::string first_file_only = twice ? " WHERE file_index = 0" : "";
  MEDLAKE_ASSIGN_OR_RETURN(std::string schema_map, SchemaMap(plan.columns));
  std::string scan = "read_parquet(" + FileList(paths) + ", schema = " + schema_map;

  if (plan.delete_files.empty() && !with_row_ids) {
    return "SELECT " + columns_as_named("") + " FROM " + scan + ")" + first_file_only;
  }
  std::string projection = columns_as_named("__t.");
  if (with_row_ids) {
    projection += std::string(", __t.__orig AS ") + kRowFileColumn +
                  ", __t.file_row_number AS " + kRowPositionColumn;
  }

  // With deletes: each row carries its file's number in the plan, its data sequence number
  // and (for row ids) its file's original path. Deletes are applied as anti joins, so the
  // scan streams: a correlated NOT EXISTS would first collect every distinct (file, position)
  // of the scan, which reads the whole table even under a LIMIT.
  scan += ", filename = '__file', file_row_number = true)";
  std::string files = "(VALUES ";
  std::set<std::string> planned;
  for (size_t i = 0; i < plan.data_files.size(); ++i) {
    const auto& f = plan.data_files[i];
    planned.insert(f.original_path);
    if (i) files += ", ";
    files += "(" + QuoteString(f.path) + ", " + QuoteString(f.original_path) + ", " +
             std::to_string(f.data_sequence_number) + "::BIGINT, " + std::to_string(i) + "::INTEGER)";
  }
  files += ") AS __files(local_path, original_path, seq, idx)";
  std::string base = std::string("SELECT __d.*, __files.idx AS __fi, __files.seq AS __seq") +
                     (with_row_ids ? ", __files.original_path AS __orig" : "") + " FROM " + scan +
                     " AS __d JOIN " + files + " ON __d.__file = __files.local_path" +
                     (twice ? " WHERE __d.file_index = 0" : "");

  std::string joins;
  // Position deletes: the (file, position) pairs of the planned files, each with the sequence
  // number of its delete file; a row goes when a pair names it and its file is not newer than
  // the delete. Delete files that name another file are left out; pairs of files outside the
  // plan drop out in the join with the plan's files.
  std::vector<std::string> position_paths;
  std::string position_seqs;
  for (const auto& d : plan.delete_files) {
    if (d.content != storage::ScanDeleteFile::Content::kPosition) continue;
    if (!d.referenced_data_file.empty() && !planned.count(d.referenced_data_file)) continue;
    position_seqs += std::string(position_paths.empty() ? "" : ", ") + "(" + QuoteString(d.path) + ", " +
                     std::to_string(d.data_sequence_number) + "::BIGINT)";
    position_paths.push_back(d.path);
  }
  if (!position_paths.empty()) {
    joins += " ANTI JOIN (SELECT __files.idx AS fi, __p.pos, __ps.seq FROM read_parquet(" +
             FileList(position_paths) + ", filename = '__dfile') AS __p JOIN (VALUES " + position_seqs +
             ") AS __ps(local_path, seq) ON __p.__dfile = __ps.local_path JOIN " + files +
             " ON __p.file_path = __files.original_path) AS __pd ON __pd.fi = __t.__fi AND __pd.pos = "
             "__t.file_row_number AND __t.__seq <= __pd.seq";
  }
  // Equality deletes: rows of older files whose values equal a deleted row's (NULL equals NULL).
  std::map<int, const storage::ScanColumn*> by_id;
  for (const auto& c : plan.columns) by_id[c.field_id] = &c;
  int eq_index = 0;
  for (const auto& d : plan.delete_files) {
    if (d.content != storage::ScanDeleteFile::Content::kEquality) continue;
    if (d.equality_ids.empty()) return DataLoss("equality delete file without equality ids: " + d.path);
    std::vector<storage::ScanColumn> eq_columns;
    const std::string alias = "__e" + std::to_string(eq_index++);
    std::string match;
    for (int id : d.equality_ids) {
      auto it = by_id.find(id);
      if (it == by_id.end()) {
        return DataLoss("equality delete on field " + std::to_string(id) +
                        " that the current schema does not have: " + d.path);
      }
      eq_columns.push_back(*it->second);
      match += " AND " + alias + "." + Col(id) + " IS NOT DISTINCT FROM __t." + Col(id);
    }
    MEDLAKE_ASSIGN_OR_RETURN(std::string eq_map, SchemaMap(eq_columns));
    joins += " ANTI JOIN read_parquet(" + FileList({d.path}) + ", schema = " + eq_map + ") AS " + alias +
             " ON __t.__seq < " + std::to_string(d.data_sequence_number) + match;
  }
  return "SELECT " + projection + " FROM (" + base + ") AS __t" + joins;
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
