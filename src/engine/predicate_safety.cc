#include "engine/predicate_safety.h"

#include <optional>

#include "engine/json_internal.h"
#include "engine/sql_lexer.h"

namespace medlake::engine::internal {

void StatementColumns::Add(const std::string& alias, const std::map<std::string, ColumnKind>& kinds) {
  if (kinds.empty()) {
    unknown = true;
    return;
  }
  auto& mine = by_alias[AsciiLower(alias)];
  for (const auto& [name, kind] : kinds) {
    mine[name].insert(kind);
    any[name].insert(kind);
  }
}

namespace {

using nlohmann::json;

// What a literal operand is; kNone for anything that is not a literal.
enum class Lit { kNone, kString, kNull, kInteger, kDecimal, kDouble, kDate, kTimestamp, kTimestampTz, kBoolean };

const json* Child(const json& node, const char* key) {
  auto it = node.find(key);
  return it == node.end() || it->is_null() ? nullptr : &*it;
}

class Checker {
 public:
  Checker(const StatementColumns& columns, const std::vector<ColumnPredicate::Kind>* parameter_kinds)
      : columns_(columns), parameter_kinds_(parameter_kinds) {}

  bool Run(const json& root) {
    if (columns_.unknown) return false;
    Survey(root);
    return !unsupported_ && CheckAll(root);
  }

 private:
  // First pass: names that stand for something other than a lake column of that name, binding
  // names of table references, and constructs this check does not follow.
  void Survey(const json& node) {
    if (node.is_array()) {
      for (const auto& c : node) Survey(c);
      return;
    }
    if (!node.is_object()) return;
    const std::string type = JsonString(node, "type");
    const std::string cls = JsonString(node, "class");
    if (type == "SELECT_NODE") {
      if (const json* list = Child(node, "select_list"); list && list->is_array()) {
        for (const auto& item : *list) {
          const std::string alias = AsciiLower(JsonString(item, "alias"));
          if (alias.empty()) continue;
          if (JsonString(item, "class") == "COLUMN_REF" && LastName(item) == alias) continue;
          renamed_.insert(alias);
        }
      }
    }
    if (type == "PIVOT" || type == "UNPIVOT") unsupported_ = true;
    if (cls == "STAR") {
      for (const char* key : {"replace_list", "rename_list"}) {
        if (const json* l = Child(node, key); l && !l->empty()) unsupported_ = true;
      }
      if (Child(node, "expr") != nullptr) unsupported_ = true;
      if (auto c = node.find("columns"); c != node.end() && c->is_boolean() && c->get<bool>()) unsupported_ = true;
    }
    for (const char* key : {"column_name_alias", "aliases"}) {
      if (const json* l = Child(node, key); l && l->is_array()) {
        for (const auto& n : *l) {
          if (!n.is_string()) continue;
          renamed_.insert(AsciiLower(n.get<std::string>()));
          if (type == "BASE_TABLE") unsupported_ = true;  // a lake table's columns renamed by position
        }
      }
    }
    if (type == "BASE_TABLE" || type == "SUBQUERY" || type == "TABLE_FUNCTION" || type == "EXPRESSION_LIST") {
      std::string name = JsonString(node, "alias");
      if (name.empty() && type == "BASE_TABLE") name = JsonString(node, "table_name");
      if (name.empty() && type == "TABLE_FUNCTION") {
        if (const json* f = Child(node, "function")) name = JsonString(*f, "function_name");
      }
      if (!name.empty()) ++bindings_[AsciiLower(name)];
    }
    for (const auto& [key, child] : node.items()) Survey(child);
  }

  // Second pass: every predicate position.
  bool CheckAll(const json& node) {
    if (node.is_array()) {
      for (const auto& c : node) {
        if (!CheckAll(c)) return false;
      }
      return true;
    }
    if (!node.is_object()) return true;
    const std::string type = JsonString(node, "type");
    static const char* const kSelectPredicates[] = {"where_clause", "having", "qualify"};
    if (type == "SELECT_NODE") {
      for (const char* key : kSelectPredicates) {
        if (const json* p = Child(node, key); p && !Safe(*p)) return false;
      }
    }
    if (type == "JOIN") {
      if (const json* p = Child(node, "condition"); p && !Safe(*p)) return false;
    }
    for (const char* key : {"filter", "filter_expr"}) {
      if (const json* p = Child(node, key); p && p->is_object() && !Safe(*p)) return false;
    }
    for (const auto& [key, child] : node.items()) {
      if (!CheckAll(child)) return false;
    }
    return true;
  }

  static std::string LastName(const json& column_ref) {
    const json* names = Child(column_ref, "column_names");
    if (names == nullptr || !names->is_array() || names->empty() || !names->back().is_string()) return "";
    return AsciiLower(names->back().get<std::string>());
  }

  // The kinds a column reference may have, or nullopt when it is not known to be a lake column.
  // `qualifier` receives the table alias of a qualified reference ("" otherwise).
  std::optional<std::set<ColumnKind>> ColumnKinds(const json& e, std::string* qualifier) const {
    if (JsonString(e, "class") != "COLUMN_REF") return std::nullopt;
    const json* names = Child(e, "column_names");
    if (names == nullptr || !names->is_array() || names->empty() || names->size() > 2) return std::nullopt;
    for (const auto& n : *names) {
      if (!n.is_string()) return std::nullopt;
    }
    const std::string name = AsciiLower(names->back().get<std::string>());
    if (renamed_.count(name)) return std::nullopt;
    if (names->size() == 1) {
      auto it = columns_.any.find(name);
      if (it == columns_.any.end() || it->second.count(ColumnKind::kMasked)) return std::nullopt;
      if (qualifier) qualifier->clear();
      return it->second;
    }
    const std::string alias = AsciiLower((*names)[0].get<std::string>());
    auto bound = bindings_.find(alias);
    if (bound == bindings_.end() || bound->second != 1) return std::nullopt;  // unknown or ambiguous
    auto table = columns_.by_alias.find(alias);
    if (table == columns_.by_alias.end()) return std::nullopt;
    auto it = table->second.find(name);
    if (it == table->second.end() || it->second.count(ColumnKind::kMasked)) return std::nullopt;
    if (qualifier) *qualifier = alias;
    return it->second;
  }

  Lit LiteralOf(const json& e) const {
    const std::string cls = JsonString(e, "class");
    if (cls == "CONSTANT") {
      const json* v = Child(e, "value");
      if (v == nullptr || !v->is_object()) return Lit::kNone;
      if (auto n = v->find("is_null"); n != v->end() && n->is_boolean() && n->get<bool>()) return Lit::kNull;
      const json* t = Child(*v, "type");
      const std::string id = t ? JsonString(*t, "id") : "";
      if (id == "NULL") return Lit::kNull;
      if (id == "VARCHAR") return Lit::kString;
      if (id == "TINYINT" || id == "SMALLINT" || id == "INTEGER" || id == "BIGINT" || id == "HUGEINT" ||
          id == "UTINYINT" || id == "USMALLINT" || id == "UINTEGER" || id == "UBIGINT" || id == "UHUGEINT") {
        return Lit::kInteger;
      }
      if (id == "DECIMAL") return Lit::kDecimal;
      if (id == "DOUBLE" || id == "FLOAT") return Lit::kDouble;
      if (id == "BOOLEAN") return Lit::kBoolean;
      return Lit::kNone;
    }
    if (cls == "CAST") {
      const json* child = Child(e, "child");
      const json* to = Child(e, "cast_type");
      if (child == nullptr || to == nullptr || LiteralOf(*child) != Lit::kString) return Lit::kNone;
      const std::string id = JsonString(*to, "id");
      if (id == "DATE") return Lit::kDate;
      if (id == "TIMESTAMP") return Lit::kTimestamp;
      if (id == "TIMESTAMP WITH TIME ZONE") return Lit::kTimestampTz;
      return Lit::kNone;
    }
    if (cls == "PARAMETER" && parameter_kinds_ != nullptr) {
      const std::string id = JsonString(e, "identifier");
      if (id.empty() || id.size() > 6 || id.find_first_not_of("0123456789") != std::string::npos) return Lit::kNone;
      const size_t n = std::stoul(id);
      if (n < 1 || n > parameter_kinds_->size()) return Lit::kNone;
      using K = ColumnPredicate::Kind;
      switch ((*parameter_kinds_)[n - 1]) {
        case K::kString: return Lit::kString;
        case K::kInteger: return Lit::kInteger;
        case K::kDecimal: return Lit::kDecimal;
        case K::kDouble: return Lit::kDouble;
        case K::kDate: return Lit::kDate;
        case K::kTimestamp: return Lit::kTimestamp;
        case K::kParameter: return Lit::kNone;
      }
      return Lit::kNone;
    }
    if (cls == "FUNCTION" && JsonString(e, "function_name") == "-") {
      // A negative number: negating a literal is folded once, whatever the rows hold.
      const json* kids = Child(e, "children");
      if (kids && kids->is_array() && kids->size() == 1) {
        Lit inner = LiteralOf((*kids)[0]);
        if (inner == Lit::kInteger || inner == Lit::kDecimal || inner == Lit::kDouble) return inner;
      }
    }
    return Lit::kNone;
  }

  // Whether comparing a column of `kind` with a literal of `lit` casts only the literal.
  static bool Compatible(ColumnKind kind, Lit lit) {
    using C = ColumnKind;
    switch (lit) {
      case Lit::kString:
      case Lit::kNull: return true;
      case Lit::kInteger: return kind == C::kInteger || kind == C::kFloating || kind == C::kDecimal;
      case Lit::kDecimal:
      case Lit::kDouble: return kind == C::kFloating;
      case Lit::kDate: return kind == C::kDate || kind == C::kTimestamp || kind == C::kTimestampTz;
      case Lit::kTimestamp: return kind == C::kTimestamp;
      case Lit::kTimestampTz: return kind == C::kTimestampTz;
      case Lit::kBoolean: return kind == C::kBoolean;
      case Lit::kNone: return false;
    }
    return false;
  }

  bool ColumnWithLiterals(const json& column, const std::vector<const json*>& literals) const {
    auto kinds = ColumnKinds(column, nullptr);
    if (!kinds) return false;
    for (const json* l : literals) {
      const Lit lit = LiteralOf(*l);
      for (ColumnKind k : *kinds) {
        if (!Compatible(k, lit)) return false;
      }
    }
    return true;
  }

  bool PairSafe(const json& a, const json& b) const {
    if (LiteralOf(a) != Lit::kNone && LiteralOf(b) != Lit::kNone) return true;  // folded once
    if (ColumnWithLiterals(a, {&b}) || ColumnWithLiterals(b, {&a})) return true;
    // Join keys: two lake columns of two different table aliases.
    std::string qa, qb;
    auto ka = ColumnKinds(a, &qa);
    auto kb = ColumnKinds(b, &qb);
    return ka && kb && !qa.empty() && !qb.empty() && qa != qb;
  }

  bool Safe(const json& e) const {
    if (!e.is_object()) return false;
    const std::string type = JsonString(e, "type");
    const std::string cls = JsonString(e, "class");
    const json* kids = Child(e, "children");
    const bool has_kids = kids != nullptr && kids->is_array() && !kids->empty();
    if (type == "CONJUNCTION_AND" || type == "CONJUNCTION_OR") {
      if (!has_kids) return false;
      for (const auto& c : *kids) {
        if (!Safe(c)) return false;
      }
      return true;
    }
    if (type == "OPERATOR_NOT") return has_kids && kids->size() == 1 && Safe((*kids)[0]);
    if (cls == "CONSTANT") return LiteralOf(e) != Lit::kNone;
    if (type == "OPERATOR_IS_NULL" || type == "OPERATOR_IS_NOT_NULL") {
      return has_kids && kids->size() == 1 &&
             (ColumnKinds((*kids)[0], nullptr).has_value() || LiteralOf((*kids)[0]) != Lit::kNone);
    }
    if (cls == "COLUMN_REF") {
      auto kinds = ColumnKinds(e, nullptr);
      if (!kinds) return false;
      for (ColumnKind k : *kinds) {
        if (k != ColumnKind::kBoolean) return false;
      }
      return true;
    }
    if (cls == "COMPARISON") {
      static const std::set<std::string> kCompare = {
          "COMPARE_EQUAL",       "COMPARE_NOTEQUAL",         "COMPARE_LESSTHAN",
          "COMPARE_GREATERTHAN", "COMPARE_LESSTHANOREQUALTO", "COMPARE_GREATERTHANOREQUALTO",
          "COMPARE_DISTINCT_FROM", "COMPARE_NOT_DISTINCT_FROM"};
      const json* l = Child(e, "left");
      const json* r = Child(e, "right");
      return kCompare.count(type) && l != nullptr && r != nullptr && PairSafe(*l, *r);
    }
    if (type == "COMPARE_IN" || type == "COMPARE_NOT_IN") {
      if (!has_kids || kids->size() < 2) return false;
      std::vector<const json*> values;
      for (size_t i = 1; i < kids->size(); ++i) values.push_back(&(*kids)[i]);
      return ColumnWithLiterals((*kids)[0], values);
    }
    if (type == "COMPARE_BETWEEN") {
      const json* input = Child(e, "input");
      const json* lower = Child(e, "lower");
      const json* upper = Child(e, "upper");
      return input && lower && upper && ColumnWithLiterals(*input, {lower, upper});
    }
    if (cls == "FUNCTION") {
      static const std::set<std::string> kLike = {"~~", "!~~", "~~*", "!~~*"};
      if (!kLike.count(JsonString(e, "function_name")) || !has_kids || kids->size() != 2) return false;
      if (Child(e, "filter") != nullptr || !JsonString(e, "schema").empty()) return false;
      return ColumnKinds((*kids)[0], nullptr).has_value() && LiteralOf((*kids)[1]) == Lit::kString;
    }
    return false;
  }

  const StatementColumns& columns_;
  const std::vector<ColumnPredicate::Kind>* parameter_kinds_;
  std::set<std::string> renamed_;           // lowercase names given to something else
  std::map<std::string, int> bindings_;     // lowercase table binding name -> references
  bool unsupported_ = false;
};

}  // namespace

bool PredicatesCannotFail(const json& statement, const StatementColumns& columns,
                          const std::vector<ColumnPredicate::Kind>* parameter_kinds) {
  return Checker(columns, parameter_kinds).Run(statement);
}

}  // namespace medlake::engine::internal
