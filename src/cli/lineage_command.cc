#include "cli/lineage_command.h"

#include "cli/lake_report.h"
#include "engine/sql_lexer.h"

namespace medlake::cli {

Result<std::string> LineageSql(const LineageCommandOptions& options) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = options.target.find('.', start);
    parts.push_back(options.target.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) {
    return InvalidArgument("expected namespace.table or namespace.table.column, got " + options.target);
  }
  for (const auto& p : parts) {
    if (p.empty()) return InvalidArgument("empty name part in " + options.target);
  }
  if (options.depth < 1 || options.depth > 100) return InvalidArgument("--depth must be 1..100");
  const std::string table = engine::QuoteString(parts[0] + "." + parts[1]);
  const bool column = parts.size() == 3;
  // Upstream walks edges backwards (to -> from); downstream forwards.
  const std::string near_t = options.downstream ? "from_table" : "to_table";
  const std::string near_c = options.downstream ? "from_column" : "to_column";
  const std::string far_t = options.downstream ? "to_table" : "from_table";
  const std::string far_c = options.downstream ? "to_column" : "from_column";
  std::string level = column ? "level = 'column'" : "level = 'table'";
  std::string seed = "SELECT 1 AS depth, from_table, from_column, to_table, to_column FROM lineage.edges WHERE " + level +
                     " AND " + near_t + " = " + table +
                     (column ? " AND " + near_c + " = " + engine::QuoteString(parts[2]) : "");
  std::string step = "SELECT w.depth + 1, e.from_table, e.from_column, e.to_table, e.to_column FROM walk w JOIN lineage.edges e ON e." +
                     level + " AND e." + near_t + " = w." + far_t +
                     (column ? " AND e." + near_c + " = w." + far_c : "") + " WHERE w.depth < " + std::to_string(options.depth);
  std::string cols = column ? "min(depth) AS depth, from_table || '.' || from_column AS \"from\", to_table || '.' || to_column AS \"to\""
                            : "min(depth) AS depth, from_table AS \"from\", to_table AS \"to\"";
  return "WITH RECURSIVE walk(depth, from_table, from_column, to_table, to_column) AS (" + seed + " UNION " + step +
         ") SELECT " + cols + " FROM walk GROUP BY ALL ORDER BY depth, \"from\", \"to\"";
}

int RunLineageCommand(const LineageCommandOptions& options, std::FILE* out, std::FILE* err) {
  auto sql = LineageSql(options);
  if (!sql.ok()) {
    std::fprintf(err, "Error: %s\n", sql.status().ToString().c_str());
    return 2;
  }
  return PrintLakeReport(options.lake, {"lineage", "edges"},
                         "No lineage recorded yet: ingest data and run `medlake run` first.", {*sql}, options.format,
                         out, err);
}

}  // namespace medlake::cli
