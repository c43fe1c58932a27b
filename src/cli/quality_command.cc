#include "cli/quality_command.h"

#include "cli/lake_report.h"
#include "engine/sql_lexer.h"

namespace medlake::cli {

std::string QualityReportSql(const QualityCommandOptions& options) {
  std::string model_filter = options.model.empty() ? "true" : "model = " + engine::QuoteString(options.model);
  // The table as it is now: each model's results since its last full run (the full run checked
  // every row; the incremental runs after it checked the rows they added).
  std::string current = "(SELECT * FROM quality.results WHERE " + model_filter +
                        " QUALIFY run_at >= coalesce(max(CASE WHEN run_mode = 'full' THEN run_at END) "
                        "OVER (PARTITION BY model), TIMESTAMPTZ '1970-01-01 00:00:00+00'))";
  const std::string row_checks = "\"check\" IN ('not_null', 'accepted_values', 'range', 'pattern', 'relationship', 'expression')";
  std::string sql =
      // 1. Per source: share of row checks passed.
      "SELECT CASE WHEN source = '' THEN '(all)' ELSE source END AS source, count(DISTINCT model) AS models, "
      "sum(rows_checked) AS checks, sum(rows_failed) AS failed_checks, "
      "round(100 * (1 - sum(rows_failed) / greatest(sum(rows_checked), 1)), 2) AS score_pct, "
      "count(DISTINCT model || '.' || rule) FILTER (WHERE severity = 'block' AND rows_failed > 0) AS blocking_rules_hit "
      "FROM " + current + " WHERE " + row_checks + " GROUP BY ALL ORDER BY score_pct, source;\n"
      // 2. What failed: row rules summed over the runs; table rules as of the latest run.
      "SELECT * FROM (SELECT model, rule, \"check\", severity, CASE WHEN source = '' THEN '(all)' ELSE source END AS source, "
      "sum(rows_failed) AS rows_failed, sum(rows_checked) AS rows_checked FROM " + current + " WHERE " + row_checks +
      " GROUP BY ALL HAVING sum(rows_failed) > 0 "
      "UNION ALL SELECT model, rule, \"check\", severity, '(all)', rows_failed, rows_checked FROM " + current +
      " WHERE NOT " + row_checks + " QUALIFY run_at = max(run_at) OVER (PARTITION BY model, rule) AND rows_failed > 0) "
      "ORDER BY (severity = 'block') DESC, rows_failed DESC, model, rule;\n";
  if (options.model.empty()) {
    // 3. Quarantine: ingestion (by kind) and blocking model rules.
    sql += "SELECT kind, reason_code, count(*) AS records FROM raw.quarantine GROUP BY ALL ORDER BY kind, records DESC;\n";
  }
  if (options.history) {
    sql += "SELECT run_at, run_mode, model, rule, status, sum(rows_failed) AS rows_failed FROM quality.results WHERE " +
           model_filter + " AND status <> 'pass' GROUP BY ALL ORDER BY run_at DESC, model, rule;\n";
  }
  return sql;
}

int RunQualityCommand(const QualityCommandOptions& options, std::FILE* out, std::FILE* err) {
  return PrintLakeReport(options.lake, {"quality", "results"}, "No quality results yet: run `medlake run` first.",
                         {QualityReportSql(options)}, options.format, out, err);
}

}  // namespace medlake::cli
