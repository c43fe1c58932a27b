#include "engine/lake_statement.h"

#include "engine/sql_lexer.h"

namespace medlake::engine {
namespace {

class Parser {
 public:
  Parser(std::string_view sql, std::vector<SqlToken> tokens)
      : sql_(sql), t_(std::move(tokens)) {
    // A trailing semicolon is not part of the statement.
    while (!t_.empty() && t_.back().IsSymbol(";")) t_.pop_back();
  }

  bool AtEnd() const { return i_ >= t_.size(); }
  const SqlToken* Peek(size_t ahead = 0) const {
    return i_ + ahead < t_.size() ? &t_[i_ + ahead] : nullptr;
  }
  bool Keyword(std::string_view kw) {
    if (!AtEnd() && t_[i_].IsKeyword(kw)) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Keywords(std::initializer_list<std::string_view> kws) {
    size_t k = 0;
    for (auto kw : kws) {
      if (i_ + k >= t_.size() || !t_[i_ + k].IsKeyword(kw)) return false;
      ++k;
    }
    i_ += k;
    return true;
  }
  bool Symbol(std::string_view s) {
    if (!AtEnd() && t_[i_].IsSymbol(s)) {
      ++i_;
      return true;
    }
    return false;
  }
  Result<std::string> Identifier(const std::string& what) {
    if (AtEnd() || !t_[i_].IsIdentifier()) return InvalidArgument("expected " + what);
    return t_[i_++].text;
  }
  Result<QualifiedName> Name() {
    MEDLAKE_ASSIGN_OR_RETURN(std::string first, Identifier("a table name"));
    if (Symbol(".")) {
      MEDLAKE_ASSIGN_OR_RETURN(std::string second, Identifier("a table name after '.'"));
      if (Symbol(".")) return InvalidArgument("catalog-qualified names are not supported");
      return QualifiedName{first, second};
    }
    return QualifiedName{"", first};
  }
  // Returns the index of the token closing the parenthesis opened at token `open`.
  Result<size_t> MatchParen(size_t open) const {
    int depth = 0;
    for (size_t k = open; k < t_.size(); ++k) {
      if (t_[k].IsSymbol("(")) ++depth;
      if (t_[k].IsSymbol(")")) {
        if (--depth == 0) return k;
      }
    }
    return InvalidArgument("unbalanced parentheses");
  }
  // The source text from token `a` to the end of token `b` (inclusive).
  std::string Text(size_t a, size_t b) const {
    if (a > b || a >= t_.size()) return "";
    return std::string(sql_.substr(t_[a].begin, t_[b].end - t_[a].begin));
  }
  std::string Rest() const { return AtEnd() ? "" : Text(i_, t_.size() - 1); }
  // Finds the next top-level (depth 0) keyword from the current position.
  std::optional<size_t> FindTopLevelKeyword(std::string_view kw, size_t from) const {
    int depth = 0;
    for (size_t k = from; k < t_.size(); ++k) {
      if (t_[k].IsSymbol("(")) ++depth;
      if (t_[k].IsSymbol(")")) --depth;
      if (depth == 0 && t_[k].IsKeyword(kw)) return k;
    }
    return std::nullopt;
  }
  size_t pos() const { return i_; }
  void set_pos(size_t p) { i_ = p; }
  size_t size() const { return t_.size(); }
  const SqlToken& at(size_t k) const { return t_[k]; }

 private:
  std::string_view sql_;
  std::vector<SqlToken> t_;
  size_t i_ = 0;
};

Result<std::vector<PartitionClause>> ParsePartitionBy(Parser& p) {
  std::vector<PartitionClause> out;
  if (!p.Symbol("(")) return InvalidArgument("PARTITIONED BY needs a parenthesised list");
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string word, p.Identifier("a partition column or transform"));
    PartitionClause clause;
    if (p.Symbol("(")) {
      std::string fn = word;
      for (char& c : fn) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (fn == "years") fn = "year";
      if (fn == "months") fn = "month";
      if (fn == "days") fn = "day";
      if (fn == "hours") fn = "hour";
      if (fn == "bucket" || fn == "truncate") {
        const SqlToken* num = p.Peek();
        if (num == nullptr || num->kind != SqlToken::Kind::kNumber) {
          return InvalidArgument(fn + " needs a number first, e.g. " + fn + "(16, column)");
        }
        std::string n = num->text;
        p.set_pos(p.pos() + 1);
        if (!p.Symbol(",")) return InvalidArgument(fn + "(N, column): missing comma");
        MEDLAKE_ASSIGN_OR_RETURN(clause.column, p.Identifier("a column in " + fn + "()"));
        clause.transform = fn + "[" + n + "]";
      } else if (fn == "year" || fn == "month" || fn == "day" || fn == "hour" ||
                 fn == "identity") {
        MEDLAKE_ASSIGN_OR_RETURN(clause.column, p.Identifier("a column in " + fn + "()"));
        clause.transform = fn;
      } else {
        return InvalidArgument("unknown partition transform " + word +
                               " (use identity, bucket, truncate, year, month, day or hour)");
      }
      if (!p.Symbol(")")) return InvalidArgument("expected ) after the transform's column");
    } else {
      clause.transform = "identity";
      clause.column = word;
    }
    out.push_back(std::move(clause));
    if (p.Symbol(",")) continue;
    if (p.Symbol(")")) break;
    return InvalidArgument("expected , or ) in PARTITIONED BY");
  }
  return out;
}

// Splits `text` tokens [a, b] on top-level commas.
std::vector<std::pair<size_t, size_t>> SplitTopLevel(const Parser& p, size_t a, size_t b) {
  std::vector<std::pair<size_t, size_t>> parts;
  int depth = 0;
  size_t start = a;
  for (size_t k = a; k <= b && k < p.size(); ++k) {
    if (p.at(k).IsSymbol("(") || p.at(k).IsSymbol("[") || p.at(k).IsSymbol("{")) ++depth;
    if (p.at(k).IsSymbol(")") || p.at(k).IsSymbol("]") || p.at(k).IsSymbol("}")) --depth;
    if (depth == 0 && p.at(k).IsSymbol(",")) {
      parts.emplace_back(start, k - 1);
      start = k + 1;
    }
  }
  if (start <= b) parts.emplace_back(start, b);
  return parts;
}

Result<LakeStatement> ParseCreateTable(Parser& p, LakeStatement st) {
  if (p.Keywords({"IF", "NOT", "EXISTS"})) st.if_not_exists = true;
  MEDLAKE_ASSIGN_OR_RETURN(st.table, p.Name());
  if (!p.AtEnd() && p.Peek()->IsSymbol("(")) {
    MEDLAKE_ASSIGN_OR_RETURN(size_t close, p.MatchParen(p.pos()));
    st.column_definitions = p.Text(p.pos() + 1, close - 1);
    p.set_pos(close + 1);
    st.kind = LakeStatement::Kind::kCreateTable;
  }
  if (p.Keywords({"PARTITIONED", "BY"})) {
    MEDLAKE_ASSIGN_OR_RETURN(st.partition_by, ParsePartitionBy(p));
  }
  if (p.Keyword("AS")) {
    if (st.kind == LakeStatement::Kind::kCreateTable) {
      return InvalidArgument("CREATE TABLE takes either a column list or AS query, not both");
    }
    st.kind = LakeStatement::Kind::kCreateTableAs;
    st.query = p.Rest();
    if (st.query.empty()) return InvalidArgument("CREATE TABLE ... AS needs a query");
    return st;
  }
  if (st.kind != LakeStatement::Kind::kCreateTable) {
    return InvalidArgument("CREATE TABLE needs a column list or AS query");
  }
  if (!p.AtEnd()) return InvalidArgument("unexpected text after CREATE TABLE: " + p.Rest());
  return st;
}

Result<LakeStatement> ParseAlter(Parser& p, LakeStatement st) {
  st.kind = LakeStatement::Kind::kAlterTable;
  if (p.Keywords({"IF", "EXISTS"})) st.if_exists = true;
  MEDLAKE_ASSIGN_OR_RETURN(st.table, p.Name());
  AlterAction a;
  if (p.Keyword("ADD")) {
    p.Keyword("COLUMN");
    if (p.Keywords({"IF", "NOT", "EXISTS"})) st.if_not_exists = true;
    a.kind = AlterAction::Kind::kAddColumn;
    MEDLAKE_ASSIGN_OR_RETURN(a.column, p.Identifier("a column name"));
    // A trailing NOT NULL makes the column required (only allowed on an empty table).
    size_t begin = p.pos();
    size_t end = p.size();
    if (end >= begin + 2 && p.at(end - 2).IsKeyword("NOT") && p.at(end - 1).IsKeyword("NULL")) {
      a.not_null = true;
      end -= 2;
    }
    if (end <= begin) return InvalidArgument("ADD COLUMN needs a type");
    a.type = p.Text(begin, end - 1);
  } else if (p.Keyword("DROP")) {
    p.Keyword("COLUMN");
    if (p.Keywords({"IF", "EXISTS"})) st.if_exists = true;
    a.kind = AlterAction::Kind::kDropColumn;
    MEDLAKE_ASSIGN_OR_RETURN(a.column, p.Identifier("a column name"));
  } else if (p.Keyword("RENAME")) {
    if (p.Keyword("TO")) {
      a.kind = AlterAction::Kind::kRenameTable;
      MEDLAKE_ASSIGN_OR_RETURN(QualifiedName to, p.Name());
      if (!to.ns.empty() && to.ns != st.table.ns) {
        return InvalidArgument("RENAME TO cannot move a table to another namespace");
      }
      a.new_name = to.name;
    } else {
      p.Keyword("COLUMN");
      a.kind = AlterAction::Kind::kRenameColumn;
      MEDLAKE_ASSIGN_OR_RETURN(a.column, p.Identifier("a column name"));
      if (!p.Keyword("TO")) return InvalidArgument("RENAME COLUMN a TO b: missing TO");
      MEDLAKE_ASSIGN_OR_RETURN(a.new_name, p.Identifier("the new column name"));
    }
  } else if (p.Keyword("ALTER")) {
    p.Keyword("COLUMN");
    a.kind = AlterAction::Kind::kAlterColumnType;
    MEDLAKE_ASSIGN_OR_RETURN(a.column, p.Identifier("a column name"));
    p.Keywords({"SET", "DATA"});
    if (!p.Keyword("TYPE")) return InvalidArgument("ALTER COLUMN supports only ... TYPE newtype");
    a.type = p.Rest();
    if (a.type.empty()) return InvalidArgument("ALTER COLUMN ... TYPE needs a type");
    p.set_pos(p.size());
  } else if (p.Keywords({"SET", "TBLPROPERTIES"})) {
    a.kind = AlterAction::Kind::kSetProperties;
    if (!p.Symbol("(")) return InvalidArgument("SET TBLPROPERTIES needs ('key' = 'value', ...)");
    while (true) {
      const SqlToken* key = p.Peek();
      const SqlToken* eq = p.Peek(1);
      const SqlToken* value = p.Peek(2);
      if (key == nullptr || key->kind != SqlToken::Kind::kString || eq == nullptr || !eq->IsSymbol("=") ||
          value == nullptr || (value->kind != SqlToken::Kind::kString && value->kind != SqlToken::Kind::kNumber)) {
        return InvalidArgument("SET TBLPROPERTIES needs ('key' = 'value', ...) with string literals");
      }
      a.properties[key->text] = value->text;
      p.set_pos(p.pos() + 3);
      if (p.Symbol(",")) continue;
      if (p.Symbol(")")) break;
      return InvalidArgument("expected , or ) in SET TBLPROPERTIES");
    }
  } else if (p.Keywords({"WRITE", "UNORDERED"})) {
    a.kind = AlterAction::Kind::kWriteOrder;
  } else if (p.Keywords({"WRITE", "ORDERED", "BY"})) {
    a.kind = AlterAction::Kind::kWriteOrder;
    while (true) {
      AlterAction::OrderKey key;
      MEDLAKE_ASSIGN_OR_RETURN(key.column, p.Identifier("a column name"));
      if (p.Keyword("DESC")) {
        key.descending = true;
      } else {
        p.Keyword("ASC");
      }
      // Iceberg's default null order: first for ascending, last for descending.
      key.nulls_last = key.descending;
      if (p.Keywords({"NULLS", "FIRST"})) key.nulls_last = false;
      else if (p.Keywords({"NULLS", "LAST"})) key.nulls_last = true;
      a.order.push_back(std::move(key));
      if (!p.Symbol(",")) break;
    }
  } else {
    return InvalidArgument("ALTER TABLE supports ADD, DROP, RENAME, ALTER COLUMN, SET TBLPROPERTIES and WRITE [UN]ORDERED");
  }
  if (a.kind != AlterAction::Kind::kAddColumn && !p.AtEnd()) {
    return InvalidArgument("unexpected text in ALTER TABLE: " + p.Rest());
  }
  st.alter = a;
  return st;
}

}  // namespace

Result<LakeStatement> RecognizeLakeStatement(std::string_view sql) {
  MEDLAKE_ASSIGN_OR_RETURN(auto tokens, TokenizeSql(sql));
  Parser p(sql, std::move(tokens));
  LakeStatement st;
  if (p.AtEnd()) return st;

  if (p.Keyword("CREATE")) {
    if (p.Keywords({"OR", "REPLACE"})) st.or_replace = true;
    if (p.Keyword("SCHEMA")) {
      st.kind = LakeStatement::Kind::kCreateSchema;
      if (p.Keywords({"IF", "NOT", "EXISTS"})) st.if_not_exists = true;
      MEDLAKE_ASSIGN_OR_RETURN(st.schema, p.Identifier("a schema name"));
      if (!p.AtEnd()) return InvalidArgument("unexpected text after CREATE SCHEMA: " + p.Rest());
      return st;
    }
    if (p.Keyword("TEMP") || p.Keyword("TEMPORARY")) {
      // A DuckDB temporary table (never a lake table); recognised so that untrusted sessions
      // can have its query checked and rewritten like any other.
      if (!p.Keyword("TABLE")) return LakeStatement{};
      st.temporary = true;
    } else if (!p.Keyword("TABLE")) {
      return LakeStatement{};  // CREATE VIEW, CREATE MACRO, ...
    }
    return ParseCreateTable(p, st);
  }
  if (p.Keyword("DROP")) {
    if (p.Keyword("SCHEMA")) {
      st.kind = LakeStatement::Kind::kDropSchema;
      if (p.Keywords({"IF", "EXISTS"})) st.if_exists = true;
      MEDLAKE_ASSIGN_OR_RETURN(st.schema, p.Identifier("a schema name"));
      if (p.Keyword("CASCADE")) st.cascade = true;
      p.Keyword("RESTRICT");
      if (!p.AtEnd()) return InvalidArgument("unexpected text after DROP SCHEMA: " + p.Rest());
      return st;
    }
    if (p.Keyword("TABLE")) {
      st.kind = LakeStatement::Kind::kDropTable;
      if (p.Keywords({"IF", "EXISTS"})) st.if_exists = true;
      MEDLAKE_ASSIGN_OR_RETURN(st.table, p.Name());
      p.Keyword("CASCADE");
      p.Keyword("RESTRICT");
      p.Keyword("PURGE");
      if (!p.AtEnd()) return InvalidArgument("unexpected text after DROP TABLE: " + p.Rest());
      return st;
    }
    return LakeStatement{};
  }
  if (p.Keywords({"INSERT", "INTO"})) {
    st.kind = LakeStatement::Kind::kInsert;
    MEDLAKE_ASSIGN_OR_RETURN(st.table, p.Name());
    // An optional column list: "(" followed by identifiers, not a query.
    if (!p.AtEnd() && p.Peek()->IsSymbol("(") && p.Peek(1) != nullptr &&
        p.Peek(1)->IsIdentifier() && !p.Peek(1)->IsKeyword("SELECT") &&
        !p.Peek(1)->IsKeyword("WITH") && !p.Peek(1)->IsKeyword("VALUES") &&
        !p.Peek(1)->IsKeyword("FROM")) {
      MEDLAKE_ASSIGN_OR_RETURN(size_t close, p.MatchParen(p.pos()));
      for (auto [a, b] : SplitTopLevel(p, p.pos() + 1, close - 1)) {
        if (a != b || !p.at(a).IsIdentifier()) return InvalidArgument("bad INSERT column list");
        st.insert_columns.push_back(p.at(a).text);
      }
      p.set_pos(close + 1);
    }
    if (p.Keywords({"BY", "NAME"}) || p.Keywords({"BY", "POSITION"}) || p.Keyword("OR")) {
      return Unimplemented("INSERT BY NAME/POSITION and INSERT OR ... are not supported on lake tables");
    }
    if (p.Keywords({"DEFAULT", "VALUES"})) {
      return Unimplemented("INSERT DEFAULT VALUES is not supported on lake tables");
    }
    st.query = p.Rest();
    if (st.query.empty()) return InvalidArgument("INSERT needs a query or VALUES");
    if (p.FindTopLevelKeyword("RETURNING", p.pos()) || p.FindTopLevelKeyword("CONFLICT", p.pos())) {
      return Unimplemented("ON CONFLICT and RETURNING are not supported on lake tables");
    }
    return st;
  }
  if (p.Keywords({"DELETE", "FROM"})) {
    st.kind = LakeStatement::Kind::kDelete;
    MEDLAKE_ASSIGN_OR_RETURN(st.table, p.Name());
    if (p.Keyword("USING")) return Unimplemented("DELETE ... USING is not supported on lake tables");
    if (p.Keyword("WHERE")) {
      st.where = p.Rest();
      if (st.where.empty()) return InvalidArgument("WHERE needs a condition");
    } else if (!p.AtEnd()) {
      return InvalidArgument("unexpected text in DELETE: " + p.Rest());
    }
    return st;
  }
  if (p.Keyword("UPDATE")) {
    st.kind = LakeStatement::Kind::kUpdate;
    MEDLAKE_ASSIGN_OR_RETURN(st.table, p.Name());
    if (!p.Keyword("SET")) return InvalidArgument("UPDATE needs SET");
    size_t set_begin = p.pos();
    auto where = p.FindTopLevelKeyword("WHERE", set_begin);
    if (p.FindTopLevelKeyword("FROM", set_begin)) {
      return Unimplemented("UPDATE ... FROM is not supported on lake tables");
    }
    size_t set_end = where ? *where - 1 : p.size() - 1;
    if (set_end < set_begin || set_begin >= p.size()) return InvalidArgument("UPDATE SET is empty");
    for (auto [a, b] : SplitTopLevel(p, set_begin, set_end)) {
      if (b < a + 2 || !p.at(a).IsIdentifier() || !p.at(a + 1).IsSymbol("=")) {
        return InvalidArgument("UPDATE SET expects column = expression");
      }
      st.assignments.emplace_back(p.at(a).text, p.Text(a + 2, b));
    }
    if (where) {
      p.set_pos(*where + 1);
      st.where = p.Rest();
      if (st.where.empty()) return InvalidArgument("WHERE needs a condition");
    }
    return st;
  }
  if (p.Keywords({"ALTER", "TABLE"})) return ParseAlter(p, st);
  if (p.Keywords({"MERGE", "INTO"})) {
    st.kind = LakeStatement::Kind::kMerge;
    st.text = std::string(sql);
    size_t name_start = p.pos();
    MEDLAKE_ASSIGN_OR_RETURN(st.table, p.Name());
    st.target_begin = p.at(name_start).begin;
    st.target_end = p.at(p.pos() - 1).end;
    if (p.Keyword("AS")) {
      MEDLAKE_RETURN_IF_ERROR(p.Identifier("an alias").status());
      st.target_has_alias = true;
    } else if (!p.AtEnd() && p.Peek()->IsIdentifier() && !p.Peek()->IsKeyword("USING")) {
      p.set_pos(p.pos() + 1);
      st.target_has_alias = true;
    }
    if (!p.Keyword("USING")) return InvalidArgument("MERGE INTO needs USING source");
    if (p.AtEnd()) return InvalidArgument("MERGE ... USING needs a source");
    size_t src = p.pos();
    if (p.Peek()->IsSymbol("(")) {
      MEDLAKE_ASSIGN_OR_RETURN(size_t close, p.MatchParen(src));
      st.source_is_query = true;
      st.source_begin = p.at(src).begin;
      st.source_end = p.at(close).end;
      p.set_pos(close + 1);
    } else {
      MEDLAKE_ASSIGN_OR_RETURN(st.source_table, p.Name());
      st.source_begin = p.at(src).begin;
      st.source_end = p.at(p.pos() - 1).end;
    }
    if (p.Keyword("AS") || (!p.AtEnd() && p.Peek()->IsIdentifier() && !p.Peek()->IsKeyword("ON"))) {
      st.source_has_alias = true;
    }
    return st;
  }
  if (p.Keyword("CALL")) {
    const SqlToken* ns = p.Peek();
    const SqlToken* dot = p.Peek(1);
    if (ns == nullptr || !ns->IsIdentifier() || ns->text != "medlake" || dot == nullptr ||
        !dot->IsSymbol(".")) {
      return LakeStatement{};  // CALL of a DuckDB table function
    }
    p.set_pos(p.pos() + 2);
    st.kind = LakeStatement::Kind::kCall;
    MEDLAKE_ASSIGN_OR_RETURN(st.procedure, p.Identifier("a procedure name"));
    if (!p.Symbol("(")) return InvalidArgument("CALL medlake." + st.procedure + " needs (arguments)");
    if (!p.Symbol(")")) {
      while (true) {
        const SqlToken* arg = p.Peek();
        if (arg == nullptr || (arg->kind != SqlToken::Kind::kString && arg->kind != SqlToken::Kind::kNumber)) {
          return InvalidArgument("CALL arguments must be string or number literals");
        }
        st.arguments.push_back(arg->text);
        p.set_pos(p.pos() + 1);
        if (p.Symbol(",")) continue;
        if (p.Symbol(")")) break;
        return InvalidArgument("expected , or ) in CALL");
      }
    }
    if (!p.AtEnd()) return InvalidArgument("unexpected text after CALL: " + p.Rest());
    return st;
  }
  return st;
}

}  // namespace medlake::engine
