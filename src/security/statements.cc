#include "security/statements.h"

#include "engine/sql_lexer.h"

namespace medlake::security {
namespace {

using engine::SqlToken;
using Kind = SecurityStatement::Kind;

class Cursor {
 public:
  Cursor(std::string_view sql, std::vector<SqlToken> tokens) : sql_(sql), t_(std::move(tokens)) {}

  const SqlToken* Peek(size_t ahead = 0) const { return i_ + ahead < t_.size() ? &t_[i_ + ahead] : nullptr; }
  bool AtEnd() const { return i_ >= t_.size(); }
  bool Keyword(std::string_view kw) {
    if (auto* t = Peek(); t && t->IsKeyword(kw)) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Symbol(std::string_view s) {
    if (auto* t = Peek(); t && t->IsSymbol(s)) {
      ++i_;
      return true;
    }
    return false;
  }
  Status Error(const std::string& expected) const {
    std::string got = AtEnd() ? "the end of the statement" : "'" + t_[i_].text + "'";
    return InvalidArgument("expected " + expected + ", found " + got);
  }
  Status ExpectKeyword(std::string_view kw) {
    if (Keyword(kw)) return Status::OK();
    return Error(std::string(kw));
  }
  Status ExpectSymbol(std::string_view s) {
    if (Symbol(s)) return Status::OK();
    return Error("'" + std::string(s) + "'");
  }
  Result<std::string> Identifier(const std::string& what) {
    auto* t = Peek();
    if (!t || !t->IsIdentifier()) return Error(what);
    ++i_;
    // Unquoted names fold to lower case, as in PostgreSQL.
    if (t->kind == SqlToken::Kind::kWord) {
      std::string s = t->text;
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    }
    return t->text;
  }
  Result<std::string> String(const std::string& what) {
    auto* t = Peek();
    if (!t || t->kind != SqlToken::Kind::kString) return Error(what + " (a quoted string)");
    ++i_;
    return t->text;
  }
  Result<int64_t> Number(const std::string& what) {
    auto* t = Peek();
    if (!t || t->kind != SqlToken::Kind::kNumber || t->text.find_first_not_of("0123456789") != std::string::npos ||
        t->text.size() > 9) {
      return Error(what + " (a whole number)");
    }
    ++i_;
    return std::stoll(t->text);
  }
  // A string or an identifier (tag names, purposes may be written either way).
  Result<std::string> Name(const std::string& what) {
    auto* t = Peek();
    if (t && t->kind == SqlToken::Kind::kString) return String(what);
    return Identifier(what);
  }
  // The raw text of a parenthesised expression, the parentheses excluded.
  Result<std::string> Parenthesized(const std::string& what) {
    if (!Symbol("(")) return Error("'(' before " + what);
    size_t begin = i_;
    int depth = 1;
    while (!AtEnd()) {
      if (t_[i_].IsSymbol("(")) ++depth;
      if (t_[i_].IsSymbol(")") && --depth == 0) break;
      ++i_;
    }
    if (AtEnd()) return Error("')' closing " + what);
    if (i_ == begin) return Error(what);
    std::string text(sql_.substr(t_[begin].begin, t_[i_ - 1].end - t_[begin].begin));
    ++i_;
    return text;
  }
  Result<std::vector<std::string>> NameList(const std::string& what) {
    std::vector<std::string> out;
    do {
      MEDLAKE_ASSIGN_OR_RETURN(std::string n, Name(what));
      out.push_back(std::move(n));
    } while (Symbol(","));
    return out;
  }
  Result<std::vector<std::string>> ParenNameList(const std::string& what) {
    MEDLAKE_RETURN_IF_ERROR(ExpectSymbol("("));
    MEDLAKE_ASSIGN_OR_RETURN(auto out, NameList(what));
    MEDLAKE_RETURN_IF_ERROR(ExpectSymbol(")"));
    return out;
  }
  Result<std::pair<std::string, std::string>> TableName() {
    MEDLAKE_ASSIGN_OR_RETURN(std::string ns, Identifier("namespace.table"));
    MEDLAKE_RETURN_IF_ERROR(ExpectSymbol("."));
    MEDLAKE_ASSIGN_OR_RETURN(std::string t, Identifier("table name after '.'"));
    return std::make_pair(ns, t);
  }
  Status End() {
    if (!AtEnd()) return Error("the end of the statement");
    return Status::OK();
  }

 private:
  std::string_view sql_;
  std::vector<SqlToken> t_;
  size_t i_ = 0;
};

Result<std::map<std::string, std::vector<std::string>>> Attributes(Cursor& c) {
  std::map<std::string, std::vector<std::string>> out;
  MEDLAKE_RETURN_IF_ERROR(c.ExpectSymbol("("));
  do {
    MEDLAKE_ASSIGN_OR_RETURN(std::string key, c.Identifier("attribute name"));
    MEDLAKE_RETURN_IF_ERROR(c.ExpectSymbol("="));
    std::vector<std::string> values;
    if (c.Symbol("(")) {
      if (!c.Symbol(")")) {
        MEDLAKE_ASSIGN_OR_RETURN(values, c.NameList("attribute value"));
        MEDLAKE_RETURN_IF_ERROR(c.ExpectSymbol(")"));
      }
    } else {
      MEDLAKE_ASSIGN_OR_RETURN(std::string v, c.String("attribute value"));
      values.push_back(std::move(v));
    }
    out[key] = std::move(values);
  } while (c.Symbol(","));
  MEDLAKE_RETURN_IF_ERROR(c.ExpectSymbol(")"));
  return out;
}

// USER | ROLE | GROUP | SERVICE ACCOUNT
std::optional<PrincipalKind> PrincipalKindKeyword(Cursor& c) {
  if (c.Keyword("USER")) return PrincipalKind::kUser;
  if (c.Keyword("ROLE")) return PrincipalKind::kRole;
  if (c.Keyword("GROUP")) return PrincipalKind::kGroup;
  if (c.Peek() && c.Peek()->IsKeyword("SERVICE") && c.Peek(1) && c.Peek(1)->IsKeyword("ACCOUNT")) {
    c.Keyword("SERVICE");
    c.Keyword("ACCOUNT");
    return PrincipalKind::kService;
  }
  return std::nullopt;
}

Status ParseCreatePrincipal(Cursor& c, SecurityStatement& st) {
  if (c.Keyword("IF")) {
    MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("NOT"));
    MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("EXISTS"));
    st.if_not_exists = true;
  }
  MEDLAKE_ASSIGN_OR_RETURN(st.name, c.Identifier("a name"));
  c.Keyword("WITH");
  while (!c.AtEnd()) {
    if (c.Keyword("PASSWORD")) {
      MEDLAKE_ASSIGN_OR_RETURN(std::string pw, c.String("the password"));
      st.password = std::move(pw);
    } else if (c.Keyword("ATTRIBUTES")) {
      MEDLAKE_ASSIGN_OR_RETURN(auto attrs, Attributes(c));
      st.attributes = std::move(attrs);
    } else if (c.Keyword("ADMIN")) {
      st.admin = true;
    } else if (c.Keyword("AUDITOR")) {
      st.auditor = true;
    } else {
      return c.Error("PASSWORD, ATTRIBUTES, ADMIN or AUDITOR");
    }
  }
  return Status::OK();
}

Status ParseAlterPrincipal(Cursor& c, SecurityStatement& st) {
  MEDLAKE_ASSIGN_OR_RETURN(st.name, c.Identifier("a name"));
  if (c.Keyword("SET")) {
    if (c.Keyword("PASSWORD")) {
      MEDLAKE_ASSIGN_OR_RETURN(std::string pw, c.String("the password"));
      st.password = std::move(pw);
    } else if (c.Keyword("ATTRIBUTES")) {
      MEDLAKE_ASSIGN_OR_RETURN(auto attrs, Attributes(c));
      st.attributes = std::move(attrs);
    } else {
      return c.Error("PASSWORD or ATTRIBUTES after SET");
    }
  } else if (c.Keyword("ADMIN")) {
    st.admin = true;
  } else if (c.Keyword("NOADMIN")) {
    st.admin = false;
  } else if (c.Keyword("AUDITOR")) {
    st.auditor = true;
  } else if (c.Keyword("NOAUDITOR")) {
    st.auditor = false;
  } else if (c.Keyword("DISABLE")) {
    st.disabled = true;
  } else if (c.Keyword("ENABLE")) {
    st.disabled = false;
  } else {
    return c.Error("SET PASSWORD, SET ATTRIBUTES, ADMIN, NOADMIN, AUDITOR, NOAUDITOR, DISABLE or ENABLE");
  }
  return Status::OK();
}

Status ParsePrivileges(Cursor& c, SecurityStatement& st) {
  if (c.Keyword("ALL")) {
    c.Keyword("PRIVILEGES");
    st.privileges = {Privilege::kUsage, Privilege::kSelect, Privilege::kInsert, Privilege::kModify};
  } else {
    do {
      auto* t = c.Peek();
      if (!t || t->kind != SqlToken::Kind::kWord) return c.Error("a privilege");
      MEDLAKE_ASSIGN_OR_RETURN(Privilege p, ParsePrivilege(t->upper));
      c.Keyword(t->upper);
      st.privileges.push_back(p);
    } while (c.Symbol(","));
  }
  if (c.Peek() && c.Peek()->IsSymbol("(")) {
    MEDLAKE_ASSIGN_OR_RETURN(st.columns, c.ParenNameList("a column name"));
    for (Privilege p : st.privileges) {
      if (p != Privilege::kSelect) return InvalidArgument("column lists apply to SELECT only");
    }
  }
  MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("ON"));
  if (c.Keyword("SCHEMA") || c.Keyword("NAMESPACE")) {
    MEDLAKE_ASSIGN_OR_RETURN(st.ns, c.Identifier("a namespace"));
    if (!st.columns.empty()) return InvalidArgument("column lists need ON TABLE ns.table");
  } else {
    c.Keyword("TABLE");
    MEDLAKE_ASSIGN_OR_RETURN(auto t, c.TableName());
    st.ns = t.first;
    st.table = t.second;
  }
  return Status::OK();
}

Status ParseCreatePolicy(Cursor& c, SecurityStatement& st) {
  PolicyRecord& p = st.policy;
  MEDLAKE_ASSIGN_OR_RETURN(p.name, c.Identifier("a policy name"));
  st.name = p.name;
  MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("ON"));
  if (c.Keyword("TAG")) {
    MEDLAKE_ASSIGN_OR_RETURN(p.tag, c.Name("a tag"));
  } else {
    MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("TABLE"));
    MEDLAKE_ASSIGN_OR_RETURN(auto t, c.TableName());
    p.ns = t.first;
    p.table = t.second;
  }
  if (c.Keyword("ROW")) {
    MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("FILTER"));
    p.kind = PolicyKind::kRowFilter;
    MEDLAKE_ASSIGN_OR_RETURN(p.expression, c.Parenthesized("the row filter expression"));
  } else if (c.Keyword("MASK")) {
    p.kind = PolicyKind::kMask;
    if (c.Keyword("COLUMN")) {
      MEDLAKE_ASSIGN_OR_RETURN(p.column, c.Identifier("a column name"));
    }
    MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("USING"));
    if (c.Keyword("REDACT")) {
      p.mask = MaskKind::kRedact;
    } else if (c.Keyword("HASH")) {
      p.mask = MaskKind::kHash;
    } else if (c.Keyword("PARTIAL")) {
      p.mask = MaskKind::kPartial;
      p.mask_arg = 4;
      if (c.Symbol("(")) {
        MEDLAKE_ASSIGN_OR_RETURN(int64_t n, c.Number("characters to keep"));
        if (n > 64) return InvalidArgument("PARTIAL keeps at most 64 characters");
        p.mask_arg = static_cast<int>(n);
        MEDLAKE_RETURN_IF_ERROR(c.ExpectSymbol(")"));
      }
    } else if (c.Keyword("YEAR")) {
      p.mask = MaskKind::kYear;
    } else if (c.Keyword("NULL")) {
      p.mask = MaskKind::kNull;
    } else {
      return c.Error("REDACT, HASH, PARTIAL(n), YEAR or NULL");
    }
    if (p.tag.empty() && p.column.empty()) return InvalidArgument("a mask on a table names its COLUMN");
    if (!p.tag.empty() && !p.column.empty()) return InvalidArgument("a mask on a tag applies to the tagged columns; drop COLUMN");
  } else if (c.Keyword("REQUIRE")) {
    MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("PURPOSE"));
    p.kind = PolicyKind::kRequirePurpose;
    MEDLAKE_ASSIGN_OR_RETURN(p.purposes, c.ParenNameList("a purpose"));
  } else {
    return c.Error("ROW FILTER, MASK or REQUIRE PURPOSE");
  }
  while (!c.AtEnd()) {
    if (c.Keyword("FOR")) {
      MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("PURPOSE"));
      if (p.kind == PolicyKind::kRequirePurpose) return InvalidArgument("REQUIRE PURPOSE already lists the purposes");
      MEDLAKE_ASSIGN_OR_RETURN(p.purposes, c.ParenNameList("a purpose"));
    } else if (c.Keyword("TO")) {
      MEDLAKE_ASSIGN_OR_RETURN(p.to, c.NameList("a user, role or group"));
    } else if (c.Keyword("EXCEPT")) {
      MEDLAKE_ASSIGN_OR_RETURN(p.except, c.NameList("a user, role or group"));
    } else {
      return c.Error("FOR PURPOSE, TO or EXCEPT");
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::optional<SecurityStatement>> ParseSecurityStatement(std::string_view sql) {
  auto tokens = engine::TokenizeSql(sql);
  if (!tokens.ok() || tokens->empty()) return std::optional<SecurityStatement>();
  Cursor c(sql, std::move(*tokens));
  SecurityStatement st;
  auto* first = c.Peek();
  auto* second = c.Peek(1);
  auto is = [](const SqlToken* t, std::string_view kw) { return t && t->IsKeyword(kw); };
  auto done = [&]() -> Result<std::optional<SecurityStatement>> {
    MEDLAKE_RETURN_IF_ERROR(c.End());
    return std::optional<SecurityStatement>(std::move(st));
  };
  if (is(first, "CREATE") || is(first, "DROP") || is(first, "ALTER")) {
    bool create = first->IsKeyword("CREATE"), drop = first->IsKeyword("DROP");
    if (is(second, "POLICY") && !first->IsKeyword("ALTER")) {
      c.Keyword(first->upper);
      c.Keyword("POLICY");
      if (create) {
        st.kind = Kind::kCreatePolicy;
        MEDLAKE_RETURN_IF_ERROR(ParseCreatePolicy(c, st));
      } else {
        st.kind = Kind::kDropPolicy;
        if (c.Keyword("IF")) {
          MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("EXISTS"));
          st.if_exists = true;
        }
        MEDLAKE_ASSIGN_OR_RETURN(st.name, c.Identifier("a policy name"));
      }
      return done();
    }
    if (create && is(second, "TOKEN")) {
      c.Keyword("CREATE");
      c.Keyword("TOKEN");
      st.kind = Kind::kCreateToken;
      while (!c.AtEnd()) {
        if (c.Keyword("FOR")) {
          MEDLAKE_ASSIGN_OR_RETURN(st.name, c.Identifier("a user or service account"));
        } else if (c.Keyword("EXPIRES")) {
          MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("IN"));
          MEDLAKE_ASSIGN_OR_RETURN(st.days, c.Number("days"));
          MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("DAYS"));
        } else if (c.Keyword("COMMENT")) {
          MEDLAKE_ASSIGN_OR_RETURN(st.text, c.String("the comment"));
        } else {
          return c.Error("FOR, EXPIRES IN n DAYS or COMMENT");
        }
      }
      return done();
    }
    const bool principal_word = is(second, "USER") || is(second, "ROLE") || is(second, "GROUP") ||
                                (is(second, "SERVICE") && is(c.Peek(2), "ACCOUNT"));
    if (!principal_word) return std::optional<SecurityStatement>();
    c.Keyword(first->upper);
    st.principal_kind = *PrincipalKindKeyword(c);
    if (create) {
      st.kind = Kind::kCreatePrincipal;
      MEDLAKE_RETURN_IF_ERROR(ParseCreatePrincipal(c, st));
    } else if (drop) {
      st.kind = Kind::kDropPrincipal;
      if (c.Keyword("IF")) {
        MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("EXISTS"));
        st.if_exists = true;
      }
      MEDLAKE_ASSIGN_OR_RETURN(st.name, c.Identifier("a name"));
    } else {
      st.kind = Kind::kAlterPrincipal;
      MEDLAKE_RETURN_IF_ERROR(ParseAlterPrincipal(c, st));
    }
    return done();
  }
  if (is(first, "GRANT") || is(first, "REVOKE")) {
    bool grant = first->IsKeyword("GRANT");
    c.Keyword(first->upper);
    if (!grant && c.Keyword("TOKEN")) {
      st.kind = Kind::kRevokeToken;
      MEDLAKE_ASSIGN_OR_RETURN(st.text, c.Name("the token id"));
      return done();
    }
    if (c.Keyword("ROLE")) {
      st.kind = grant ? Kind::kGrantRole : Kind::kRevokeRole;
      MEDLAKE_ASSIGN_OR_RETURN(st.name, c.Identifier("a role or group"));
      MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword(grant ? "TO" : "FROM"));
      MEDLAKE_ASSIGN_OR_RETURN(st.principals, c.NameList("a user, role or group"));
      return done();
    }
    st.kind = grant ? Kind::kGrant : Kind::kRevoke;
    if (!grant && c.Keyword("GRANT")) {
      MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("OPTION"));
      MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("FOR"));
      st.grant_option_only = true;
    }
    MEDLAKE_RETURN_IF_ERROR(ParsePrivileges(c, st));
    MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword(grant ? "TO" : "FROM"));
    MEDLAKE_ASSIGN_OR_RETURN(st.principals, c.NameList("a user, role or group"));
    if (grant && c.Keyword("WITH")) {
      MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("GRANT"));
      MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("OPTION"));
      st.grant_option = true;
    }
    return done();
  }
  // SET medlake.purpose = 'x' / RESET medlake.purpose
  if ((is(first, "SET") || is(first, "RESET")) && second && second->IsIdentifier()) {
    std::string scope = second->text;
    for (char& ch : scope) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (scope != "medlake") return std::optional<SecurityStatement>();
    bool reset = first->IsKeyword("RESET");
    c.Keyword(first->upper);
    (void)c.Identifier("medlake");
    MEDLAKE_RETURN_IF_ERROR(c.ExpectSymbol("."));
    MEDLAKE_ASSIGN_OR_RETURN(std::string setting, c.Identifier("a medlake setting"));
    if (setting != "purpose") return InvalidArgument("unknown setting medlake." + setting + " (known: medlake.purpose)");
    st.kind = Kind::kSetPurpose;
    if (!reset) {
      if (!c.Symbol("=")) MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("TO"));
      MEDLAKE_ASSIGN_OR_RETURN(st.text, c.Name("the purpose"));
    }
    return done();
  }
  if (is(first, "BREAK") && is(second, "GLASS")) {
    c.Keyword("BREAK");
    c.Keyword("GLASS");
    st.kind = Kind::kBreakGlass;
    MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("REASON"));
    MEDLAKE_ASSIGN_OR_RETURN(st.text, c.String("the reason"));
    if (c.Keyword("FOR")) {
      MEDLAKE_ASSIGN_OR_RETURN(int64_t m, c.Number("minutes"));
      MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("MINUTES"));
      st.minutes = static_cast<int>(m);
    }
    return done();
  }
  if (is(first, "SHOW") && second) {
    static const char* kShows[] = {"USERS", "ROLES", "GRANTS", "POLICIES", "TOKENS", "CURRENT"};
    for (const char* s : kShows) {
      if (!second->IsKeyword(s)) continue;
      c.Keyword("SHOW");
      c.Keyword(s);
      st.kind = Kind::kShow;
      st.show = s;
      if (st.show == "CURRENT") {
        MEDLAKE_RETURN_IF_ERROR(c.ExpectKeyword("USER"));
        st.show = "CURRENT USER";
      }
      if (st.show == "GRANTS" && c.Keyword("FOR")) {
        MEDLAKE_ASSIGN_OR_RETURN(st.name, c.Identifier("a user, role or group"));
      }
      return done();
    }
  }
  return std::optional<SecurityStatement>();
}

}  // namespace medlake::security
