#include "engine/select_rewriter.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>
#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "engine/json_internal.h"
#include "engine/predicate_safety.h"
#include "engine/sql_guard.h"

namespace medlake::engine {
namespace {

using nlohmann::json;

using internal::JsonString;

Result<std::string> OneString(Connection& conn, std::string_view sql, std::string_view arg) {
  // The serializer statements are the same every time: prepared once per connection.
  MEDLAKE_ASSIGN_OR_RETURN(PreparedStatement* stmt, conn.PrepareCached(sql));
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
    std::string type = JsonString(tree, "error_type");
    std::string message = JsonString(tree, "error_message");
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

// PostgreSQL's type name for a cast's target, as its result column is named (`'1'::integer`
// gives int4); empty for types PostgreSQL has no name for.
std::string PgCastTypeName(const json& cast_type) {
  static const std::map<std::string, std::string, std::less<>> kNames = {
      {"BOOLEAN", "bool"},      {"TINYINT", "int2"},     {"SMALLINT", "int2"},
      {"INTEGER", "int4"},      {"BIGINT", "int8"},      {"HUGEINT", "numeric"},
      {"FLOAT", "float4"},      {"DOUBLE", "float8"},    {"DECIMAL", "numeric"},
      {"VARCHAR", "text"},      {"BLOB", "bytea"},       {"DATE", "date"},
      {"TIME", "time"},         {"TIMESTAMP", "timestamp"}, {"TIMESTAMP WITH TIME ZONE", "timestamptz"},
      {"INTERVAL", "interval"}, {"UUID", "uuid"},
  };
  auto it = kNames.find(JsonString(cast_type, "id"));
  return it == kNames.end() ? std::string() : it->second;
}

// The name PostgreSQL gives a result column without an alias (its FigureColname rules): a
// column's own name, a function's name (count(*) is "count"), "case", "coalesce", "exists",
// "array", a scalar subquery's first column name; a cast keeps its operand's name, else takes
// its type's. Empty for everything else (operators, constants, comparisons), which PostgreSQL
// calls "?column?". `strong` tells a name from the expression from a cast type's name.
std::string PgResultName(const json& e, bool* strong) {
  *strong = true;
  const std::string cls = JsonString(e, "class");
  const std::string type = JsonString(e, "type");
  if (cls == "COLUMN_REF" && e.contains("column_names") && e["column_names"].is_array() &&
      !e["column_names"].empty() && e["column_names"].back().is_string()) {
    return e["column_names"].back().get<std::string>();
  }
  if (cls == "FUNCTION") {
    if (e.value("is_operator", false)) return "";
    std::string name = JsonString(e, "function_name");
    if (name == "count_star") return "count";
    if (name == "list_value") return "array";
    const bool word = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    return word ? name : "";
  }
  if (cls == "CAST" && e.contains("child")) {
    std::string inner = PgResultName(e["child"], strong);
    if (*strong && !inner.empty()) return inner;
    *strong = false;
    return e.contains("cast_type") ? PgCastTypeName(e["cast_type"]) : "";
  }
  if (cls == "CASE") {
    *strong = false;
    return "case";
  }
  if (type == "OPERATOR_COALESCE") return "coalesce";
  if (type == "ARRAY_CONSTRUCTOR") return "array";
  if (cls == "SUBQUERY") {
    const std::string kind = JsonString(e, "subquery_type");
    if (kind == "EXISTS") return "exists";
    if (kind == "ARRAY") return "array";
    if (kind != "SCALAR" || !e.contains("subquery")) return "";
    const json& sub = e["subquery"];
    const json* node = sub.contains("node") ? &sub["node"] : nullptr;
    while (node != nullptr && JsonString(*node, "type") == "SET_OPERATION_NODE") {
      node = node->contains("left") && (*node)["left"].is_object() ? &(*node)["left"] : nullptr;
    }
    if (node == nullptr || !node->contains("select_list") || !(*node)["select_list"].is_array() ||
        (*node)["select_list"].empty()) {
      return "";
    }
    const json& first = (*node)["select_list"][0];
    std::string alias = JsonString(first, "alias");
    return alias.empty() ? PgResultName(first, strong) : alias;
  }
  return "";
}

// Gives the unaliased result columns of a query the names PostgreSQL would (PgResultName, else
// "?column?"), so that clients reading columns by name (`row.count`, `rs.getInt("max")`) find
// them: DuckDB would say count_star(), max(x) or CAST(x AS VARCHAR). A set operation takes the
// names of its leftmost query, as in PostgreSQL. Stars keep DuckDB's names (the same), and so do
// columns unless `alias_columns`: then a qualified `t.oid` becomes `t.oid AS oid`, so that
// ORDER BY oid means that output column, as in PostgreSQL, where DuckDB finds it ambiguous among
// the joined tables. Returns true when any alias was given.
bool NameResultColumnsLikePostgres(json& node, bool alias_columns) {
  json* query = &node;
  while (JsonString(*query, "type") == "SET_OPERATION_NODE") {
    if (!query->contains("left") || !(*query)["left"].is_object()) return false;
    query = &(*query)["left"];
  }
  if (JsonString(*query, "type") != "SELECT_NODE" || !query->contains("select_list") ||
      !(*query)["select_list"].is_array()) {
    return false;
  }
  bool named = false;
  for (json& item : (*query)["select_list"]) {
    if (!item.is_object() || !JsonString(item, "alias").empty()) continue;
    const std::string cls = JsonString(item, "class");
    // Only qualified columns: a bare name given itself as alias can be read as a reference to
    // the alias (DuckDB refuses `current_user AS current_user`), and cannot be ambiguous anyway.
    const bool qualified = item.contains("column_names") && item["column_names"].is_array() &&
                           item["column_names"].size() >= 2;
    if (cls == "STAR" || cls == "COLUMNS" || (cls == "COLUMN_REF" && !(alias_columns && qualified))) continue;
    bool strong = true;
    std::string name = PgResultName(item, &strong);
    item["alias"] = name.empty() ? "?column?" : name;
    named = true;
  }
  return named;
}

class Rewriter {
 public:
  Rewriter(Connection& conn, TableResolver& resolver, const std::vector<ColumnPredicate::Kind>* parameter_kinds)
      : conn_(conn), resolver_(resolver), parameter_kinds_(parameter_kinds) {}

  Status Walk(json& node) {
    if (node.is_array()) {
      for (auto& child : node) MEDLAKE_RETURN_IF_ERROR(Walk(child));
      return Status::OK();
    }
    if (!node.is_object()) return Status::OK();
    if (resolver_.untrusted()) {
      MEDLAKE_RETURN_IF_ERROR(internal::CheckUntrustedNode(node));
      internal::NoteColumns(node, &column_names_, &star_);
    }
    if (JsonString(node, "type") == "BASE_TABLE" && node.contains("table_name")) {
      return Replace(node, {});
    }
    if (JsonString(node, "type") == "SELECT_NODE" && node.contains("from_table")) {
      std::vector<ColumnPredicate> preds;
      if (node.contains("where_clause")) CollectPredicates(node["where_clause"], &preds);
      MEDLAKE_RETURN_IF_ERROR(WalkFrom(node["from_table"], preds, /*eligible=*/true, /*sole=*/true));
      for (auto& [key, child] : node.items()) {
        if (key != "from_table") MEDLAKE_RETURN_IF_ERROR(Walk(child));
      }
      return Status::OK();
    }
    for (auto& [key, child] : node.items()) MEDLAKE_RETURN_IF_ERROR(Walk(child));
    return Status::OK();
  }

  int replaced() const { return replaced_; }
  std::set<std::string>& column_names() { return column_names_; }
  bool star() const { return star_; }

 private:
  // FROM clauses: tables reached through inner joins only get the block's predicates.
  // `sole`: `from` is the block's whole FROM clause, so an unqualified column binds to it.
  Status WalkFrom(json& from, const std::vector<ColumnPredicate>& preds, bool eligible, bool sole) {
    std::string type = JsonString(from, "type");
    if (resolver_.untrusted()) MEDLAKE_RETURN_IF_ERROR(internal::CheckUntrustedNode(from));
    if (type == "BASE_TABLE" && from.contains("table_name")) {
      if (!eligible) return Replace(from, {});
      std::string alias = JsonString(from, "alias");
      if (alias.empty()) alias = JsonString(from, "table_name");
      std::vector<ColumnPredicate> mine;
      for (const auto& p : preds) {
        size_t dot = p.column.find('\x1f');
        if (dot == std::string::npos) {
          // An unqualified column binds to the one table of the FROM clause that has it (DuckDB
          // rejects it as ambiguous otherwise); the resolver applies it only to a table that has
          // the column, so offering it to every inner-joined table is safe. Only a sole table
          // may take the term over: with several, which one it binds to is DuckDB's to say.
          mine.push_back(p);
          if (!sole) mine.back().term = -1;
        } else if (p.column.substr(0, dot) == alias) {
          ColumnPredicate q = p;
          q.column = p.column.substr(dot + 1);
          mine.push_back(std::move(q));
        }
      }
      return Replace(from, mine);
    }
    if (type == "JOIN") {
      bool inner = JsonString(from, "join_type") == "INNER" && JsonString(from, "ref_type") != "ASOF";
      for (const char* side : {"left", "right"}) {
        if (from.contains(side)) {
          MEDLAKE_RETURN_IF_ERROR(WalkFrom(from[side], preds, eligible && inner, /*sole=*/false));
        }
      }
      for (auto& [key, child] : from.items()) {
        if (key != "left" && key != "right") MEDLAKE_RETURN_IF_ERROR(Walk(child));
      }
      return Status::OK();
    }
    return Walk(from);
  }

  // A column reference as "col" or "alias<US>col" (unit separator; cannot appear in SQL names
  // typed by people). Empty when the node is not a plain column reference.
  static std::string ColumnOf(const json& e) {
    if (JsonString(e, "class") != "COLUMN_REF" || !e.contains("column_names") || !e["column_names"].is_array()) {
      return "";
    }
    const auto& names = e["column_names"];
    if (names.size() == 1 && names[0].is_string()) return names[0].get<std::string>();
    if (names.size() == 2 && names[0].is_string() && names[1].is_string()) {
      return names[0].get<std::string>() + "\x1f" + names[1].get<std::string>();
    }
    return "";
  }

  static std::optional<ColumnPredicate::Constant> ConstantOf(const json& e) {
    using K = ColumnPredicate::Kind;
    std::string cls = JsonString(e, "class");
    if (cls == "CAST" && e.contains("child") && e.contains("cast_type")) {
      auto inner = ConstantOf(e["child"]);
      if (!inner || inner->kind != K::kString) return std::nullopt;
      std::string to = e["cast_type"].is_object() ? JsonString(e["cast_type"], "id") : "";
      if (to == "DATE") return ColumnPredicate::Constant{K::kDate, inner->text};
      if (to == "TIMESTAMP" || to == "TIMESTAMP WITH TIME ZONE") {
        // Zone-less text is read in UTC (sessions run in UTC); an offset is exact for a
        // TIMESTAMPTZ (ParseTimestampMicros applies it), but text with an offset or zone name
        // cast to a plain TIMESTAMP is left to DuckDB, unpruned.
        const std::string& t = inner->text;
        const bool zoned = t.find_first_of("+Z") != std::string::npos || t.find('-', 10) != std::string::npos ||
                           std::any_of(t.begin(), t.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)) && c != 'T'; });
        if (zoned && to == "TIMESTAMP") return std::nullopt;
        return ColumnPredicate::Constant{K::kTimestamp, inner->text};
      }
      return std::nullopt;
    }
    if (cls == "PARAMETER") {
      const std::string id = JsonString(e, "identifier");
      if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
      return ColumnPredicate::Constant{K::kParameter, id};
    }
    if (cls != "CONSTANT" || !e.contains("value") || !e["value"].is_object()) return std::nullopt;
    const json& v = e["value"];
    if (v.contains("is_null") && v["is_null"].is_boolean() && v["is_null"].get<bool>()) return std::nullopt;
    if (!v.contains("type") || !v["type"].is_object() || !v.contains("value")) return std::nullopt;
    std::string id = JsonString(v["type"], "id");
    const json& raw = v["value"];
    if ((id == "INTEGER" || id == "BIGINT" || id == "SMALLINT" || id == "TINYINT") && raw.is_number_integer()) {
      return ColumnPredicate::Constant{K::kInteger, std::to_string(raw.get<int64_t>())};
    }
    if (id == "VARCHAR" && raw.is_string()) return ColumnPredicate::Constant{K::kString, raw.get<std::string>()};
    if (id == "DOUBLE" && raw.is_number()) return ColumnPredicate::Constant{K::kDouble, raw.dump()};
    if (id == "DECIMAL" && raw.is_number_integer() && v["type"].contains("type_info") &&
        v["type"]["type_info"].is_object() && v["type"]["type_info"].contains("scale") &&
        v["type"]["type_info"]["scale"].is_number_integer()) {
      int64_t unscaled = raw.get<int64_t>();
      int scale = v["type"]["type_info"]["scale"].get<int>();
      std::string digits = std::to_string(unscaled < 0 ? -unscaled : unscaled);
      while (static_cast<int>(digits.size()) <= scale) digits.insert(0, "0");
      if (scale > 0) digits.insert(digits.size() - static_cast<size_t>(scale), ".");
      return ColumnPredicate::Constant{K::kDecimal, (unscaled < 0 ? "-" : "") + digits};
    }
    return std::nullopt;
  }

  // The block's top-level AND terms that are simple predicates on a column. Each term's node is
  // kept (terms_) so that Finish can drop a term a resolved reference already enforces.
  void CollectPredicates(json& e, std::vector<ColumnPredicate>* out) {
    if (!e.is_object()) return;
    std::string type = JsonString(e, "type");
    using Op = ColumnPredicate::Op;
    if (type == "CONJUNCTION_AND" && e.contains("children") && e["children"].is_array()) {
      for (auto& c : e["children"]) CollectPredicates(c, out);
      return;
    }
    static const std::map<std::string, std::pair<Op, Op>> kCompare = {
        {"COMPARE_EQUAL", {Op::kEq, Op::kEq}},
        {"COMPARE_LESSTHAN", {Op::kLt, Op::kGt}},
        {"COMPARE_LESSTHANOREQUALTO", {Op::kLe, Op::kGe}},
        {"COMPARE_GREATERTHAN", {Op::kGt, Op::kLt}},
        {"COMPARE_GREATERTHANOREQUALTO", {Op::kGe, Op::kLe}},
    };
    auto it = kCompare.find(type);
    if (it != kCompare.end() && e.contains("left") && e.contains("right")) {
      std::string col = ColumnOf(e["left"]);
      auto constant = ConstantOf(e["right"]);
      Op op = it->second.first;
      if (col.empty()) {
        col = ColumnOf(e["right"]);
        constant = ConstantOf(e["left"]);
        op = it->second.second;  // 7 > f  is  f < 7
      }
      if (!col.empty() && constant) out->push_back(ColumnPredicate{col, op, {*constant}, NewTerm(e)});
      return;
    }
    if (type == "COMPARE_BETWEEN" && e.contains("input") && e.contains("lower") && e.contains("upper")) {
      std::string col = ColumnOf(e["input"]);
      auto lo = ConstantOf(e["lower"]);
      auto hi = ConstantOf(e["upper"]);
      // The term is whole only when both bounds are constants.
      const int term = !col.empty() && lo && hi ? NewTerm(e) : -1;
      if (!col.empty() && lo) out->push_back(ColumnPredicate{col, Op::kGe, {*lo}, term});
      if (!col.empty() && hi) out->push_back(ColumnPredicate{col, Op::kLe, {*hi}, term});
      return;
    }
    if ((type == "COMPARE_IN" || type == "OPERATOR_IS_NULL" || type == "OPERATOR_IS_NOT_NULL") &&
        e.contains("children") && e["children"].is_array() && !e["children"].empty()) {
      std::string col = ColumnOf(e["children"][0]);
      if (col.empty()) return;
      if (type == "OPERATOR_IS_NULL") {
        out->push_back(ColumnPredicate{col, Op::kIsNull, {}, NewTerm(e)});
      } else if (type == "OPERATOR_IS_NOT_NULL") {
        out->push_back(ColumnPredicate{col, Op::kIsNotNull, {}, NewTerm(e)});
      } else {
        ColumnPredicate p{col, Op::kIn, {}, -1};
        for (size_t i = 1; i < e["children"].size(); ++i) {
          auto c = ConstantOf(e["children"][i]);
          if (!c) return;  // a non-constant member: no pruning
          p.values.push_back(*c);
        }
        p.term = NewTerm(e);
        out->push_back(std::move(p));
      }
    }
  }

  int NewTerm(json& e) {
    terms_.push_back(&e);
    return static_cast<int>(terms_.size()) - 1;
  }

  Status Replace(json& node, std::vector<ColumnPredicate> predicates) {
    if (parameter_kinds_ != nullptr) {
      for (auto& p : predicates) {
        for (auto& c : p.values) {
          if (c.kind != ColumnPredicate::Kind::kParameter) continue;
          const size_t n = static_cast<size_t>(std::strtoul(c.text.c_str(), nullptr, 10));
          if (n >= 1 && n <= parameter_kinds_->size()) c.parameter_kind = (*parameter_kinds_)[n - 1];
        }
      }
    }
    std::string ns = JsonString(node, "schema_name");
    std::string name = JsonString(node, "table_name");
    std::string catalog = JsonString(node, "catalog_name");
    if (ns.empty() || !catalog.empty()) return Status::OK();
    std::optional<AtClause> at;
    if (node.contains("at_clause") && node["at_clause"].is_object()) {
      MEDLAKE_ASSIGN_OR_RETURN(at, EvaluateAt(node["at_clause"]));
    }
    MEDLAKE_ASSIGN_OR_RETURN(auto scan, resolver_.Resolve(ns, name, at, predicates));
    if (!scan) {
      if (at) return InvalidArgument("AT (...) applies only to lake tables, not " + ns + "." + name);
      return Status::OK();
    }
    // Terms whose every predicate the reference's SQL enforces exactly: dropped by Finish.
    std::set<int> whole, partial;
    for (size_t i = 0; i < predicates.size(); ++i) {
      if (predicates[i].term < 0) continue;
      const bool exact = std::find(scan->exact_predicates.begin(), scan->exact_predicates.end(), i) !=
                         scan->exact_predicates.end();
      (exact ? whole : partial).insert(predicates[i].term);
    }
    for (int t : whole) {
      if (!partial.count(t)) enforced_terms_.insert(t);
    }
    std::string alias = JsonString(node, "alias");
    if (alias.empty()) alias = name;
    columns_.Add(alias, scan->column_kinds);
    // The reference is put in place by Finish, once the whole statement is known.
    pending_.push_back(Pending{&node, alias, std::move(*scan)});
    ++replaced_;
    return Status::OK();
  }

 public:
  // Puts every resolved reference in place: unguarded when `check` is set and the predicates of
  // `statements` (Walk only records references, so the tree is still as written) cannot fail
  // (engine/predicate_safety.h), else as resolved. In the tree each reference becomes a
  // placeholder table name, which Substitute replaces by its scan in the final text: the scans
  // are long SQL that would otherwise be parsed into the tree and printed back (most of the
  // rewrite's cost).
  Status Finish(const json& statements, bool check) {
    bool guarded = false;
    for (const auto& p : pending_) guarded = guarded || !p.scan.sql_unguarded.empty();
    const bool unguard =
        guarded && check && internal::PredicatesCannotFail(statements, columns_, parameter_kinds_);
    if (!pending_.empty()) {
      MEDLAKE_ASSIGN_OR_RETURN(token_prefix_, RandomHex(8));
    }
    for (size_t i = 0; i < pending_.size(); ++i) {
      Pending& p = pending_[i];
      // A letter ends the name so that placeholder 1 is not a prefix of placeholder 10.
      std::string token = "__medlake_ref_" + token_prefix_ + "_" + std::to_string(i) + "z";
      json& n = *p.node;
      n["catalog_name"] = "";
      n["schema_name"] = "";
      n["table_name"] = token;
      n["alias"] = p.alias;
      n["at_clause"] = nullptr;
      scans_.emplace_back(std::move(token),
                          unguard && !p.scan.sql_unguarded.empty() ? p.scan.sql_unguarded : p.scan.sql);
    }
    pending_.clear();
    // Terms a reference already enforces become `true` (after the safety check above, which
    // reads the tree as written).
    if (!enforced_terms_.empty()) {
      MEDLAKE_ASSIGN_OR_RETURN(json probe, Serialize(conn_, "SELECT true"));
      const json constant_true = probe["statements"][0]["node"]["select_list"][0];
      for (int t : enforced_terms_) *terms_[static_cast<size_t>(t)] = constant_true;
      enforced_terms_.clear();
    }
    return Status::OK();
  }

  // `text` (the deserialized tree) with each placeholder replaced by its scan, as a subquery.
  Result<std::string> Substitute(std::string text) const {
    for (const auto& [token, sql] : scans_) {
      size_t at = text.find('"' + token + '"');
      size_t length = token.size() + 2;
      if (at == std::string::npos) {
        at = text.find(token);
        length = token.size();
      }
      if (at == std::string::npos) return Internal("the rewritten statement lost a table reference");
      text.replace(at, length, "(" + sql + ")");
    }
    return text;
  }

 private:
  Result<AtClause> EvaluateAt(const json& at) {
    AtClause out;
    out.unit = JsonString(at, "unit");
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
    auto inner = RewriteQuery(conn_, typed, resolver_, nullptr);
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
  const std::vector<ColumnPredicate::Kind>* parameter_kinds_;
  int replaced_ = 0;
  internal::StatementColumns columns_;
  // Resolved references not yet put in place (their place in the tree, alias and scans).
  struct Pending {
    json* node;
    std::string alias;
    ResolvedTable scan;
  };
  std::vector<Pending> pending_;
  std::vector<json*> terms_;       // WHERE terms read by CollectPredicates, by term id
  std::set<int> enforced_terms_;   // terms to replace by `true`
  std::string token_prefix_;                               // random per statement
  std::vector<std::pair<std::string, std::string>> scans_;  // placeholder -> scan SQL
  std::set<std::string> column_names_;
  bool star_ = false;
};

}  // namespace

Result<std::string> WithPostgresResultNames(Connection& conn, std::string_view sql) {
  auto tree = Serialize(conn, sql);
  if (!tree.ok()) {
    if (tree.status().code() == StatusCode::kFailedPrecondition) return std::string(sql);
    return tree.status();
  }
  json& statement = (*tree)["statements"][0];
  if (!statement.contains("node") || !NameResultColumnsLikePostgres(statement["node"], /*alias_columns=*/true)) {
    return std::string(sql);
  }
  // The names are a courtesy: a statement DuckDB cannot write back as SQL runs as it came.
  auto named = Deserialize(conn, *tree);
  return named.ok() ? std::move(*named) : std::string(sql);
}

Result<RewriteResult> RewriteQuery(Connection& conn, std::string_view sql, TableResolver& resolver,
                                   const std::vector<ColumnPredicate::Kind>* parameter_kinds,
                                   bool postgres_result_names) {
  MEDLAKE_ASSIGN_OR_RETURN(json tree, Serialize(conn, sql));
  Rewriter rewriter(conn, resolver, parameter_kinds);
  MEDLAKE_RETURN_IF_ERROR(rewriter.Walk(tree["statements"]));
  // Only principals under policies get row-filter guards.
  MEDLAKE_RETURN_IF_ERROR(rewriter.Finish(tree["statements"], resolver.untrusted()));
  const bool named = postgres_result_names && tree["statements"][0].contains("node") &&
                     NameResultColumnsLikePostgres(tree["statements"][0]["node"], /*alias_columns=*/false);
  RewriteResult out;
  out.tables_replaced = rewriter.replaced();
  out.column_names = std::move(rewriter.column_names());
  out.star = rewriter.star();
  // An untrusted statement always runs as the tree that was checked, never as its original text.
  if (out.tables_replaced == 0 && !resolver.untrusted() && !named) {
    out.sql = std::string(sql);
    return out;
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::string text, Deserialize(conn, tree));
  MEDLAKE_ASSIGN_OR_RETURN(out.sql, rewriter.Substitute(std::move(text)));
  return out;
}

}  // namespace medlake::engine
