// pipeline/quality.h: data quality rules declared beside a model (<ns>/<table>.quality.yaml),
// evaluated on every run of the model (docs/formats/pipeline_models.md, "Quality rules").
//
// Row rules (not_null, accepted_values, range, pattern, relationship, expression) are checked on
// each row the model produces, before anything is committed: with `severity: block` the failing
// rows go to raw.quarantine (with the rule as the reason) and stay out of the table; with `warn`
// (the default) they are kept and counted. Table rules (unique, row_count_change, freshness, sql)
// are checked on the table as it will be after the write; a failing blocking table rule fails
// the model, which then keeps its previous version.
//
// Thread-safety: plain data and pure functions; evaluation uses the caller's connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace medlake::pipeline {

struct QualityRule {
  enum class Check {
    kNotNull,
    kAcceptedValues,
    kRange,
    kPattern,
    kRelationship,
    kExpression,
    kUnique,
    kRowCountChange,
    kFreshness,
    kSql,
  };
  std::string name;  // unique within the model
  Check check = Check::kNotNull;
  std::vector<std::string> columns;  // not_null, unique: one or more; other column checks: one
  std::vector<std::string> values;   // accepted_values
  std::optional<double> min, max;    // range (inclusive bounds)
  std::string regex;                 // pattern (whole value must match, RE2 syntax)
  std::string to_table, to_column;   // relationship: the value must exist in to_table.to_column
  std::string expression;            // expression: SQL boolean over the row's columns
  std::string sql;                   // sql: a query returning the failing rows; {{this}} = the table
  double max_age_hours = 0;          // freshness: newest value of `columns[0]` not older than this
  double max_change_pct = 0;         // row_count_change: vs the previous version of the table
  bool block = false;                // severity: block (else warn)

  bool row_level() const {
    return check == Check::kNotNull || check == Check::kAcceptedValues || check == Check::kRange ||
           check == Check::kPattern || check == Check::kRelationship || check == Check::kExpression;
  }
};

const char* CheckName(QualityRule::Check check);

// Parses a rules file. InvalidArgument naming the line and key for unknown checks or keys,
// missing arguments, duplicate rule names.
Result<std::vector<QualityRule>> ParseQualityRules(std::string_view yaml_text);

// SQL boolean expression that is true when `row` (an alias of the model's rows) passes a row
// rule; NULL-safe (a NULL value passes every rule but not_null). Lake tables named by
// relationship rules are left as `ns.table` for the caller's rewrite.
Result<std::string> RowRulePassSql(const QualityRule& rule);

// One evaluated rule (per source for row rules when the model has a source column).
struct QualityResult {
  std::string rule;
  std::string check;
  std::string column;    // the rule's columns, comma-separated
  std::string severity;  // "warn" or "block"
  std::string source;    // value of the model's source column ("" when none or table rule)
  std::string status;    // "pass", "warn" (failed, kept), "fail" (blocking), "error" (rule could not run)
  int64_t rows_checked = 0;
  int64_t rows_failed = 0;
  std::string detail;    // what failed, never values
  std::string run_mode;  // "full" (the whole table was checked) or "incremental" (new rows)
};

}  // namespace medlake::pipeline
