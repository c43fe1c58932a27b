#include "engine/sql_guard.h"

#include <cctype>

#include "engine/database.h"
#include "engine/json_internal.h"
#include "engine/sql_lexer.h"

namespace medlake::engine::internal {
namespace {

bool AllowedTableFunction(const std::string& name) {
  static const std::set<std::string> kAllowed = {"range", "generate_series", "unnest", "json_each",
                                                 "json_tree"};
  return kAllowed.count(name) > 0;
}

bool DeniedScalarFunction(const std::string& name) {
  static const std::set<std::string> kDenied = {"getenv", "query", "query_table",
                                                "json_execute_serialized_sql", "read_text",
                                                "read_blob", "current_setting", "sql_auto_complete",
                                                "current_query"};
  return kDenied.count(name) > 0 || name.rfind("medlake_", 0) == 0 || name.rfind("duckdb_", 0) == 0 ||
         name.rfind("pragma_", 0) == 0;
}

std::string FunctionName(const nlohmann::json& fn) {
  std::string name = AsciiLower(JsonString(fn, "function_name"));
  // A schema-qualified call (main.f, pg_catalog.f) is judged by its last part.
  return name;
}

bool LooksLikeFile(const std::string& text) {
  if (text.find('/') != std::string::npos || text.find('\\') != std::string::npos) return true;
  static const char* kExtensions[] = {".parquet", ".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".txt",
                                      ".gz", ".zst", ".avro", ".db", ".duckdb", ".arrow", ".xlsx"};
  std::string lower = AsciiLower(text);
  for (const char* e : kExtensions) {
    std::string ext(e);
    if (lower.size() >= ext.size() && lower.compare(lower.size() - ext.size(), ext.size(), ext) == 0) return true;
  }
  return false;
}

}  // namespace

Status CheckUntrustedNode(const nlohmann::json& node) {
  if (!node.is_object()) return Status::OK();
  const std::string type = JsonString(node, "type");
  const std::string cls = JsonString(node, "class");
  if (type == "TABLE_FUNCTION") {
    auto fn = node.find("function");
    std::string name = fn != node.end() && fn->is_object() ? FunctionName(*fn) : "";
    if (!AllowedTableFunction(name)) {
      return PermissionDenied("table function " + (name.empty() ? std::string("(unknown)") : name) +
                              "() is not allowed: lake data is read through lake tables "
                              "(allowed table functions: range, generate_series, unnest, "
                              "json_each, json_tree)");
    }
    return Status::OK();
  }
  if (cls == "FUNCTION") {
    std::string name = FunctionName(node);
    if (DeniedScalarFunction(name)) return PermissionDenied("function " + name + "() is not allowed");
    if (!JsonString(node, "catalog").empty()) {
      return PermissionDenied("catalog-qualified function names are not allowed");
    }
    return Status::OK();
  }
  if (type == "BASE_TABLE") {
    if (!JsonString(node, "catalog_name").empty()) {
      return PermissionDenied("catalog-qualified table names are not allowed (name tables as "
                              "namespace.table)");
    }
    const std::string name = JsonString(node, "table_name");
    const std::string schema = JsonString(node, "schema_name");
    // DuckDB's replacement scans read a file named by any name ("a/b"."parquet" too).
    if (name.find_first_of("/\\:") != std::string::npos || schema.find_first_of("./\\:") != std::string::npos ||
        (schema.empty() && name.find('.') != std::string::npos)) {
      return PermissionDenied("reading files directly is not allowed: \"" +
                              (schema.empty() ? name : schema + "\".\"" + name) + "\" is not a table name");
    }
    if (AsciiLower(name) == "pg_settings" || AsciiLower(name).rfind("duckdb_", 0) == 0) {
      return PermissionDenied("the engine's settings and internal catalogs are not available");
    }
    return Status::OK();
  }
  return Status::OK();
}

void NoteColumns(const nlohmann::json& node, std::set<std::string>* names, bool* star) {
  if (!node.is_object()) return;
  const std::string cls = JsonString(node, "class");
  if (cls == "COLUMN_REF") {
    auto it = node.find("column_names");
    if (it != node.end() && it->is_array() && !it->empty() && it->back().is_string()) {
      names->insert(AsciiLower(it->back().get<std::string>()));
    }
  } else if (cls == "STAR") {
    *star = true;
  }
}

Status CheckUntrustedText(Connection& conn, std::string_view text, bool strict) {
  MEDLAKE_ASSIGN_OR_RETURN(auto tokens, TokenizeSql(text));
  std::set<std::string> table_functions;
  bool loaded = false;
  // Whether each parenthesis level is inside a FROM list (where a comma starts another table).
  std::vector<bool> in_from{false};
  for (size_t i = 0; i < tokens.size(); ++i) {
    const SqlToken& t = tokens[i];
    if (t.IsSymbol("(")) in_from.push_back(false);
    if (t.IsSymbol(")") && in_from.size() > 1) in_from.pop_back();
    if (t.IsKeyword("FROM") || t.IsKeyword("JOIN") || t.IsKeyword("USING")) in_from.back() = true;
    for (const char* kw : {"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "ON", "WINDOW", "QUALIFY", "UNION",
                           "EXCEPT", "INTERSECT", "RETURNING", "WHEN", "SET", "VALUES", "SELECT", "THEN"}) {
      if (t.IsKeyword(kw)) in_from.back() = false;
    }
    const bool after_from = i > 0 && (tokens[i - 1].IsKeyword("FROM") || tokens[i - 1].IsKeyword("JOIN") ||
                                      tokens[i - 1].IsKeyword("USING") || tokens[i - 1].IsKeyword("PIVOT") ||
                                      tokens[i - 1].IsKeyword("UNPIVOT") || tokens[i - 1].IsKeyword("SUMMARIZE") ||
                                      tokens[i - 1].IsKeyword("DESCRIBE") ||
                                      (tokens[i - 1].IsSymbol(",") && in_from.back()));
    if (strict && t.kind == SqlToken::Kind::kString && LooksLikeFile(t.text)) {
      return PermissionDenied("reading files directly is not allowed: '" + t.text + "'");
    }
    if (t.IsIdentifier() && (AsciiLower(t.text) == "pg_settings" || AsciiLower(t.text).rfind("duckdb_", 0) == 0)) {
      return PermissionDenied("the engine's settings and internal catalogs are not available");
    }
    if (after_from && t.kind == SqlToken::Kind::kString) {
      return PermissionDenied("reading files directly is not allowed: '" + t.text + "' is not a table name");
    }
    if (t.kind == SqlToken::Kind::kQuotedIdentifier && t.text.find_first_of("/\\:") != std::string::npos) {
      return PermissionDenied("reading files directly is not allowed: \"" + t.text + "\" is not a name");
    }
    if (t.kind == SqlToken::Kind::kString && i > 0 && tokens[i - 1].IsSymbol("(") && LooksLikeFile(t.text)) {
      return PermissionDenied("reading files directly is not allowed: '" + t.text + "'");
    }
    if (!t.IsIdentifier() || i + 1 >= tokens.size() || !tokens[i + 1].IsSymbol("(")) continue;
    std::string name = AsciiLower(t.text);
    if (DeniedScalarFunction(name)) return PermissionDenied("function " + name + "() is not allowed");
    if (AllowedTableFunction(name)) continue;
    if (!loaded) {
      MEDLAKE_ASSIGN_OR_RETURN(auto rows, conn.QueryAll(
          "SELECT DISTINCT lower(function_name) FROM duckdb_functions() "
          "WHERE function_type IN ('table', 'table_macro')"));
      for (const auto& r : rows) {
        if (!r.empty() && !r[0].is_null()) table_functions.insert(r[0].s);
      }
      loaded = true;
    }
    // Table functions run where a table may stand: after FROM/JOIN/LATERAL, in a FROM list, or
    // in parentheses (a scalar namesake such as repeat() in a select list is not one).
    const bool table_position = after_from || (i > 0 && (tokens[i - 1].IsKeyword("LATERAL") ||
                                                         tokens[i - 1].IsSymbol("(")));
    if (table_position && table_functions.count(name)) {
      return PermissionDenied("table function " + name + "() is not allowed here");
    }
  }
  return Status::OK();
}

}  // namespace medlake::engine::internal
