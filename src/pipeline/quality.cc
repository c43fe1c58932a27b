#include "pipeline/quality.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "engine/sql_lexer.h"

namespace medlake::pipeline {
namespace {

int LineOf(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

Status ErrorAt(const YAML::Node& node, const std::string& what) {
  return InvalidArgument("quality rules line " + std::to_string(LineOf(node)) + ": " + what);
}

Result<std::string> Text(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) return ErrorAt(node, key + ": expected a text value");
  return node.Scalar();
}

Result<double> Number(const YAML::Node& node, const std::string& key) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string s, Text(node, key));
  try {
    size_t used = 0;
    double v = std::stod(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    return v;
  } catch (...) {
    return ErrorAt(node, key + ": expected a number");
  }
}

Result<std::vector<std::string>> TextList(const YAML::Node& node, const std::string& key) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
    return out;
  }
  if (!node.IsSequence()) return ErrorAt(node, key + ": expected a value or a list");
  for (const auto& item : node) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string v, Text(item, key));
    out.push_back(std::move(v));
  }
  return out;
}

std::string Col(const std::string& c) { return "row." + engine::QuoteIdentifier(c); }

}  // namespace

const char* CheckName(QualityRule::Check check) {
  switch (check) {
    case QualityRule::Check::kNotNull: return "not_null";
    case QualityRule::Check::kAcceptedValues: return "accepted_values";
    case QualityRule::Check::kRange: return "range";
    case QualityRule::Check::kPattern: return "pattern";
    case QualityRule::Check::kRelationship: return "relationship";
    case QualityRule::Check::kExpression: return "expression";
    case QualityRule::Check::kUnique: return "unique";
    case QualityRule::Check::kRowCountChange: return "row_count_change";
    case QualityRule::Check::kFreshness: return "freshness";
    case QualityRule::Check::kSql: return "sql";
  }
  return "?";
}

Result<std::vector<QualityRule>> ParseQualityRules(std::string_view yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("quality rules line " + std::to_string(e.mark.line + 1) + ": not valid YAML");
  }
  if (!root.IsMap() || !root["rules"] || !root["rules"].IsSequence()) {
    return InvalidArgument("quality rules: expected a map with a `rules:` list");
  }
  for (const auto& item : root) {
    if (item.first.Scalar() != "rules") return ErrorAt(item.first, "unknown key " + item.first.Scalar());
  }
  static const std::map<std::string, QualityRule::Check> kChecks = {
      {"not_null", QualityRule::Check::kNotNull},     {"accepted_values", QualityRule::Check::kAcceptedValues},
      {"range", QualityRule::Check::kRange},          {"pattern", QualityRule::Check::kPattern},
      {"relationship", QualityRule::Check::kRelationship}, {"expression", QualityRule::Check::kExpression},
      {"unique", QualityRule::Check::kUnique},        {"row_count_change", QualityRule::Check::kRowCountChange},
      {"freshness", QualityRule::Check::kFreshness},  {"sql", QualityRule::Check::kSql},
  };
  std::vector<QualityRule> rules;
  std::set<std::string> names;
  for (const auto& node : root["rules"]) {
    if (!node.IsMap()) return ErrorAt(node, "each rule is a map");
    QualityRule r;
    if (!node["check"]) return ErrorAt(node, "a rule needs `check:`");
    MEDLAKE_ASSIGN_OR_RETURN(std::string check, Text(node["check"], "check"));
    auto c = kChecks.find(check);
    if (c == kChecks.end()) return ErrorAt(node["check"], "unknown check " + check);
    r.check = c->second;
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (key == "check") continue;
      if (key == "name") {
        MEDLAKE_ASSIGN_OR_RETURN(r.name, Text(v, key));
      } else if (key == "column" || key == "columns") {
        MEDLAKE_ASSIGN_OR_RETURN(r.columns, TextList(v, key));
      } else if (key == "values") {
        MEDLAKE_ASSIGN_OR_RETURN(r.values, TextList(v, key));
      } else if (key == "min") {
        MEDLAKE_ASSIGN_OR_RETURN(r.min, Number(v, key));
      } else if (key == "max") {
        MEDLAKE_ASSIGN_OR_RETURN(r.max, Number(v, key));
      } else if (key == "regex") {
        MEDLAKE_ASSIGN_OR_RETURN(r.regex, Text(v, key));
      } else if (key == "to") {
        MEDLAKE_ASSIGN_OR_RETURN(std::string to, Text(v, key));
        size_t dot = to.rfind('.');
        if (dot == std::string::npos || to.find('.') == dot) {
          return ErrorAt(v, "to: expected namespace.table.column");
        }
        r.to_table = to.substr(0, dot);
        r.to_column = to.substr(dot + 1);
      } else if (key == "expression") {
        MEDLAKE_ASSIGN_OR_RETURN(r.expression, Text(v, key));
      } else if (key == "sql") {
        MEDLAKE_ASSIGN_OR_RETURN(r.sql, Text(v, key));
      } else if (key == "max_age_hours") {
        MEDLAKE_ASSIGN_OR_RETURN(r.max_age_hours, Number(v, key));
      } else if (key == "max_change_pct") {
        MEDLAKE_ASSIGN_OR_RETURN(r.max_change_pct, Number(v, key));
      } else if (key == "severity") {
        MEDLAKE_ASSIGN_OR_RETURN(std::string sev, Text(v, key));
        if (sev != "warn" && sev != "block") return ErrorAt(v, "severity: expected warn or block");
        r.block = sev == "block";
      } else {
        return ErrorAt(kv.first, "unknown key " + key + " in a " + check + " rule");
      }
    }
    using K = QualityRule::Check;
    bool needs_column = r.check != K::kExpression && r.check != K::kSql && r.check != K::kRowCountChange;
    if (needs_column && r.columns.empty()) return ErrorAt(node, check + " needs `column:`");
    bool one_column = r.check != K::kNotNull && r.check != K::kUnique;
    if (needs_column && one_column && r.columns.size() != 1) return ErrorAt(node, check + " takes one column");
    if (r.check == K::kAcceptedValues && r.values.empty()) return ErrorAt(node, "accepted_values needs `values:`");
    if (r.check == K::kRange && !r.min && !r.max) return ErrorAt(node, "range needs `min:` and/or `max:`");
    if (r.check == K::kPattern && r.regex.empty()) return ErrorAt(node, "pattern needs `regex:`");
    if (r.check == K::kRelationship && r.to_table.empty()) return ErrorAt(node, "relationship needs `to:`");
    if (r.check == K::kExpression && r.expression.empty()) return ErrorAt(node, "expression needs `expression:`");
    if (r.check == K::kSql && r.sql.empty()) return ErrorAt(node, "sql needs `sql:`");
    if (r.check == K::kFreshness && r.max_age_hours <= 0) return ErrorAt(node, "freshness needs `max_age_hours:`");
    if (r.check == K::kRowCountChange && r.max_change_pct <= 0) {
      return ErrorAt(node, "row_count_change needs `max_change_pct:`");
    }
    if (r.name.empty()) {
      r.name = check;
      for (const auto& col : r.columns) r.name += "_" + col;
      if (names.count(r.name)) r.name += "_" + std::to_string(rules.size() + 1);
    }
    if (!names.insert(r.name).second) return ErrorAt(node, "rule name " + r.name + " used twice");
    rules.push_back(std::move(r));
  }
  return rules;
}

Result<std::string> RowRulePassSql(const QualityRule& rule) {
  using K = QualityRule::Check;
  switch (rule.check) {
    case K::kNotNull: {
      std::string s;
      for (size_t i = 0; i < rule.columns.size(); ++i) s += (i ? " AND " : "") + Col(rule.columns[i]) + " IS NOT NULL";
      return "(" + s + ")";
    }
    case K::kAcceptedValues: {
      std::string list;
      for (size_t i = 0; i < rule.values.size(); ++i) list += (i ? ", " : "") + engine::QuoteString(rule.values[i]);
      return "coalesce(CAST(" + Col(rule.columns[0]) + " AS VARCHAR) IN (" + list + "), " + Col(rule.columns[0]) +
             " IS NULL)";
    }
    case K::kRange: {
      std::string c = "TRY_CAST(" + Col(rule.columns[0]) + " AS DOUBLE)";
      std::string cond;
      if (rule.min) cond += c + " >= " + std::to_string(*rule.min);
      if (rule.max) cond += std::string(cond.empty() ? "" : " AND ") + c + " <= " + std::to_string(*rule.max);
      return "coalesce(" + cond + ", " + Col(rule.columns[0]) + " IS NULL)";
    }
    case K::kPattern:
      return "coalesce(regexp_full_match(CAST(" + Col(rule.columns[0]) + " AS VARCHAR), " +
             engine::QuoteString(rule.regex) + "), " + Col(rule.columns[0]) + " IS NULL)";
    case K::kRelationship: {
      size_t dot = rule.to_table.find('.');
      std::string table = engine::QuoteIdentifier(rule.to_table.substr(0, dot)) + "." +
                          engine::QuoteIdentifier(rule.to_table.substr(dot + 1));
      return "(" + Col(rule.columns[0]) + " IS NULL OR " + Col(rule.columns[0]) + " IN (SELECT " +
             engine::QuoteIdentifier(rule.to_column) + " FROM " + table + "))";
    }
    case K::kExpression:
      return "coalesce((" + rule.expression + "), false)";
    default:
      return InvalidArgument("rule " + rule.name + " is not a row rule");
  }
}

}  // namespace medlake::pipeline
