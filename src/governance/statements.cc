#include "governance/statements.h"

#include <utility>

#include "engine/sql_lexer.h"
#include "governance/tag_vocabulary.h"

namespace medlake::governance {
namespace {

using engine::SqlToken;

class Parser {
 public:
  explicit Parser(std::vector<SqlToken> tokens) : t_(std::move(tokens)) {}

  bool AtEnd() const { return i_ >= t_.size(); }
  const SqlToken* Peek() const { return AtEnd() ? nullptr : &t_[i_]; }
  bool Keyword(std::string_view kw) {
    if (AtEnd() || !t_[i_].IsKeyword(kw)) return false;
    ++i_;
    return true;
  }
  bool Symbol(std::string_view s) {
    if (AtEnd() || !t_[i_].IsSymbol(s)) return false;
    ++i_;
    return true;
  }
  // An identifier, or nullopt (nothing consumed).
  std::optional<std::string> Identifier() {
    if (AtEnd() || !t_[i_].IsIdentifier()) return std::nullopt;
    return t_[i_++].text;
  }
  // ident ('.' ident)*; empty when the next token is not an identifier.
  std::vector<std::string> DottedName() {
    std::vector<std::string> parts;
    auto first = Identifier();
    if (!first) return parts;
    parts.push_back(*first);
    while (Symbol(".")) {
      auto next = Identifier();
      if (!next) {
        parts.clear();
        return parts;
      }
      parts.push_back(*next);
    }
    return parts;
  }
  // 'text' or NULL.
  Result<std::optional<std::string>> StringOrNull(const std::string& after) {
    if (Keyword("NULL")) return std::optional<std::string>();
    if (!AtEnd() && t_[i_].kind == SqlToken::Kind::kString) {
      return std::optional<std::string>(t_[i_++].text);
    }
    return InvalidArgument("expected a quoted string or NULL after " + after + Found());
  }
  // ('a', 'b', ...); an empty list only when `allow_empty`.
  Result<std::vector<std::string>> StringList(const std::string& after, bool allow_empty) {
    if (!Symbol("(")) {
      return InvalidArgument("expected a parenthesized list of quoted strings after " + after +
                             Found());
    }
    std::vector<std::string> out;
    if (Symbol(")")) {
      if (!allow_empty) return InvalidArgument("empty list after " + after);
      return out;
    }
    while (true) {
      if (AtEnd() || t_[i_].kind != SqlToken::Kind::kString) {
        return InvalidArgument("expected a quoted string in the list after " + after + Found());
      }
      out.push_back(t_[i_++].text);
      if (Symbol(")")) return out;
      if (!Symbol(",")) {
        return InvalidArgument("expected ',' or ')' in the list after " + after + Found());
      }
    }
  }
  Status ExpectEnd() {
    if (AtEnd()) return Status::OK();
    return InvalidArgument("unexpected '" + t_[i_].text + "' at the end of the statement");
  }
  std::string Found() const {
    return AtEnd() ? ", found the end of the statement" : ", found '" + t_[i_].text + "'";
  }

 private:
  std::vector<SqlToken> t_;
  size_t i_ = 0;
};

Result<std::optional<GovernanceStatement>> ParseComment(Parser& p) {
  using Out = std::optional<GovernanceStatement>;
  if (!p.Keyword("ON")) return Out();
  ObjectKind kind;
  if (p.Keyword("SCHEMA")) {
    kind = ObjectKind::kNamespace;
  } else if (p.Keyword("TABLE")) {
    kind = ObjectKind::kTable;
  } else if (p.Keyword("COLUMN")) {
    kind = ObjectKind::kColumn;
  } else {
    return Out();  // COMMENT ON VIEW/INDEX/...: DuckDB's
  }
  std::vector<std::string> parts = p.DottedName();
  // Unqualified tables and columns are DuckDB's own (temporary tables and the like).
  const size_t want = kind == ObjectKind::kNamespace ? 1 : (kind == ObjectKind::kTable ? 2 : 3);
  if (parts.size() != want) return Out();
  GovernanceStatement st;
  st.kind = GovernanceStatement::Kind::kComment;
  st.object.ns = parts[0];
  if (want >= 2) st.object.table = parts[1];
  if (want == 3) st.object.column = parts[2];
  if (!p.Keyword("IS")) {
    return InvalidArgument("expected IS after COMMENT ON " + st.object.ToString() + p.Found());
  }
  MEDLAKE_ASSIGN_OR_RETURN(st.text, p.StringOrNull("IS"));
  MEDLAKE_RETURN_IF_ERROR(p.ExpectEnd());
  return Out(std::move(st));
}

Result<std::optional<GovernanceStatement>> ParseAlter(Parser& p) {
  using Out = std::optional<GovernanceStatement>;
  bool schema = false;
  if (p.Keyword("SCHEMA")) {
    schema = true;
  } else if (!p.Keyword("TABLE")) {
    return Out();
  }
  std::vector<std::string> parts = p.DottedName();
  if (parts.empty()) return Out();
  std::optional<std::string> column;
  if (!schema && p.Keyword("ALTER")) {
    (void)p.Keyword("COLUMN");
    column = p.Identifier();
    if (!column) return Out();
  }
  GovernanceStatement st;
  if (p.Keyword("SET")) {
    if (p.Keyword("OWNER")) {
      st.kind = GovernanceStatement::Kind::kSetOwner;
    } else if (p.Keyword("STEWARD")) {
      st.kind = GovernanceStatement::Kind::kSetSteward;
    } else if (p.Keyword("TAGS") || p.Keyword("TAG")) {
      st.kind = GovernanceStatement::Kind::kSetTags;
    } else if (p.Keyword("GLOSSARY")) {
      st.kind = GovernanceStatement::Kind::kSetGlossary;
    } else {
      return Out();  // SET DATA TYPE, SET DEFAULT, ...: a lake or DuckDB ALTER
    }
  } else if (p.Keyword("UNSET")) {
    if (!p.Keyword("TAGS") && !p.Keyword("TAG")) return Out();
    st.kind = GovernanceStatement::Kind::kUnsetTags;
  } else {
    return Out();
  }
  // From here on the statement is ours: errors explain themselves.
  if (schema && parts.size() != 1) {
    return InvalidArgument("ALTER SCHEMA takes a namespace name without dots");
  }
  if (!schema && parts.size() != 2) {
    return InvalidArgument("ALTER TABLE ... SET/UNSET needs a qualified name: namespace.table");
  }
  st.object.ns = parts[0];
  if (!schema) st.object.table = parts[1];
  if (column) st.object.column = *column;
  switch (st.kind) {
    case GovernanceStatement::Kind::kSetOwner: {
      MEDLAKE_ASSIGN_OR_RETURN(st.text, p.StringOrNull("SET OWNER"));
      break;
    }
    case GovernanceStatement::Kind::kSetSteward: {
      MEDLAKE_ASSIGN_OR_RETURN(st.text, p.StringOrNull("SET STEWARD"));
      break;
    }
    case GovernanceStatement::Kind::kSetTags:
    case GovernanceStatement::Kind::kUnsetTags: {
      const char* what = st.kind == GovernanceStatement::Kind::kSetTags ? "SET TAGS" : "UNSET TAGS";
      MEDLAKE_ASSIGN_OR_RETURN(st.values, p.StringList(what, /*allow_empty=*/false));
      for (const auto& tag : st.values) MEDLAKE_RETURN_IF_ERROR(ValidateTagName(tag));
      break;
    }
    case GovernanceStatement::Kind::kSetGlossary: {
      MEDLAKE_ASSIGN_OR_RETURN(st.values, p.StringList("SET GLOSSARY", /*allow_empty=*/true));
      break;
    }
    case GovernanceStatement::Kind::kComment: break;
  }
  MEDLAKE_RETURN_IF_ERROR(p.ExpectEnd());
  return Out(std::move(st));
}

// "SCHEMA ns", "TABLE ns.t", "TABLE ns.t ALTER COLUMN c" / "COLUMN ns.t.c" for COMMENT ON.
std::string ObjectPhrase(const ObjectRef& o, bool comment) {
  switch (o.kind()) {
    case ObjectKind::kNamespace: return "SCHEMA " + o.ns;
    case ObjectKind::kTable: return "TABLE " + o.ns + "." + o.table;
    case ObjectKind::kColumn:
      return comment ? "COLUMN " + o.ToString()
                     : "TABLE " + o.ns + "." + o.table + " ALTER COLUMN " + o.column;
  }
  return o.ToString();
}

// ---- catalog views ----

std::string Lit(const std::optional<std::string>& v) {
  return v ? engine::QuoteString(*v) : "NULL";
}

std::string ListLit(const std::vector<std::string>& items) {
  std::string out = "CAST([";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + engine::QuoteString(items[i]);
  return out + "] AS VARCHAR[])";
}

struct ViewColumn {
  const char* name;
  const char* type;  // DuckDB type; "TIMESTAMP" columns hold microseconds in the VALUES list
};

// SELECT over a VALUES list with typed, named columns (or no rows).
std::string ValuesQuery(const std::vector<ViewColumn>& columns,
                        const std::vector<std::vector<std::string>>& rows) {
  std::string select;
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string c = "c" + std::to_string(i);
    const std::string type = columns[i].type;
    std::string expr = type == "TIMESTAMP" ? "make_timestamp(CAST(" + c + " AS BIGINT))"
                                           : "CAST(" + c + " AS " + type + ")";
    if (rows.empty()) expr = "CAST(NULL AS " + type + ")";
    select += std::string(i ? ", " : "") + expr + " AS " + engine::QuoteIdentifier(columns[i].name);
  }
  if (rows.empty()) return "SELECT " + select + " WHERE false";
  std::string values, names;
  for (size_t i = 0; i < columns.size(); ++i) names += (i ? ", c" : "c") + std::to_string(i);
  for (size_t r = 0; r < rows.size(); ++r) {
    values += r ? ", (" : "(";
    for (size_t i = 0; i < rows[r].size(); ++i) values += (i ? ", " : "") + rows[r][i];
    values += ")";
  }
  return "SELECT " + select + " FROM (VALUES " + values + ") AS v(" + names + ")";
}

}  // namespace

Result<std::optional<GovernanceStatement>> ParseGovernanceStatement(std::string_view sql) {
  auto tokens = engine::TokenizeSql(sql);
  // Text the lexer rejects is not ours to explain: DuckDB reports it.
  if (!tokens.ok()) return std::optional<GovernanceStatement>();
  while (!tokens->empty() && tokens->back().IsSymbol(";")) tokens->pop_back();
  Parser p(std::move(*tokens));
  if (p.Keyword("COMMENT")) return ParseComment(p);
  if (p.Keyword("ALTER")) return ParseAlter(p);
  return std::optional<GovernanceStatement>();
}

Result<std::string> ExecuteGovernanceStatement(const GovernanceStatement& st, MetadataStore& store,
                                               const std::string& actor) {
  const bool comment = st.kind == GovernanceStatement::Kind::kComment;
  const std::string phrase = ObjectPhrase(st.object, comment);
  switch (st.kind) {
    case GovernanceStatement::Kind::kComment:
      MEDLAKE_RETURN_IF_ERROR(store.SetDescription(st.object, st.text, actor));
      return "COMMENT ON " + phrase;
    case GovernanceStatement::Kind::kSetOwner:
      MEDLAKE_RETURN_IF_ERROR(store.SetOwner(st.object, st.text, actor));
      return "ALTER " + phrase + " SET OWNER";
    case GovernanceStatement::Kind::kSetSteward:
      MEDLAKE_RETURN_IF_ERROR(store.SetSteward(st.object, st.text, actor));
      return "ALTER " + phrase + " SET STEWARD";
    case GovernanceStatement::Kind::kSetTags:
    case GovernanceStatement::Kind::kUnsetTags: {
      if (st.values.empty()) return InvalidArgument("no tags given");
      for (const auto& tag : st.values) MEDLAKE_RETURN_IF_ERROR(ValidateTagName(tag));
      // Resolve once up front so a missing object fails before any tag is written.
      MEDLAKE_RETURN_IF_ERROR(store.Resolve(st.object).status());
      const bool set = st.kind == GovernanceStatement::Kind::kSetTags;
      for (const auto& tag : st.values) {
        MEDLAKE_RETURN_IF_ERROR(set ? store.AddTag(st.object, tag, actor)
                                    : store.RemoveTag(st.object, tag, actor));
      }
      return "ALTER " + phrase + (set ? " SET TAGS (" : " UNSET TAGS (") +
             std::to_string(st.values.size()) + ")";
    }
    case GovernanceStatement::Kind::kSetGlossary:
      MEDLAKE_RETURN_IF_ERROR(store.SetGlossaryTerms(st.object, st.values, actor));
      return "ALTER " + phrase + " SET GLOSSARY (" + std::to_string(st.values.size()) + ")";
  }
  return Internal("unknown governance statement");
}

std::span<const std::string_view> CatalogViewNames() {
  static constexpr std::string_view kNames[] = {"schemas", "tables", "columns", "tags"};
  return kNames;
}

Result<std::string> CatalogTableSql(MetadataStore& store, const std::string& which,
                                    const CatalogVisibility& visible) {
  enum class View { kSchemas, kTables, kColumns, kTags };
  View view;
  if (which == "schemas") {
    view = View::kSchemas;
  } else if (which == "tables") {
    view = View::kTables;
  } else if (which == "columns") {
    view = View::kColumns;
  } else if (which == "tags") {
    view = View::kTags;
  } else {
    return InvalidArgument(
        "unknown catalog view catalog." + which +
        " (known: catalog.schemas, catalog.tables, catalog.columns, catalog.tags)");
  }
  std::vector<std::vector<std::string>> rows;
  auto tag_rows = [&rows](const ObjectCatalogEntry& e) {
    const ObjectRef& o = e.metadata.object;
    for (const auto& t : e.tags) {
      rows.push_back({engine::QuoteString(o.ns), engine::QuoteString(o.table),
                      engine::QuoteString(o.column), engine::QuoteString(t.tag),
                      engine::QuoteString(TagSourceName(t.source)), engine::QuoteString(t.detail),
                      std::to_string(t.created_at_micros), engine::QuoteString(t.created_by)});
    }
  };
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<std::string> namespaces, store.catalog().ListNamespaces());
  for (const auto& ns : namespaces) {
    if (visible && !visible(storage::TableIdentifier{ns, ""})) continue;
    if (view == View::kSchemas || view == View::kTags) {
      MEDLAKE_ASSIGN_OR_RETURN(ObjectCatalogEntry e, store.DescribeNamespace(ns));
      if (view == View::kTags) {
        tag_rows(e);
      } else {
        const ObjectMetadata& m = e.metadata;
        rows.push_back({engine::QuoteString(ns), Lit(m.description), Lit(m.owner), Lit(m.steward),
                        ListLit(m.glossary_terms), ListLit(e.TagNames())});
      }
    }
    if (view == View::kSchemas) continue;
    MEDLAKE_ASSIGN_OR_RETURN(std::vector<storage::TableIdentifier> tables,
                             store.catalog().ListTables(ns));
    for (const auto& id : tables) {
      if (visible && !visible(id)) continue;
      auto described = store.DescribeTable(id);
      if (!described.ok() && described.status().code() == StatusCode::kNotFound) continue;
      MEDLAKE_RETURN_IF_ERROR(described.status());
      const TableCatalogEntry& t = *described;
      if (view == View::kTables) {
        const ObjectMetadata& m = t.table.metadata;
        rows.push_back({engine::QuoteString(id.ns), engine::QuoteString(id.name),
                        Lit(m.description), Lit(m.owner), Lit(m.steward), ListLit(m.glossary_terms),
                        ListLit(t.table.TagNames())});
      } else if (view == View::kColumns) {
        for (const auto& c : t.columns) {
          rows.push_back({engine::QuoteString(id.ns), engine::QuoteString(id.name),
                          engine::QuoteString(c.metadata.object.column), std::to_string(c.field_id),
                          engine::QuoteString(c.type), Lit(c.metadata.description),
                          ListLit(c.metadata.glossary_terms), ListLit(c.TagNames())});
        }
      } else {
        tag_rows(t.table);
        for (const auto& c : t.columns) tag_rows(c);
      }
    }
  }
  switch (view) {
    case View::kSchemas:
      return ValuesQuery({{"ns", "VARCHAR"},
                          {"description", "VARCHAR"},
                          {"owner", "VARCHAR"},
                          {"steward", "VARCHAR"},
                          {"glossary_terms", "VARCHAR[]"},
                          {"tags", "VARCHAR[]"}},
                         rows);
    case View::kTables:
      return ValuesQuery({{"ns", "VARCHAR"},
                          {"table_name", "VARCHAR"},
                          {"description", "VARCHAR"},
                          {"owner", "VARCHAR"},
                          {"steward", "VARCHAR"},
                          {"glossary_terms", "VARCHAR[]"},
                          {"tags", "VARCHAR[]"}},
                         rows);
    case View::kColumns:
      return ValuesQuery({{"ns", "VARCHAR"},
                          {"table_name", "VARCHAR"},
                          {"column_name", "VARCHAR"},
                          {"field_id", "INTEGER"},
                          {"type", "VARCHAR"},
                          {"description", "VARCHAR"},
                          {"glossary_terms", "VARCHAR[]"},
                          {"tags", "VARCHAR[]"}},
                         rows);
    case View::kTags:
      return ValuesQuery({{"ns", "VARCHAR"},
                          {"table_name", "VARCHAR"},
                          {"column_name", "VARCHAR"},
                          {"tag", "VARCHAR"},
                          {"source", "VARCHAR"},
                          {"detail", "VARCHAR"},
                          {"created_at", "TIMESTAMP"},
                          {"created_by", "VARCHAR"}},
                         rows);
  }
  return Internal("unknown catalog view");
}

}  // namespace medlake::governance
