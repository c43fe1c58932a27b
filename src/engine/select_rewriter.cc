#include "engine/select_rewriter.h"

#include <nlohmann/json.hpp>

namespace medlake::engine {
namespace {

using nlohmann::json;

// Reads a string member without throwing: "" when missing or not a string.
std::string Str(const json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<std::string> OneString(Connection& conn, std::string_view sql, std::string_view arg) {
  MEDLAKE_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(sql));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindString(1, arg));
  MEDLAKE_ASSIGN_OR_RETURN(auto result, stmt->Execute(/*streaming=*/false));
  MEDLAKE_ASSIGN_OR_RETURN(auto rows, result->FetchAll());
  if (rows.size() != 1 || rows[0].size() != 1 || rows[0][0].is_null()) {
    return Internal("unexpected result from the SQL serializer");
  }
  return rows[0][0].s;
}

Result<json> Serialize(Connection& conn, std::string_view sql) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string text, OneString(conn, "SELECT json_serialize_sql($1::VARCHAR)", sql));
  json tree = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (tree.is_discarded() || !tree.is_object()) return Internal("unreadable serialized SQL");
  if ((tree.contains("error") && tree["error"].is_boolean() && tree["error"].get<bool>())) {
    std::string type = Str(tree, "error_type");
    std::string message = Str(tree, "error_message");
    if (message.empty()) message = "cannot serialize statement";
    if (type == "parser") return InvalidArgument("Parser Error: " + message);
    return FailedPrecondition(message);
  }
  if (!tree.contains("statements") || !tree["statements"].is_array() ||
      tree["statements"].size() != 1) {
    return InvalidArgument("expected exactly one statement");
  }
  return tree;
}

Result<std::string> Deserialize(Connection& conn, const json& tree) {
  return OneString(conn, "SELECT json_deserialize_sql($1::VARCHAR::JSON)", tree.dump());
}

class Rewriter {
 public:
  Rewriter(Connection& conn, TableResolver& resolver) : conn_(conn), resolver_(resolver) {}

  Status Walk(json& node) {
    if (node.is_array()) {
      for (auto& child : node) MEDLAKE_RETURN_IF_ERROR(Walk(child));
      return Status::OK();
    }
    if (!node.is_object()) return Status::OK();
    if (Str(node, "type") == "BASE_TABLE" && node.contains("table_name")) {
      return Replace(node);
    }
    for (auto& [key, child] : node.items()) MEDLAKE_RETURN_IF_ERROR(Walk(child));
    return Status::OK();
  }

  int replaced() const { return replaced_; }

 private:
  Status Replace(json& node) {
    std::string ns = Str(node, "schema_name");
    std::string name = Str(node, "table_name");
    std::string catalog = Str(node, "catalog_name");
    if (ns.empty() || !catalog.empty()) return Status::OK();
    std::optional<AtClause> at;
    if (node.contains("at_clause") && node["at_clause"].is_object()) {
      MEDLAKE_ASSIGN_OR_RETURN(at, EvaluateAt(node["at_clause"]));
    }
    MEDLAKE_ASSIGN_OR_RETURN(auto scan, resolver_.Resolve(ns, name, at));
    if (!scan) {
      if (at) return InvalidArgument("AT (...) applies only to lake tables, not " + ns + "." + name);
      return Status::OK();
    }
    std::string alias = Str(node, "alias");
    if (alias.empty()) alias = name;
    MEDLAKE_ASSIGN_OR_RETURN(json wrapper, Serialize(conn_, "SELECT * FROM (" + *scan + ") AS x"));
    json sub = wrapper["statements"][0]["node"]["from_table"];
    if (Str(sub, "type") != "SUBQUERY") return Internal("scan did not serialize as a subquery");
    sub["alias"] = alias;
    if (node.contains("column_name_alias")) sub["column_name_alias"] = node["column_name_alias"];
    if (node.contains("sample")) sub["sample"] = node["sample"];
    if (node.contains("query_location")) sub["query_location"] = node["query_location"];
    node = std::move(sub);
    ++replaced_;
    return Status::OK();
  }

  Result<AtClause> EvaluateAt(const json& at) {
    AtClause out;
    out.unit = Str(at, "unit");
    if (out.unit != "VERSION" && out.unit != "TIMESTAMP") {
      return InvalidArgument("AT supports VERSION => id or TIMESTAMP => ts, not " + out.unit);
    }
    if (!at.contains("expr") || !at["expr"].is_object()) return InvalidArgument("AT without a value");
    // Evaluate the expression as "SELECT <expr>" (constant expressions only).
    MEDLAKE_ASSIGN_OR_RETURN(json probe, Serialize(conn_, "SELECT 1"));
    probe["statements"][0]["node"]["select_list"][0] = at["expr"];
    MEDLAKE_ASSIGN_OR_RETURN(std::string sql, Deserialize(conn_, probe));
    std::string typed = out.unit == "VERSION" ? "SELECT CAST((" + sql.substr(7) + ") AS BIGINT)"
                                              : "SELECT CAST((" + sql.substr(7) +
                                                    ") AS TIMESTAMPTZ)::TIMESTAMP";
    // The value may come from a lake table (e.g. a snapshot id from t$snapshots).
    auto inner = RewriteQuery(conn_, typed, resolver_);
    if (!inner.ok()) return inner.status();
    auto rows = conn_.QueryAll(inner->sql);
    if (!rows.ok()) return InvalidArgument("bad AT (" + out.unit + " => ...): " + rows.status().message());
    if (rows->size() != 1 || (*rows)[0][0].is_null()) {
      return InvalidArgument("AT (" + out.unit + " => ...) must be a non-null constant");
    }
    out.value = (*rows)[0][0];
    return out;
  }

  Connection& conn_;
  TableResolver& resolver_;
  int replaced_ = 0;
};

}  // namespace

Result<RewriteResult> RewriteQuery(Connection& conn, std::string_view sql, TableResolver& resolver) {
  MEDLAKE_ASSIGN_OR_RETURN(json tree, Serialize(conn, sql));
  Rewriter rewriter(conn, resolver);
  MEDLAKE_RETURN_IF_ERROR(rewriter.Walk(tree["statements"]));
  RewriteResult out;
  out.tables_replaced = rewriter.replaced();
  if (out.tables_replaced == 0) {
    out.sql = std::string(sql);
    return out;
  }
  MEDLAKE_ASSIGN_OR_RETURN(out.sql, Deserialize(conn, tree));
  return out;
}

}  // namespace medlake::engine
