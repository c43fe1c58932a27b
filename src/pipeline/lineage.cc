#include "pipeline/lineage.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "engine/lake_executor.h"
#include "engine/sql_lexer.h"
#include "pipeline/model.h"
#include "pipeline/sof/view_definition.h"
#include "storage/iceberg/table_metadata.h"
#include "storage/table.h"

namespace medlake::pipeline {
namespace {

using json = nlohmann::json;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// A relation visible in a scope: its columns (in order) with their lineage.
struct Relation {
  std::vector<std::string> names;
  std::vector<std::set<std::string>> sources;
  std::string base_table;  // set for a lake table whose columns are unknown: any name resolves
};

using Ctes = std::map<std::string, std::shared_ptr<Relation>>;

class Tracer {
 public:
  explicit Tracer(const TableColumns& columns) : columns_(columns) {}

  Relation Node(const json& node, Ctes ctes) {
    if (!node.is_object()) return {};
    AddCtes(node, &ctes);
    std::string type = node.value("type", "");
    if (type == "SET_OPERATION_NODE") {
      Relation left = Node(node.value("left", json()), ctes);
      Relation right = Node(node.value("right", json()), ctes);
      bool by_name = node.value("setop_type", "") == "UNION_BY_NAME";
      for (size_t i = 0; i < right.names.size(); ++i) {
        size_t at = i;
        if (by_name) {
          auto it = std::find(left.names.begin(), left.names.end(), right.names[i]);
          if (it == left.names.end()) {
            left.names.push_back(right.names[i]);
            left.sources.push_back(right.sources[i]);
            continue;
          }
          at = static_cast<size_t>(it - left.names.begin());
        }
        if (at < left.sources.size()) left.sources[at].insert(right.sources[i].begin(), right.sources[i].end());
      }
      return left;
    }
    if (type != "SELECT_NODE") return {};
    std::vector<std::pair<std::string, Relation>> scope;
    From(node.value("from_table", json()), ctes, &scope);
    Relation out;
    for (const auto& expr : node.value("select_list", json::array())) {
      if (expr.value("class", "") == "STAR") {
        std::string only = Lower(expr.value("relation_name", ""));
        std::set<std::string> exclude;
        for (const auto& e : expr.value("exclude_list", json::array())) {
          exclude.insert(Lower(e.is_string() ? e.get<std::string>() : e.value("name", e.dump())));
        }
        for (const auto& [alias, rel] : scope) {
          if (!only.empty() && alias != only) continue;
          for (size_t i = 0; i < rel.names.size(); ++i) {
            if (exclude.count(Lower(rel.names[i]))) continue;
            out.names.push_back(rel.names[i]);
            out.sources.push_back(rel.sources[i]);
          }
        }
        continue;
      }
      std::set<std::string> sources;
      Expression(expr, scope, ctes, &sources);
      std::string name = expr.value("alias", "");
      if (name.empty() && expr.value("class", "") == "COLUMN_REF") {
        const auto& names = expr["column_names"];
        if (!names.empty()) name = names.back().get<std::string>();
      }
      out.names.push_back(name);
      out.sources.push_back(std::move(sources));
    }
    return out;
  }

 private:
  void AddCtes(const json& node, Ctes* ctes) {
    auto it = node.find("cte_map");
    if (it == node.end() || !it->is_object()) return;
    for (const auto& entry : it->value("map", json::array())) {
      std::string name = Lower(entry.value("key", ""));
      const json& q = entry["value"]["query"]["node"];
      (*ctes)[name] = std::make_shared<Relation>(Node(q, *ctes));
    }
  }

  void From(const json& t, const Ctes& ctes, std::vector<std::pair<std::string, Relation>>* scope) {
    if (!t.is_object()) return;
    std::string type = t.value("type", "");
    std::string alias = Lower(t.value("alias", ""));
    if (type == "BASE_TABLE") {
      std::string schema = Lower(t.value("schema_name", ""));
      std::string table = Lower(t.value("table_name", ""));
      if (schema.empty() && ctes.count(table)) {
        scope->emplace_back(alias.empty() ? table : alias, *ctes.at(table));
        return;
      }
      if (schema.empty()) return;  // not a lake table
      Relation rel;
      std::string full = schema + "." + table;
      rel.base_table = full;
      for (const auto& c : columns_(full)) {
        rel.names.push_back(c);
        rel.sources.push_back({full + "." + c});
      }
      scope->emplace_back(alias.empty() ? table : alias, std::move(rel));
    } else if (type == "JOIN") {
      From(t.value("left", json()), ctes, scope);
      From(t.value("right", json()), ctes, scope);
    } else if (type == "SUBQUERY") {
      scope->emplace_back(alias, Node(t["subquery"]["node"], ctes));
    } else if (type == "TABLE_FUNCTION") {
      // unnest(...) and friends: their columns derive from their arguments.
      Relation rel;
      std::set<std::string> sources;
      Expression(t.value("function", json()), *scope, ctes, &sources);
      rel.names.push_back("unnest");
      rel.sources.push_back(sources);
      scope->emplace_back(alias, std::move(rel));
    }
  }

  void Resolve(const json& names, const std::vector<std::pair<std::string, Relation>>& scope,
               std::set<std::string>* out) {
    std::vector<std::string> parts;
    for (const auto& n : names) parts.push_back(Lower(n.get<std::string>()));
    if (parts.empty()) return;
    auto find_in = [&](const Relation& rel, const std::string& column) -> bool {
      for (size_t i = 0; i < rel.names.size(); ++i) {
        if (Lower(rel.names[i]) == column) {
          out->insert(rel.sources[i].begin(), rel.sources[i].end());
          return true;
        }
      }
      if (!rel.base_table.empty() && rel.names.empty()) {
        out->insert(rel.base_table + "." + column);
        return true;
      }
      return false;
    };
    // alias.column (or alias.column.field...)
    if (parts.size() >= 2) {
      for (const auto& [alias, rel] : scope) {
        if (alias == parts[0] && find_in(rel, parts[1])) return;
      }
    }
    // column (or column.field...)
    for (const auto& [alias, rel] : scope) {
      if (find_in(rel, parts[0])) return;
    }
  }

  void Expression(const json& e, const std::vector<std::pair<std::string, Relation>>& scope, const Ctes& ctes,
                  std::set<std::string>* out) {
    if (e.is_array()) {
      for (const auto& x : e) Expression(x, scope, ctes, out);
      return;
    }
    if (!e.is_object()) return;
    if (e.value("class", "") == "COLUMN_REF") {
      Resolve(e["column_names"], scope, out);
      return;
    }
    if (e.value("class", "") == "SUBQUERY") {
      Relation sub = Node(e["subquery"]["node"], ctes);
      for (const auto& s : sub.sources) out->insert(s.begin(), s.end());
      return;
    }
    for (const auto& [key, value] : e.items()) {
      if (key == "order_bys" || key == "filter") continue;
      if (value.is_object() || value.is_array()) Expression(value, scope, ctes, out);
    }
  }

  const TableColumns& columns_;
};

}  // namespace

namespace {

// DuckDB's parse tree of `sql` (json_serialize_sql); InvalidArgument when it does not parse.
Result<json> ParseTree(engine::Connection& conn, const std::string& sql) {
  MEDLAKE_ASSIGN_OR_RETURN(auto rows, conn.QueryAll("SELECT json_serialize_sql(" + engine::QuoteString(sql) + ")"));
  json tree = json::parse(rows.at(0).at(0).s, nullptr, false);
  if (tree.is_discarded()) return Internal("DuckDB returned an unreadable parse tree");
  if (tree.value("error", false)) {
    return InvalidArgument("cannot parse the model: " + tree.value("error_message", std::string("?")));
  }
  return tree;
}

}  // namespace

Result<std::vector<ColumnLineage>> QueryColumnLineage(engine::Connection& conn, const std::string& sql,
                                                      const TableColumns& table_columns) {
  MEDLAKE_ASSIGN_OR_RETURN(json tree, ParseTree(conn, sql));
  const auto& statements = tree["statements"];
  if (!statements.is_array() || statements.size() != 1) return InvalidArgument("lineage needs exactly one SELECT");
  Tracer tracer(table_columns);
  Relation rel = tracer.Node(statements[0]["node"], {});
  std::vector<ColumnLineage> out;
  for (size_t i = 0; i < rel.names.size(); ++i) out.push_back(ColumnLineage{rel.names[i], rel.sources[i]});
  return out;
}

namespace {

// Walks a whole parse tree: the names of every column reference, and whether a star of a SELECT
// whose FROM names `table` directly may expand it.
struct ReadColumnsWalker {
  std::string table;
  std::set<std::string> names;
  bool star = false;

  using Bases = std::vector<std::pair<std::string, std::string>>;  // (alias, ns.table)
  // A string member of `j`, or "" (members such as "type" are objects in some nodes).
  static std::string Str(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  }
  static void BaseTables(const json& t, Bases* out) {
    if (!t.is_object()) return;
    std::string type = Str(t, "type");
    if (type == "BASE_TABLE") {
      std::string schema = Lower(Str(t, "schema_name"));
      std::string name = Lower(Str(t, "table_name"));
      std::string alias = Lower(Str(t, "alias"));
      out->emplace_back(alias.empty() ? name : alias, schema + "." + name);
    } else if (type == "JOIN") {
      BaseTables(t.contains("left") ? t["left"] : json(), out);
      BaseTables(t.contains("right") ? t["right"] : json(), out);
    }
  }

  void Walk(const json& j, const Bases* from) {
    if (j.is_array()) {
      for (const auto& e : j) Walk(e, from);
      return;
    }
    if (!j.is_object()) return;
    if (Str(j, "type") == "SELECT_NODE") {
      Bases here;
      BaseTables(j.contains("from_table") ? j["from_table"] : json(), &here);
      for (auto it = j.begin(); it != j.end(); ++it) Walk(it.value(), &here);
      return;
    }
    const std::string cls = Str(j, "class");
    if (cls == "COLUMN_REF") {
      auto it = j.find("column_names");
      if (it != j.end() && it->is_array() && !it->empty() && it->back().is_string()) {
        names.insert(Lower(it->back().get<std::string>()));
      }
    } else if (cls == "STAR" && from != nullptr) {
      const std::string only = Lower(Str(j, "relation_name"));
      for (const auto& [alias, full] : *from) {
        if (full == table && (only.empty() || only == alias)) star = true;
      }
    }
    for (auto it = j.begin(); it != j.end(); ++it) Walk(it.value(), from);
  }
};

}  // namespace

Result<std::vector<std::string>> ColumnsReadFrom(engine::Connection& conn, const std::string& sql,
                                                 const std::string& table,
                                                 const std::vector<std::string>& table_columns) {
  MEDLAKE_ASSIGN_OR_RETURN(json tree, ParseTree(conn, sql));
  ReadColumnsWalker walker;
  walker.table = Lower(table);
  walker.Walk(tree.value("statements", json::array()), nullptr);
  if (walker.star) return table_columns;
  std::vector<std::string> out;
  for (const auto& c : table_columns) {
    if (walker.names.count(Lower(c))) out.push_back(c);
  }
  return out;
}

namespace {

std::vector<std::string> LakeColumns(engine::LakeSession& session, const std::string& table) {
  auto id = storage::ParseTableIdentifier(table);
  if (!id.ok()) return {};
  auto t = storage::LakeTable::Load(session.catalog(), session.file_system(), *id);
  if (!t.ok()) return {};
  auto schema = storage::iceberg::CurrentSchema((*t)->metadata());
  if (!schema.ok()) return {};
  std::vector<std::string> out;
  for (const auto& f : (*schema)->fields) out.push_back(f.name);
  return out;
}

}  // namespace

Result<std::vector<LineageEdge>> ModelLineage(engine::LakeSession& session, const Model& model,
                                              const std::vector<std::string>& deps) {
  std::vector<LineageEdge> edges;
  const std::string to = model.name();
  for (const auto& d : deps) edges.push_back(LineageEdge{d, "", to, ""});
  std::vector<std::string> out_columns = LakeColumns(session, to);
  if (model.kind == Model::Kind::kView) {
    auto view = sof::ViewDefinition::Parse(model.text);
    if (!view.ok()) return edges;
    for (const auto& c : view->columns()) edges.push_back(LineageEdge{"raw.fhir_resources", "payload", to, c.name});
    edges.push_back(LineageEdge{"raw.fhir_resources", "resource_type", to, "_resource_key"});
    edges.push_back(LineageEdge{"raw.fhir_resources", "resource_id", to, "_resource_key"});
    return edges;
  }
  if (model.kind != Model::Kind::kSql) return edges;
  auto lineage = QueryColumnLineage(session.connection(), model.text,
                                    [&](const std::string& t) { return LakeColumns(session, t); });
  if (!lineage.ok()) return edges;
  for (size_t i = 0; i < lineage->size(); ++i) {
    // By position when the table's columns are known (expressions without an alias), else by name.
    std::string column = i < out_columns.size() ? out_columns[i] : (*lineage)[i].column;
    if (column.empty() || column == model.config.delete_column) continue;
    for (const auto& src : (*lineage)[i].sources) {
      size_t dot = src.rfind('.');
      edges.push_back(LineageEdge{src.substr(0, dot), src.substr(dot + 1), to, column});
    }
  }
  return edges;
}

Status WriteLineage(engine::LakeSession& session, const std::vector<LineageEdge>& edges) {
  if (edges.empty()) return Status::OK();
  auto ignore = [](size_t, engine::StatementOutcome&) { return Status::OK(); };
  MEDLAKE_RETURN_IF_ERROR(session.Run("CREATE SCHEMA IF NOT EXISTS lineage", ignore));
  std::string values;
  for (const auto& e : edges) {
    values += std::string(values.empty() ? "" : ", ") + "(" + engine::QuoteString(e.from_table) + ", " +
              engine::QuoteString(e.from_column) + ", " + engine::QuoteString(e.to_table) + ", " +
              engine::QuoteString(e.to_column) + ")";
  }
  std::string rows = "SELECT DISTINCT from_table, from_column, to_table, to_column, "
                     "CASE WHEN from_column = '' THEN 'table' ELSE 'column' END AS level, now() AS updated_at "
                     "FROM (VALUES " + values + ") AS e(from_table, from_column, to_table, to_column)";
  engine::LakeExecutorContext ctx{&session.connection(), &session.catalog(), &session.file_system(),
                                  session.lake().warehouse_path(), &session.clock(),
                                  session.options().target_file_size_bytes};
  return engine::UpsertTableRows(ctx, {"lineage", "edges"}, rows, {"to_table"}, "", {}).status();
}

}  // namespace medlake::pipeline
