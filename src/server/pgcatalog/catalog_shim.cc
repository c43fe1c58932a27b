#include "server/pgcatalog/catalog_shim.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "engine/select_rewriter.h"
#include "engine/sql_lexer.h"
#include "server/pgcatalog/catalog_tables_internal.h"

namespace medlake::server::pgcatalog {

namespace {

using engine::QuoteString;
using engine::SqlToken;

// Where the shim keeps its tables. pg_catalog and information_schema are DuckDB system schemas
// that cannot be created in a user catalog, so the catalog lives under other names: pg_catalog
// qualifiers are dropped (the search path finds kPgSchema first) and information_schema ones
// are renamed to kInfoSchema.
constexpr std::string_view kPgSchema = "pgcatalog_shim";
constexpr std::string_view kInfoSchema = "medlake_information_schema";

// Object ids. PostgreSQL's own where one exists (pg_catalog 11, public 2200, pg_class 1259, the
// heap access method 2); lake namespaces and tables count up from 16384, the first oid
// PostgreSQL gives to user objects.
constexpr uint32_t kUserOid = 10;
constexpr uint32_t kDatabaseOid = 16383;
constexpr uint32_t kFirstObjectOid = 16384;
constexpr uint32_t kPgClassOid = 1259;
constexpr uint32_t kPgNamespaceOid = 2615;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

// ---- Types -------------------------------------------------------------------------------

struct BaseType {
  uint32_t oid;
  uint32_t array_oid;
  const char* name;
};

// DuckDB spelling (upper case, first word(s)) -> PostgreSQL type. Longest spellings first.
constexpr std::pair<std::string_view, BaseType> kBaseTypes[] = {
    {"TIMESTAMP WITH TIME ZONE", {1184, 1185, "timestamp with time zone"}},
    {"TIME WITH TIME ZONE", {1266, 1270, "time with time zone"}},
    {"TIMESTAMPTZ", {1184, 1185, "timestamp with time zone"}},
    {"TIMESTAMP_S", {1114, 1115, "timestamp without time zone"}},
    {"TIMESTAMP_MS", {1114, 1115, "timestamp without time zone"}},
    {"TIMESTAMP_NS", {1114, 1115, "timestamp without time zone"}},
    {"TIMESTAMP", {1114, 1115, "timestamp without time zone"}},
    {"DATETIME", {1114, 1115, "timestamp without time zone"}},
    {"TIMETZ", {1266, 1270, "time with time zone"}},
    {"TIME", {1083, 1183, "time without time zone"}},
    {"DATE", {1082, 1182, "date"}},
    {"INTERVAL", {1186, 1187, "interval"}},
    {"BOOLEAN", {16, 1000, "boolean"}},
    {"BOOL", {16, 1000, "boolean"}},
    {"TINYINT", {21, 1005, "smallint"}},
    {"UTINYINT", {21, 1005, "smallint"}},
    {"SMALLINT", {21, 1005, "smallint"}},
    {"INT2", {21, 1005, "smallint"}},
    {"USMALLINT", {23, 1007, "integer"}},
    {"INTEGER", {23, 1007, "integer"}},
    {"INT4", {23, 1007, "integer"}},
    {"INT", {23, 1007, "integer"}},
    {"UINTEGER", {20, 1016, "bigint"}},
    {"BIGINT", {20, 1016, "bigint"}},
    {"INT8", {20, 1016, "bigint"}},
    {"LONG", {20, 1016, "bigint"}},
    {"UBIGINT", {1700, 1231, "numeric"}},
    {"HUGEINT", {1700, 1231, "numeric"}},
    {"UHUGEINT", {1700, 1231, "numeric"}},
    {"VARINT", {1700, 1231, "numeric"}},
    {"BIGNUM", {1700, 1231, "numeric"}},
    {"FLOAT4", {700, 1021, "real"}},
    {"FLOAT8", {701, 1022, "double precision"}},
    {"FLOAT", {700, 1021, "real"}},
    {"REAL", {700, 1021, "real"}},
    {"DOUBLE", {701, 1022, "double precision"}},
    {"VARCHAR", {25, 1009, "text"}},
    {"STRING", {25, 1009, "text"}},
    {"TEXT", {25, 1009, "text"}},
    {"UUID", {2950, 2951, "uuid"}},
    {"BLOB", {17, 1001, "bytea"}},
    {"BYTEA", {17, 1001, "bytea"}},
    {"JSON", {114, 199, "json"}},
};

}  // namespace

PgTypeInfo PgTypeForDuckDbType(std::string_view duckdb_type) {
  std::string t = Upper(Trim(duckdb_type));
  // Lists (T[]) and fixed-size arrays (T[3]) become PostgreSQL arrays of T's type; PostgreSQL
  // arrays of arrays are still the one array type.
  bool array = false;
  while (!t.empty() && t.back() == ']') {
    size_t open = t.rfind('[');
    if (open == std::string::npos) {
      break;
    }
    array = true;
    t = std::string(Trim(t.substr(0, open)));
  }
  PgTypeInfo info;
  std::string name = "text";
  uint32_t oid = 25;
  uint32_t array_oid = 1009;
  if (t.rfind("DECIMAL", 0) == 0 || t.rfind("NUMERIC", 0) == 0) {
    oid = 1700;
    array_oid = 1231;
    int precision = 18;
    int scale = 3;  // DuckDB's DECIMAL without arguments is DECIMAL(18,3)
    size_t open = t.find('(');
    if (open != std::string::npos) {
      int p = 0;
      int s = 0;
      size_t comma = t.find(',', open);
      try {
        p = std::stoi(t.substr(open + 1));
        s = comma == std::string::npos ? 0 : std::stoi(t.substr(comma + 1));
      } catch (const std::exception&) {  // std::stoi on a malformed spelling: keep the default
        p = 0;
      }
      if (p > 0) {
        precision = p;
        scale = s;
      }
    }
    info.typmod = ((precision << 16) | scale) + 4;
    name = "numeric(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
  } else {
    for (const auto& [spelling, base] : kBaseTypes) {
      if (t.rfind(spelling, 0) == 0 &&
          (t.size() == spelling.size() || t[spelling.size()] == ' ' || t[spelling.size()] == '(')) {
        oid = base.oid;
        array_oid = base.array_oid;
        name = base.name;
        break;
      }
    }
  }
  info.oid = array ? array_oid : oid;
  info.type_name = array ? name + "[]" : name;
  return info;
}

namespace {

// ---- Rewriting -----------------------------------------------------------------------------

// A token of the statement being rewritten, or an expression already rewritten into one piece.
struct Piece {
  std::string text;  // the SQL text of the piece
  std::string gap;   // what followed it in the original (white space, comments)
  SqlToken::Kind kind = SqlToken::Kind::kSymbol;
  std::string upper;  // words: upper-case text; symbols: the symbol
  bool expression = false;
};

bool IsSym(const Piece& p, std::string_view sym) {
  return !p.expression && p.kind == SqlToken::Kind::kSymbol && p.text == sym;
}

const std::set<std::string>& InfoSchemaTables() {
  static const std::set<std::string> kNames = [] {
    std::set<std::string> names;
    for (const auto& def : internal::CatalogTableDefs()) {
      if (def.schema == internal::CatalogSchema::kInformationSchema) {
        names.insert(def.name);
      }
    }
    return names;
  }();
  return kNames;
}

const std::set<std::string>& PgCatalogTables() {
  static const std::set<std::string> kNames = [] {
    std::set<std::string> names;
    for (const auto& def : internal::CatalogTableDefs()) {
      if (def.schema == internal::CatalogSchema::kPgCatalog) {
        names.insert(def.name);
      }
    }
    return names;
  }();
  return kNames;
}

// Casts to PostgreSQL's object-identifier types become lookups: a literal operand ('t'::regclass)
// looks the object up and gives its oid; any other operand (c.oid::regclass) gives the name, the
// way the value prints in PostgreSQL. regproc values are function names either way.
const std::map<std::string, std::pair<std::string, std::string>>& RegCasts() {
  static const std::map<std::string, std::pair<std::string, std::string>> kCasts = {
      {"regclass", {"medlake_regclass_in", "medlake_regclass_out"}},
      {"regtype", {"medlake_regtype_in", "medlake_regtype_out"}},
      {"regnamespace", {"medlake_regnamespace_in", "medlake_regnamespace_out"}},
      {"regrole", {"medlake_regrole_in", "medlake_regrole_out"}},
      {"regproc", {"medlake_regproc", "medlake_regproc"}},
      {"regprocedure", {"medlake_regproc", "medlake_regproc"}},
  };
  return kCasts;
}

// PostgreSQL type names DuckDB does not know, as DuckDB types.
const std::map<std::string, std::string>& PlainCasts() {
  static const std::map<std::string, std::string> kCasts = {
      {"oid", "BIGINT"},
      {"xid", "BIGINT"},
      {"cid", "BIGINT"},
      {"name", "VARCHAR"},
      {"char", "VARCHAR"},
      {"bpchar", "VARCHAR"},
      {"regoper", "BIGINT"},
      {"int2vector", "SMALLINT[]"},
      {"oidvector", "BIGINT[]"},
      {"pg_node_tree", "VARCHAR"},
      {"sql_identifier", "VARCHAR"},
      {"character_data", "VARCHAR"},
      {"yes_or_no", "VARCHAR"},
      {"cardinal_number", "INTEGER"},
      {"aclitem", "VARCHAR"},
  };
  return kCasts;
}

// Index of the first piece of the operand that ends at piece `end` (inclusive): a literal, a
// (qualified) name, a parenthesized expression or a function call, or a rewritten expression.
// Returns `end + 1` when there is no operand.
size_t OperandStart(const std::vector<Piece>& out, size_t end) {
  if (end >= out.size()) {
    return out.size();
  }
  size_t i = end;
  if (IsSym(out[i], ")") || IsSym(out[i], "]")) {
    std::string close = out[i].text;
    std::string open = close == ")" ? "(" : "[";
    int depth = 0;
    while (true) {
      if (IsSym(out[i], close)) {
        ++depth;
      } else if (IsSym(out[i], open)) {
        --depth;
      }
      if (depth == 0 || i == 0) {
        break;
      }
      --i;
    }
    // A function name before the parenthesis (possibly qualified).
    if (close == ")" && i > 0 && !out[i - 1].expression &&
        (out[i - 1].kind == SqlToken::Kind::kWord ||
         out[i - 1].kind == SqlToken::Kind::kQuotedIdentifier)) {
      --i;
    } else if (close == "]" && i > 0) {
      return OperandStart(out, i - 1);  // x[1]: the subscripted operand
    } else {
      return i;
    }
  } else if (out[i].expression || out[i].kind == SqlToken::Kind::kString ||
             out[i].kind == SqlToken::Kind::kNumber || out[i].kind == SqlToken::Kind::kParameter) {
    return i;
  } else if (out[i].kind != SqlToken::Kind::kWord &&
             out[i].kind != SqlToken::Kind::kQuotedIdentifier) {
    return end + 1;
  }
  // Qualified names: a.b.c
  while (i >= 2 && IsSym(out[i - 1], ".") &&
         (out[i - 2].kind == SqlToken::Kind::kWord ||
          out[i - 2].kind == SqlToken::Kind::kQuotedIdentifier)) {
    i -= 2;
  }
  return i;
}

// Replaces pieces [begin, out.size()) by one expression piece `prefix` + their text + `suffix`.
void Collapse(std::vector<Piece>* out, size_t begin, const std::string& prefix,
              const std::string& suffix, bool keep_gap) {
  std::string inner;
  std::string gap;
  for (size_t i = begin; i < out->size(); ++i) {
    inner += (*out)[i].text;
    if (i + 1 < out->size()) {
      inner += (*out)[i].gap;
    } else {
      gap = (*out)[i].gap;
    }
  }
  Piece p;
  p.text = prefix + inner + suffix;
  p.gap = keep_gap ? gap : "";
  p.expression = true;
  out->resize(begin);
  out->push_back(std::move(p));
}

bool IsReservedAfterFrom(const std::string& upper) {
  static const std::set<std::string> kWords = {
      "AS",     "WHERE",  "JOIN",   "ON",    "LEFT",      "RIGHT",   "INNER",     "FULL",
      "CROSS",  "ORDER",  "GROUP",  "LIMIT", "UNION",     "EXCEPT",  "INTERSECT", "HAVING",
      "WINDOW", "OFFSET", "WITH",   "USING", "NATURAL",   "LATERAL", "FETCH",     "FOR",
      "AND",    "OR",     "SELECT", "FROM",  "RETURNING", "QUALIFY", "OUTER",     "WITHIN",
      "FILTER", "OVER",   "IS",     "NOT",   "IN",        "BETWEEN", "LIKE",      "THEN",
      "ELSE",   "END",    "WHEN",   "ASC",   "DESC"};
  return kWords.count(upper) > 0;
}

// True when piece `at` is in a FROM clause: the nearest FROM or SELECT before it, at the same
// parenthesis depth, is FROM.
bool InFromClause(const std::vector<Piece>& out, size_t at) {
  int depth = 0;
  for (size_t i = at; i-- > 0;) {
    const Piece& p = out[i];
    if (IsSym(p, ")")) {
      ++depth;
    } else if (IsSym(p, "(")) {
      if (depth == 0) {
        return false;
      }
      --depth;
    } else if (depth == 0 && !p.expression && p.kind == SqlToken::Kind::kWord) {
      if (p.upper == "FROM" || p.upper == "JOIN") {
        return true;
      }
      if (p.upper == "SELECT") {
        return false;
      }
    }
  }
  return false;
}

Piece FromToken(const SqlToken& t, std::string_view sql, size_t gap_end) {
  Piece p;
  p.text = std::string(sql.substr(t.begin, t.end - t.begin));
  p.gap = std::string(sql.substr(t.end, gap_end - t.end));
  p.kind = t.kind;
  p.upper = t.kind == SqlToken::Kind::kWord               ? t.upper
            : t.kind == SqlToken::Kind::kQuotedIdentifier ? t.text
                                                          : t.text;
  return p;
}

// A name for SHOW: `SHOW TRANSACTION ISOLATION LEVEL` and friends have their own spellings.
std::string ShowName(const std::vector<SqlToken>& tokens) {
  std::string words;
  for (size_t i = 1; i < tokens.size(); ++i) {
    if (tokens[i].IsSymbol(";")) {
      break;
    }
    if (!words.empty() && !tokens[i].IsSymbol(".") && !tokens[i - 1].IsSymbol(".")) {
      words += ' ';
    }
    words += tokens[i].kind == SqlToken::Kind::kWord ? Lower(tokens[i].text) : tokens[i].text;
  }
  if (words == "transaction isolation level") {
    return "transaction_isolation";
  }
  if (words == "time zone") {
    return "timezone";
  }
  if (words == "session authorization") {
    return "session_authorization";
  }
  return words;
}

bool IsShow(const std::vector<SqlToken>& tokens) {
  return !tokens.empty() && tokens[0].IsKeyword("SHOW");
}

}  // namespace

Result<std::string> RewriteCatalogQuery(std::string_view sql) {
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<SqlToken> tokens, engine::TokenizeSql(sql));
  if (IsShow(tokens)) {
    std::string name = ShowName(tokens);
    if (name == "all") {
      return std::string("SELECT name, setting, short_desc AS description FROM ") +
             std::string(kPgSchema) + ".pg_settings ORDER BY lower(name)";
    }
    return "SELECT setting AS " + engine::QuoteIdentifier(name) + " FROM " +
           std::string(kPgSchema) + ".pg_settings WHERE lower(name) = " + QuoteString(name);
  }
  std::vector<Piece> out;
  out.reserve(tokens.size());
  for (size_t k = 0; k < tokens.size(); ++k) {
    size_t gap_end = k + 1 < tokens.size() ? tokens[k + 1].begin : sql.size();
    Piece p = FromToken(tokens[k], sql, gap_end);
    auto peek = [&](size_t n) -> const SqlToken* {
      return k + n < tokens.size() ? &tokens[k + n] : nullptr;
    };
    auto is_schema = [](const SqlToken* t, std::string_view name) {
      return t != nullptr && t->IsIdentifier() &&
             Lower(t->kind == SqlToken::Kind::kWord ? t->text : t->text) == name;
    };
    // OPERATOR(pg_catalog.~) -> ~
    if (p.upper == "OPERATOR" && p.kind == SqlToken::Kind::kWord && peek(1) != nullptr &&
        peek(1)->IsSymbol("(")) {
      size_t j = k + 2;
      if (is_schema(peek(2), "pg_catalog") && peek(3) != nullptr && peek(3)->IsSymbol(".")) {
        j = k + 4;
      }
      std::string op;
      size_t m = j;
      while (m < tokens.size() && !tokens[m].IsSymbol(")")) {
        op += tokens[m].text;
        ++m;
      }
      if (m < tokens.size() && !op.empty()) {
        size_t end_gap = m + 1 < tokens.size() ? tokens[m + 1].begin : sql.size();
        // Emit the operator as symbol pieces so the regex rewrite below sees it.
        for (size_t c = 0; c < op.size(); ++c) {
          Piece s;
          s.kind = SqlToken::Kind::kSymbol;
          s.text = std::string(1, op[c]);
          s.upper = s.text;
          s.gap = c + 1 == op.size()
                      ? std::string(sql.substr(tokens[m].end, end_gap - tokens[m].end))
                      : "";
          if (c == 0) {
            s.text = " " + s.text;
          }
          if (c + 1 == op.size()) {
            s.gap = " " + s.gap;
          }
          out.push_back(std::move(s));
        }
        k = m;
        continue;
      }
    }
    // COLLATE [pg_catalog.]name -> nothing (DuckDB's collations are not PostgreSQL's).
    if (p.upper == "COLLATE" && p.kind == SqlToken::Kind::kWord && peek(1) != nullptr &&
        peek(1)->IsIdentifier()) {
      size_t last = k + 1;
      if (peek(2) != nullptr && peek(2)->IsSymbol(".") && peek(3) != nullptr &&
          peek(3)->IsIdentifier()) {
        last = k + 3;
      }
      size_t end_gap = last + 1 < tokens.size() ? tokens[last + 1].begin : sql.size();
      if (!out.empty()) {
        out.back().gap += std::string(sql.substr(tokens[last].end, end_gap - tokens[last].end));
      }
      k = last;
      continue;
    }
    // pg_catalog.x -> x ; information_schema.t -> medlake_information_schema.t
    if (p.kind == SqlToken::Kind::kWord || p.kind == SqlToken::Kind::kQuotedIdentifier) {
      bool after_dot = !out.empty() && IsSym(out.back(), ".");
      const SqlToken* dot = peek(1);
      const SqlToken* next = peek(2);
      if (!after_dot && dot != nullptr && dot->IsSymbol(".") && next != nullptr &&
          dot->begin == tokens[k].end) {
        std::string schema =
            Lower(tokens[k].kind == SqlToken::Kind::kWord ? tokens[k].text : tokens[k].text);
        // (information_schema's own helper functions, such as _pg_expandarray, are macros in
        // the shim's schema like pg_catalog's)
        if (schema == "pg_catalog" ||
            (schema == "information_schema" && next->IsIdentifier() && Lower(next->text).rfind("_pg_", 0) == 0)) {
          k += 1;  // drop the schema and the dot
          continue;
        }
        if (schema == "information_schema" && next->IsIdentifier() &&
            InfoSchemaTables().count(Lower(next->text)) > 0) {
          p.text = std::string(kInfoSchema);
        }
      }
    }
    // ::type casts
    if (p.kind == SqlToken::Kind::kSymbol && p.text == "::" && !out.empty()) {
      size_t j = k + 1;
      if (j + 1 < tokens.size() && tokens[j].IsIdentifier() && tokens[j + 1].IsSymbol(".") &&
          (is_schema(&tokens[j], "pg_catalog") || is_schema(&tokens[j], "information_schema"))) {
        j += 2;
      }
      if (j < tokens.size() && tokens[j].IsIdentifier()) {
        std::string type = Lower(tokens[j].text);
        bool array =
            j + 2 < tokens.size() && tokens[j + 1].IsSymbol("[") && tokens[j + 2].IsSymbol("]");
        size_t last = array ? j + 2 : j;
        size_t end_gap = last + 1 < tokens.size() ? tokens[last + 1].begin : sql.size();
        std::string tail(sql.substr(tokens[last].end, end_gap - tokens[last].end));
        auto reg = RegCasts().find(type);
        if (reg != RegCasts().end() && !array) {
          size_t start = OperandStart(out, out.size() - 1);
          if (start < out.size()) {
            bool literal = start + 1 == out.size() && !out.back().expression &&
                           (out.back().kind == SqlToken::Kind::kString ||
                            out.back().kind == SqlToken::Kind::kParameter);
            const std::string& fn = literal ? reg->second.first : reg->second.second;
            Collapse(&out, start, fn + "(", ")", false);
            out.back().gap = tail;
            k = last;
            continue;
          }
        }
        auto plain = PlainCasts().find(type);
        if (plain != PlainCasts().end() || j != k + 1) {
          Piece c = p;
          std::string duck =
              plain != PlainCasts().end()
                  ? plain->second
                  : std::string(sql.substr(tokens[j].begin, tokens[j].end - tokens[j].begin));
          if (array && duck.size() >= 2 && duck.compare(duck.size() - 2, 2, "[]") != 0) {
            duck += "[]";
          }
          c.text = "::" + duck;
          c.gap = tail;
          c.expression = true;
          out.push_back(std::move(c));
          k = last;
          continue;
        }
      }
    }
    // `FROM generate_series(...) s`: PostgreSQL lets `s` name the single column too; DuckDB
    // binds it to the whole row, so give the column the alias's name: s(s).
    if (p.kind == SqlToken::Kind::kWord && !out.empty() && !IsReservedAfterFrom(p.upper) &&
        (k + 1 >= tokens.size() || !tokens[k + 1].IsSymbol("("))) {
      size_t close = out.size() - 1;
      if (!out[close].expression && out[close].kind == SqlToken::Kind::kWord &&
          out[close].upper == "AS" && close > 0) {
        --close;
      }
      if (IsSym(out[close], ")")) {
        size_t start = OperandStart(out, close);
        if (start < close && !out[start].expression && out[start].kind == SqlToken::Kind::kWord &&
            (out[start].upper == "GENERATE_SERIES" || out[start].upper == "UNNEST") &&
            InFromClause(out, start)) {
          std::string gap = p.gap;
          p.text += "(" + p.text + ")";
          p.gap = gap;
        }
      }
    }
    out.push_back(std::move(p));
  }

  // PostgreSQL's ~ matches anywhere in the string; DuckDB's ~ must match the whole string. A
  // literal pattern p becomes (?s).*(?:p).* (with (?i) for ~*), which full-matches exactly the
  // strings p partially matches.
  for (size_t i = 0; i < out.size(); ++i) {
    if (!IsSym(out[i], "~")) {
      continue;
    }
    size_t first = i;
    bool negated = i > 0 && IsSym(out[i - 1], "!") && out[i - 1].gap.empty();
    if (negated) {
      first = i - 1;
    }
    if (first > 0 && IsSym(out[first - 1], "~") && out[first - 1].gap.empty()) {
      continue;  // ~~ (LIKE)
    }
    size_t next = i + 1;
    bool insensitive = false;
    if (next < out.size() && out[i].gap.empty() && IsSym(out[next], "*")) {
      insensitive = true;
      ++next;
    }
    if (next < out.size() && IsSym(out[next], "~") && out[i].gap.empty()) {
      continue;  // ~~
    }
    if (next >= out.size() || out[next].expression || out[next].kind != SqlToken::Kind::kString ||
        out[next].text.empty() || out[next].text[0] != '\'') {
      continue;
    }
    std::string body = out[next].text.substr(1, out[next].text.size() - 2);
    std::string pattern;
    for (size_t c = 0; c < body.size(); ++c) {
      pattern += body[c];
      if (body[c] == '\'' && c + 1 < body.size() && body[c + 1] == '\'') {
        ++c;
      }
    }
    out[next].text =
        QuoteString(std::string(insensitive ? "(?is)" : "(?s)") + ".*(?:" + pattern + ").*");
    std::string gap = (insensitive ? out[i + 1].gap : out[i].gap);
    std::string lead = negated ? out[first].text.substr(0, out[first].text.find('!')) : "";
    Piece op;
    op.kind = SqlToken::Kind::kSymbol;
    op.text = negated ? " !~" : " ~";
    op.upper = "~";
    op.gap = gap.empty() ? " " : gap;
    op.expression = true;
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(first),
              out.begin() + static_cast<std::ptrdiff_t>(next));
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(first), std::move(op));
    i = first;
  }

  std::string result;
  for (const Piece& p : out) {
    result += p.text;
    result += p.gap;
  }
  return result;
}

namespace {

// ---- Building ------------------------------------------------------------------------------

struct Setting {
  std::string name;
  std::string value;
};

std::string ServerVersionNum(std::string_view version) {
  int major = 0;
  int minor = 0;
  size_t i = 0;
  while (i < version.size() && std::isdigit(static_cast<unsigned char>(version[i]))) {
    major = major * 10 + (version[i] - '0');
    ++i;
  }
  if (i < version.size() && version[i] == '.') {
    ++i;
    while (i < version.size() && std::isdigit(static_cast<unsigned char>(version[i]))) {
      minor = minor * 10 + (version[i] - '0');
      ++i;
    }
  }
  return std::to_string(major * 10000 + minor);
}

std::vector<Setting> DefaultSettings(const ShimOptions& o) {
  return {
      {"server_version", o.server_version},
      {"server_version_num", ServerVersionNum(o.server_version)},
      {"server_encoding", "UTF8"},
      {"client_encoding", "UTF8"},
      {"DateStyle", "ISO, MDY"},
      {"IntervalStyle", "postgres"},
      {"TimeZone", "UTC"},
      {"integer_datetimes", "on"},
      {"standard_conforming_strings", "on"},
      {"is_superuser", "off"},
      {"session_authorization", o.user},
      {"application_name", ""},
      {"search_path", "\"$user\", " + o.current_schema},
      {"transaction_isolation", "read committed"},
      {"default_transaction_isolation", "read committed"},
      {"transaction_read_only", "off"},
      {"default_transaction_read_only", "off"},
      {"transaction_deferrable", "off"},
      {"default_transaction_deferrable", "off"},
      {"max_identifier_length", "63"},
      {"max_index_keys", "32"},
      {"block_size", "8192"},
      {"lc_collate", "C"},
      {"lc_ctype", "C"},
      {"lc_messages", "C"},
      {"lc_monetary", "C"},
      {"lc_numeric", "C"},
      {"lc_time", "C"},
      {"extra_float_digits", "1"},
      {"bytea_output", "hex"},
      {"statement_timeout", "0"},
      {"lock_timeout", "0"},
      {"idle_in_transaction_session_timeout", "0"},
      {"max_connections", "100"},
      {"ssl", "off"},
      {"in_hot_standby", "off"},
      {"escape_string_warning", "on"},
      {"default_with_oids", "off"},
  };
}

// The macros the shim defines for what DuckDB lacks, or answers about DuckDB rather than about
// the lake (version(), current_user, format_type(), ...). They live in the shim's schema, which
// is first on the search path, so unqualified calls (pg_catalog. qualifiers are dropped) find
// them before DuckDB's built-ins. Subqueries use medlake_* aliases so that a caller's `c.oid`
// argument is not captured by a macro's own alias.
std::string MacroScript(const ShimOptions& o) {
  const std::string s = std::string(kPgSchema) + ".";
  const std::string user = QuoteString(o.user);
  const std::string db = QuoteString(o.database);
  const std::string schema = QuoteString(o.current_schema);
  std::string version =
      "PostgreSQL " + o.server_version + " on x86_64-pc-linux-gnu, compiled by medlake, 64-bit";
  std::string m;
  auto add = [&](std::string_view name, std::string_view body) {
    m += "CREATE MACRO " + s + std::string(name) + " AS " + std::string(body) + ";\n";
  };
  add("version()", QuoteString(version));
  add("current_database()", db);
  add("current_catalog()", db);
  add("current_user()", user);
  add("session_user()", user);
  add("current_role()", user);
  add("\"user\"()", user);
  add("current_schema()", schema);
  add("current_schemas(implicit)",
      "CASE WHEN implicit THEN ['pg_catalog', " + schema + "] ELSE [" + schema + "] END");
  add("current_setting(setting_name)",
      "(SELECT setting FROM " + s + "pg_settings WHERE lower(name) = lower(setting_name))");
  m += "CREATE OR REPLACE MACRO " + s + "current_setting(setting_name) AS (SELECT setting FROM " +
       s + "pg_settings WHERE lower(name) = lower(setting_name)), (setting_name, missing_ok) AS " +
       "(SELECT setting FROM " + s + "pg_settings WHERE lower(name) = lower(setting_name));\n";
  add("set_config(setting_name, new_value, is_local)", "new_value");
  add("pg_backend_pid()", "0");
  add("pg_is_in_recovery()", "false");
  add("pg_get_userbyid(role_oid)",
      "coalesce((SELECT rolname FROM " + s +
          "pg_roles WHERE oid = role_oid), 'unknown (OID=' || role_oid || ')')");
  add("pg_table_is_visible(rel_oid)", "true");
  add("pg_type_is_visible(type_oid)", "true");
  add("pg_function_is_visible(fn_oid)", "true");
  add("pg_encoding_to_char(encoding)", "CASE WHEN encoding = 6 THEN 'UTF8' ELSE 'SQL_ASCII' END");
  add("pg_char_to_encoding(name)", "CASE WHEN upper(name) = 'UTF8' THEN 6 ELSE 0 END");
  m += "CREATE MACRO " + s +
       "obj_description(obj_oid, catalog_name) AS (SELECT max(description) FROM " + s +
       "pg_description WHERE objoid = obj_oid AND objsubid = 0 AND classoid = CASE "
       "catalog_name WHEN 'pg_class' THEN 1259 WHEN 'pg_namespace' THEN 2615 ELSE -1 END), "
       "(obj_oid) AS (SELECT max(description) FROM " +
       s + "pg_description WHERE objoid = obj_oid AND objsubid = 0);\n";
  add("col_description(rel_oid, column_number)",
      "(SELECT max(description) FROM " + s +
          "pg_description WHERE objoid = rel_oid AND classoid = 1259 AND objsubid = "
          "column_number)");
  add("shobj_description(obj_oid, catalog_name)", "CAST(NULL AS VARCHAR)");
  m += "CREATE MACRO " + s +
       "pg_get_expr(expr, rel_oid) AS CAST(expr AS VARCHAR), (expr, rel_oid, pretty) AS "
       "CAST(expr AS VARCHAR);\n";
  m += "CREATE MACRO " + s +
       "pg_get_indexdef(index_oid) AS CAST(NULL AS VARCHAR), (index_oid, column_no, pretty) AS "
       "CAST(NULL AS VARCHAR);\n";
  m += "CREATE MACRO " + s +
       "pg_get_constraintdef(constraint_oid) AS CAST(NULL AS VARCHAR), (constraint_oid, pretty) "
       "AS CAST(NULL AS VARCHAR);\n";
  m += "CREATE MACRO " + s +
       "pg_get_viewdef(view_oid) AS CAST(NULL AS VARCHAR), (view_oid, pretty) AS "
       "CAST(NULL AS VARCHAR);\n";
  m += "CREATE MACRO " + s +
       "pg_get_triggerdef(trigger_oid) AS CAST(NULL AS VARCHAR), (trigger_oid, pretty) AS "
       "CAST(NULL AS VARCHAR);\n";
  add("pg_get_ruledef(rule_oid)", "CAST(NULL AS VARCHAR)");
  add("pg_get_function_result(fn_oid)", "CAST(NULL AS VARCHAR)");
  add("pg_get_function_arguments(fn_oid)", "CAST(NULL AS VARCHAR)");
  add("pg_get_function_identity_arguments(fn_oid)", "CAST(NULL AS VARCHAR)");
  add("pg_get_statisticsobjdef_columns(stat_oid)", "CAST(NULL AS VARCHAR)");
  add("pg_relation_is_publishable(rel_oid)", "false");
  add("pg_table_size(rel_oid)", "CAST(NULL AS BIGINT)");
  add("pg_relation_size(rel_oid)", "CAST(NULL AS BIGINT)");
  add("pg_total_relation_size(rel_oid)", "CAST(NULL AS BIGINT)");
  add("pg_get_serial_sequence(table_name, column_name)", "CAST(NULL AS VARCHAR)");
  // json_build_object(k1, v1, ...): PostgreSQL's variadic call as overloads of up to 8 pairs
  // (SQLAlchemy's column reflection builds identity options with 7).
  m += "CREATE MACRO " + s + "json_build_object() AS json_object()";
  for (int pairs = 1; pairs <= 8; ++pairs) {
    std::string params;
    std::string args;
    for (int i = 1; i <= pairs; ++i) {
      const std::string k = "medlake_k" + std::to_string(i);
      const std::string v = "medlake_v" + std::to_string(i);
      params += (i > 1 ? ", " : "") + k + ", " + v;
      args += (i > 1 ? ", " : "") + ("CAST(" + k + " AS VARCHAR), ") + v;  // keys must be text
    }
    m += ", (" + params + ") AS json_object(" + args + ")";
  }
  m += ";\n";
  // information_schema._pg_expandarray(arr): one (x, n) row per element (pgjdbc's
  // getPrimaryKeys reads pg_index's keys with it).
  add("_pg_expandarray(arr)",
      "unnest(list_transform(range(len(arr)), medlake_i -> {'x': arr[medlake_i + 1], 'n': CAST(medlake_i + 1 AS INTEGER)}))");
  // quote_ident: as is when it is a lower-case identifier, else double-quoted (Grafana quotes
  // table names with it); PostgreSQL also quotes reserved words, which this does not know.
  add("quote_ident(ident)",
      "CASE WHEN regexp_full_match(CAST(ident AS VARCHAR), '[a-z_][a-z0-9_$]*') THEN CAST(ident AS VARCHAR) "
      "ELSE '\"' || replace(CAST(ident AS VARCHAR), '\"', '\"\"') || '\"' END");
  add("quote_literal(value)", "'''' || replace(CAST(value AS VARCHAR), '''', '''''') || ''''");
  add("array_upper(arr, dimension)",
      "CASE WHEN arr IS NULL OR len(arr) = 0 OR dimension <> 1 THEN NULL ELSE len(arr) END");
  add("array_lower(arr, dimension)",
      "CASE WHEN arr IS NULL OR len(arr) = 0 OR dimension <> 1 THEN NULL ELSE 1 END");
  // format_type(oid, typmod): PostgreSQL's spelling, with numeric(p,s) and varchar(n) modifiers.
  add("format_type(type_oid, type_mod)",
      "CASE WHEN type_oid IS NULL THEN NULL ELSE coalesce((SELECT CASE "
      "WHEN type_mod IS NULL OR type_mod < 0 THEN medlake_tn.name "
      "WHEN medlake_tn.base = 'numeric' AND type_mod >= 4 THEN 'numeric(' || ((type_mod - 4) >> "
      "16) || "
      "',' || ((type_mod - 4) & 65535) || ')' || medlake_tn.suffix "
      "WHEN medlake_tn.base IN ('character varying', 'character') AND type_mod >= 4 THEN "
      "medlake_tn.base || '(' || "
      "(type_mod - 4) || ')' || medlake_tn.suffix ELSE medlake_tn.name END FROM " +
          s +
          "medlake_type_names medlake_tn WHERE medlake_tn.oid = type_oid), '?"
          "?"
          "?') END");
  // ::regclass and friends (see RewriteCatalogQuery).
  add("medlake_regclass_in(rel_name)",
      "CASE WHEN CAST(rel_name AS VARCHAR) SIMILAR TO '[0-9]+' THEN CAST(rel_name AS BIGINT) "
      "WHEN regexp_replace(lower(CAST(rel_name AS VARCHAR)), '^pg_catalog\\.', '') IN "
      "('pg_class', 'pg_namespace', 'pg_type', 'pg_attribute', 'pg_proc', 'pg_database', "
      "'pg_authid') THEN CASE regexp_replace(lower(CAST(rel_name AS VARCHAR)), "
      "'^pg_catalog\\.', '') WHEN 'pg_class' THEN 1259 WHEN 'pg_namespace' THEN 2615 WHEN "
      "'pg_type' THEN 1247 WHEN 'pg_attribute' THEN 1249 WHEN 'pg_proc' THEN 1255 WHEN "
      "'pg_database' THEN 1262 ELSE 1260 END "
      "ELSE (SELECT min(medlake_c.oid) FROM " +
          s + "pg_class medlake_c JOIN " + s +
          "pg_namespace medlake_n ON medlake_n.oid = medlake_c.relnamespace WHERE "
          "replace(CAST(rel_name AS VARCHAR), '\"', '') IN (medlake_c.relname, medlake_n.nspname "
          "|| '.' || "
          "medlake_c.relname)) END");
  add("medlake_regclass_out(rel_oid)",
      "coalesce((SELECT max(CASE WHEN medlake_n.nspname IN ('pg_catalog', " + schema +
          ") THEN medlake_c.relname ELSE medlake_n.nspname || '.' || medlake_c.relname END) FROM " +
          s + "pg_class medlake_c JOIN " + s +
          "pg_namespace medlake_n ON medlake_n.oid = medlake_c.relnamespace WHERE medlake_c.oid = "
          "rel_oid), CAST(rel_oid AS "
          "VARCHAR))");
  add("medlake_regtype_in(type_name)",
      "CASE WHEN CAST(type_name AS VARCHAR) SIMILAR TO '[0-9]+' THEN CAST(type_name AS BIGINT) "
      "ELSE (SELECT min(medlake_t.oid) FROM " +
          s +
          "medlake_types medlake_t WHERE lower(CAST(type_name AS VARCHAR)) IN (medlake_t.typname, "
          "medlake_t.display, 'pg_catalog.' || medlake_t.typname)) "
          "END");
  add("medlake_regtype_out(type_oid)", s + "format_type(type_oid, NULL)");
  add("medlake_regnamespace_in(nsp_name)",
      "(SELECT min(oid) FROM " + s + "pg_namespace WHERE nspname = CAST(nsp_name AS VARCHAR))");
  add("medlake_regnamespace_out(nsp_oid)",
      "coalesce((SELECT max(nspname) FROM " + s +
          "pg_namespace WHERE oid = nsp_oid), CAST(nsp_oid AS VARCHAR))");
  add("medlake_regrole_in(role_name)",
      "(SELECT min(oid) FROM " + s + "pg_roles WHERE rolname = CAST(role_name AS VARCHAR))");
  add("medlake_regrole_out(role_oid)", s + "pg_get_userbyid(role_oid)");
  add("medlake_regproc(fn)", "regexp_replace(CAST(fn AS VARCHAR), '^pg_catalog\\.', '')");
  // has_*_privilege(): answered from medlake_privileges, the session user's privileges (see
  // ShimTable). The object is a name (quotes ignored) or an oid; a privilege list such as
  // 'select, insert with grant option' is true when any of its entries is held. An unknown
  // privilege type or object name is an error, as in PostgreSQL; another user's privileges are
  // unknown here (NULL).
  add("medlake_privilege_list(privs)",
      "list_transform(string_split(upper(CAST(privs AS VARCHAR)), ','), medlake_x -> "
      "regexp_replace(trim(medlake_x), '\\s+', ' ', 'g'))");
  add("medlake_unknown_privileges(privs, known)",
      "list_filter(" + s + "medlake_privilege_list(privs), medlake_x -> NOT list_contains(known, "
      "regexp_replace(medlake_x, ' WITH GRANT OPTION$', '')))");
  add("medlake_has_privilege(obj_oid, col_name, privs, known)",
      "CASE WHEN privs IS NULL THEN NULL WHEN len(" + s +
          "medlake_unknown_privileges(privs, known)) > 0 THEN CAST(error('unrecognized privilege "
          "type: \"' || lower(" + s +
          "medlake_unknown_privileges(privs, known)[1]) || '\"') AS BOOLEAN) WHEN obj_oid IS "
          "NULL THEN NULL ELSE EXISTS (SELECT 1 FROM " + s +
          "medlake_privileges medlake_p WHERE medlake_p.objoid = obj_oid AND (medlake_p.attname "
          "IS NULL OR col_name = '*' OR medlake_p.attname = col_name) AND list_contains(" + s +
          "medlake_privilege_list(privs), medlake_p.privilege)) END");
  add("medlake_is_session_user(role)",
      "CAST(role AS VARCHAR) IN (" + user + ", '" + std::to_string(kUserOid) + "')");
  add("medlake_table_oid(rel)",
      "CASE WHEN rel IS NULL THEN NULL WHEN " + s + "medlake_regclass_in(rel) IS NOT NULL THEN " +
          s + "medlake_regclass_in(rel) ELSE CAST(error('relation \"' || CAST(rel AS VARCHAR) || "
          "'\" does not exist') AS BIGINT) END");
  add("medlake_namespace_oid(nsp)",
      "CASE WHEN nsp IS NULL THEN NULL WHEN CAST(nsp AS VARCHAR) SIMILAR TO '[0-9]+' THEN "
      "CAST(nsp AS BIGINT) WHEN " + s + "medlake_regnamespace_in(replace(CAST(nsp AS VARCHAR), "
      "'\"', '')) IS NOT NULL THEN " + s + "medlake_regnamespace_in(replace(CAST(nsp AS VARCHAR), "
      "'\"', '')) ELSE CAST(error('schema \"' || CAST(nsp AS VARCHAR) || '\" does not exist') AS "
      "BIGINT) END");
  add("medlake_database_oid(dat)",
      "CASE WHEN dat IS NULL THEN NULL WHEN CAST(dat AS VARCHAR) SIMILAR TO '[0-9]+' THEN "
      "CAST(dat AS BIGINT) WHEN replace(CAST(dat AS VARCHAR), '\"', '') = " + db + " THEN " +
          std::to_string(kDatabaseOid) + " ELSE CAST(error('database \"' || CAST(dat AS VARCHAR) "
          "|| '\" does not exist') AS BIGINT) END");
  add("medlake_column_name(rel, col)",
      "CASE WHEN col IS NULL THEN NULL WHEN CAST(col AS VARCHAR) SIMILAR TO '[0-9]+' THEN "
      "(SELECT max(medlake_a.attname) FROM " + s + "pg_attribute medlake_a WHERE "
      "medlake_a.attrelid = " + s + "medlake_table_oid(rel) AND medlake_a.attnum = TRY_CAST(col AS "
      "BIGINT)) ELSE replace(CAST(col AS VARCHAR), '\"', '') END");
  const std::string table_privs =
      "['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']";
  const std::string column_privs = "['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']";
  auto overloads = [&](const std::string& name, const std::string& params,
                       const std::string& body) {
    m += "CREATE MACRO " + s + name + "(" + params + ") AS " + body + ", (medlake_role, " +
         params + ") AS CASE WHEN " + s + "medlake_is_session_user(medlake_role) THEN " + body +
         " END;\n";
  };
  overloads("has_table_privilege", "rel, privs",
            s + "medlake_has_privilege(" + s + "medlake_table_oid(rel), NULL, privs, " +
                table_privs + ")");
  overloads("has_any_column_privilege", "rel, privs",
            s + "medlake_has_privilege(" + s + "medlake_table_oid(rel), '*', privs, " +
                column_privs + ")");
  overloads("has_column_privilege", "rel, col, privs",
            s + "medlake_has_privilege(" + s + "medlake_table_oid(rel), " + s +
                "medlake_column_name(rel, col), privs, " + column_privs + ")");
  overloads("has_schema_privilege", "nsp, privs",
            s + "medlake_has_privilege(" + s + "medlake_namespace_oid(nsp), NULL, privs, "
                "['USAGE', 'CREATE'])");
  overloads("has_database_privilege", "dat, privs",
            s + "medlake_has_privilege(" + s + "medlake_database_oid(dat), NULL, privs, "
                "['CREATE', 'CONNECT', 'TEMPORARY', 'TEMP'])");
  return m;
}

}  // namespace

struct CatalogShim::Impl {
  std::unique_ptr<engine::Database> db;
  std::unique_ptr<engine::Connection> conn;
  std::map<std::pair<std::string, std::string>, uint32_t> table_oids;
};

CatalogShim::CatalogShim(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

void CatalogShim::Interrupt() { impl_->conn->Interrupt(); }
CatalogShim::~CatalogShim() = default;

namespace {

Status AppendRow(engine::Appender& a, std::initializer_list<engine::Value> values) {
  for (const engine::Value& v : values) {
    switch (v.kind) {
      case engine::Value::Kind::kNull:
        MEDLAKE_RETURN_IF_ERROR(a.AppendNull());
        break;
      case engine::Value::Kind::kBool:
        MEDLAKE_RETURN_IF_ERROR(a.AppendBool(v.b));
        break;
      case engine::Value::Kind::kInt:
        MEDLAKE_RETURN_IF_ERROR(a.AppendInt64(v.i));
        break;
      default:
        MEDLAKE_RETURN_IF_ERROR(a.AppendString(v.s));
        break;
    }
  }
  return a.EndRow();
}

engine::Value TextOrNull(const std::string& s) {
  return s.empty() ? engine::Value::Null() : engine::Value::Text(s);
}

}  // namespace

Result<std::unique_ptr<CatalogShim>> CatalogShim::Build(const std::vector<ShimTable>& tables,
                                                        const ShimOptions& options) {
  // Namespaces: PostgreSQL's own, the current schema, the visible ones, those of the tables.
  std::vector<std::pair<uint32_t, std::string>> namespaces = {
      {11, "pg_catalog"}, {99, "pg_toast"}, {13000, "information_schema"}};
  std::map<std::string, uint32_t> ns_oids;
  for (const auto& [oid, name] : namespaces) {
    ns_oids[name] = oid;
  }
  uint32_t next_oid = kFirstObjectOid;
  auto add_namespace = [&](const std::string& name) -> Status {
    if (name.empty()) {
      return InvalidArgument("catalog shim: empty namespace name");
    }
    if (ns_oids.count(name) == 0) {
      uint32_t oid = name == "public" ? 2200 : next_oid++;
      ns_oids[name] = oid;
      namespaces.emplace_back(oid, name);
    }
    return Status::OK();
  };
  if (!options.current_schema.empty()) {
    MEDLAKE_RETURN_IF_ERROR(add_namespace(options.current_schema));
  }
  for (const std::string& ns : options.namespaces) {
    MEDLAKE_RETURN_IF_ERROR(add_namespace(ns));
  }
  for (const ShimTable& t : tables) {
    MEDLAKE_RETURN_IF_ERROR(add_namespace(t.namespace_name));
  }

  engine::DatabaseOptions db_options;
  db_options.config["threads"] = "1";
  db_options.config["enable_external_access"] = "false";
  db_options.config["autoinstall_known_extensions"] = "false";
  db_options.config["autoload_known_extensions"] = "false";
  // Catalog answers are small: a query that is not (a huge range() cross join) hits the limit
  // instead of the machine's memory, and never spills to disk.
  db_options.config["memory_limit"] = "256MB";
  db_options.config["max_temp_directory_size"] = "0KiB";
  auto impl = std::make_unique<Impl>();
  MEDLAKE_ASSIGN_OR_RETURN(impl->db, engine::Database::Open(db_options));
  MEDLAKE_ASSIGN_OR_RETURN(impl->conn, impl->db->Connect());
  engine::Connection& conn = *impl->conn;

  const std::string s = std::string(kPgSchema) + ".";
  // One transaction for the whole build: DuckDB commits each statement otherwise, and the
  // commits are most of the cost.
  std::string ddl = "BEGIN TRANSACTION; CREATE SCHEMA " + std::string(kPgSchema) +
                    "; CREATE SCHEMA " + std::string(kInfoSchema) + ";\n";
  for (const auto& def : internal::CatalogTableDefs()) {
    ddl += "CREATE TABLE ";
    ddl += def.schema == internal::CatalogSchema::kPgCatalog ? s : std::string(kInfoSchema) + ".";
    ddl += std::string(def.name) + " (" + def.columns + ");\n";
  }
  // Staging tables the appenders fill; the catalogs are derived from them below.
  ddl += "CREATE TABLE " + s +
         "medlake_types (oid BIGINT, typname VARCHAR, display VARCHAR, base VARCHAR, suffix "
         "VARCHAR, typlen BIGINT, typbyval BOOLEAN, typelem BIGINT, typtype VARCHAR, "
         "typcategory VARCHAR, typarray BIGINT, typcollation BIGINT, typinput VARCHAR, "
         "typoutput VARCHAR, typreceive VARCHAR, typsend VARCHAR);\n"
         "CREATE TABLE " +
         s +
         "medlake_namespaces (oid BIGINT, name VARCHAR);\n"
         "CREATE TABLE " +
         s +
         "medlake_relations (oid BIGINT, nsp_oid BIGINT, nsp_name VARCHAR, name VARCHAR, "
         "comment VARCHAR, natts BIGINT);\n"
         "CREATE TABLE " +
         s +
         "medlake_attributes (rel_oid BIGINT, attnum BIGINT, name VARCHAR, type_oid BIGINT, "
         "typmod BIGINT, not_null BOOLEAN, comment VARCHAR, duckdb_type VARCHAR);\n"
         // The session user's privileges: objoid is a table's, a namespace's or the database's
         // oid; attname a column for column grants, else NULL; privilege e.g. 'SELECT' or
         // 'SELECT WITH GRANT OPTION'.
         "CREATE TABLE " +
         s + "medlake_privileges (objoid BIGINT, attname VARCHAR, privilege VARCHAR);\n";
  MEDLAKE_RETURN_IF_ERROR(conn.Execute(ddl).WithContext("catalog shim: creating catalogs"));

  {
    MEDLAKE_ASSIGN_OR_RETURN(auto a, conn.CreateAppender(kPgSchema, "medlake_types"));
    for (const auto& t : internal::BuiltinPgTypes()) {
      std::string display = t.display;
      bool array = display.size() > 2 && display.compare(display.size() - 2, 2, "[]") == 0;
      std::string base = array ? display.substr(0, display.size() - 2) : display;
      MEDLAKE_RETURN_IF_ERROR(AppendRow(
          *a,
          {engine::Value::Int(t.oid), engine::Value::Text(t.typname), engine::Value::Text(display),
           engine::Value::Text(base), engine::Value::Text(array ? "[]" : ""),
           engine::Value::Int(t.typlen), engine::Value::Bool(t.typbyval),
           engine::Value::Int(t.typelem), engine::Value::Text(std::string(1, t.typtype)),
           engine::Value::Text(std::string(1, t.typcategory)), engine::Value::Int(t.typarray),
           engine::Value::Int(t.typcollation), engine::Value::Text(t.typinput),
           engine::Value::Text(t.typoutput), engine::Value::Text(t.typreceive),
           engine::Value::Text(t.typsend)}));
    }
    MEDLAKE_RETURN_IF_ERROR(a->Close());
  }
  {
    MEDLAKE_ASSIGN_OR_RETURN(auto a, conn.CreateAppender(kPgSchema, "medlake_namespaces"));
    for (const auto& [oid, name] : namespaces) {
      MEDLAKE_RETURN_IF_ERROR(AppendRow(*a, {engine::Value::Int(oid), engine::Value::Text(name)}));
    }
    MEDLAKE_RETURN_IF_ERROR(a->Close());
  }
  {
    MEDLAKE_ASSIGN_OR_RETURN(auto rel, conn.CreateAppender(kPgSchema, "medlake_relations"));
    MEDLAKE_ASSIGN_OR_RETURN(auto att, conn.CreateAppender(kPgSchema, "medlake_attributes"));
    MEDLAKE_ASSIGN_OR_RETURN(auto priv, conn.CreateAppender(kPgSchema, "medlake_privileges"));
    auto grant = [&priv](uint32_t oid, const std::string& column, const std::string& privilege) {
      return AppendRow(*priv, {engine::Value::Int(oid),
                               column.empty() ? engine::Value::Null() : engine::Value::Text(column),
                               engine::Value::Text(privilege)});
    };
    auto grant_with_option = [&grant](uint32_t oid, const std::string& privilege, bool grantable) {
      MEDLAKE_RETURN_IF_ERROR(grant(oid, "", privilege));
      return grantable ? grant(oid, "", privilege + " WITH GRANT OPTION") : Status::OK();
    };
    // The database and the namespaces.
    MEDLAKE_RETURN_IF_ERROR(grant(kDatabaseOid, "", "CONNECT"));
    MEDLAKE_RETURN_IF_ERROR(grant(kDatabaseOid, "", "TEMPORARY"));
    MEDLAKE_RETURN_IF_ERROR(grant(kDatabaseOid, "", "TEMP"));
    if (options.may_create_schemas) MEDLAKE_RETURN_IF_ERROR(grant(kDatabaseOid, "", "CREATE"));
    for (const auto& [oid, name] : namespaces) {
      auto it = options.namespace_privileges.find(name);
      const bool usage = it == options.namespace_privileges.end() || it->second.usage;
      const bool create = it != options.namespace_privileges.end() && it->second.ownership;
      if (usage) MEDLAKE_RETURN_IF_ERROR(grant(oid, "", "USAGE"));
      if (create) MEDLAKE_RETURN_IF_ERROR(grant(oid, "", "CREATE"));
    }
    // PostgreSQL's own catalogs that ::regclass names are readable by everyone.
    for (uint32_t oid : {1247u, 1249u, 1255u, 1259u, 1260u, 1262u, 2615u}) {
      MEDLAKE_RETURN_IF_ERROR(grant(oid, "", "SELECT"));
    }
    for (const ShimTable& t : tables) {
      if (t.name.empty()) {
        return InvalidArgument("catalog shim: a table of namespace " + t.namespace_name +
                               " has no name");
      }
      uint32_t oid = next_oid++;
      if (!impl->table_oids.emplace(std::make_pair(t.namespace_name, t.name), oid).second) {
        return InvalidArgument("catalog shim: duplicate table " + t.namespace_name + "." + t.name);
      }
      MEDLAKE_RETURN_IF_ERROR(AppendRow(
          *rel,
          {engine::Value::Int(oid), engine::Value::Int(ns_oids[t.namespace_name]),
           engine::Value::Text(t.namespace_name), engine::Value::Text(t.name),
           TextOrNull(t.comment), engine::Value::Int(static_cast<int64_t>(t.columns.size()))}));
      const engine::ObjectPrivileges& p = t.privileges;
      if (p.usage) {
        if (p.select) MEDLAKE_RETURN_IF_ERROR(grant_with_option(oid, "SELECT", p.select_grantable));
        if (p.insert) MEDLAKE_RETURN_IF_ERROR(grant_with_option(oid, "INSERT", p.insert_grantable));
        if (p.modify) {
          MEDLAKE_RETURN_IF_ERROR(grant_with_option(oid, "UPDATE", p.modify_grantable));
          MEDLAKE_RETURN_IF_ERROR(grant_with_option(oid, "DELETE", p.modify_grantable));
        }
        for (const std::string& column : p.select_columns) {
          MEDLAKE_RETURN_IF_ERROR(grant(oid, column, "SELECT"));
        }
      }
      int64_t attnum = 0;
      for (const ShimColumn& c : t.columns) {
        PgTypeInfo type = PgTypeForDuckDbType(c.type);
        MEDLAKE_RETURN_IF_ERROR(
            AppendRow(*att, {engine::Value::Int(oid), engine::Value::Int(++attnum),
                             engine::Value::Text(c.name), engine::Value::Int(type.oid),
                             engine::Value::Int(type.typmod), engine::Value::Bool(!c.nullable),
                             TextOrNull(c.comment), engine::Value::Text(c.type)}));
      }
    }
    MEDLAKE_RETURN_IF_ERROR(rel->Close());
    MEDLAKE_RETURN_IF_ERROR(att->Close());
    MEDLAKE_RETURN_IF_ERROR(priv->Close());
  }

  const std::string user = QuoteString(options.user);
  const std::string db = QuoteString(options.database);
  const std::string is = std::string(kInfoSchema) + ".";
  std::string fill;
  fill += "INSERT INTO " + s +
          "pg_type BY NAME SELECT oid, typname, 11 AS typnamespace, 10 AS typowner, typlen, "
          "typbyval, typtype, typcategory, false AS typispreferred, true AS typisdefined, ',' AS "
          "typdelim, 0 AS typrelid, CASE WHEN typcategory = 'A' THEN "
          "'array_subscript_handler' ELSE '-' END AS typsubscript, typelem, typarray, "
          "typinput, typoutput, typreceive, typsend, '-' AS typmodin, '-' AS typmodout, '-' AS "
          "typanalyze, CASE WHEN typlen = 8 THEN 'd' WHEN typlen = 2 THEN 's' WHEN typlen = 1 "
          "THEN 'c' ELSE 'i' END AS typalign, CASE WHEN typlen = -1 THEN 'x' ELSE 'p' END AS "
          "typstorage, false AS typnotnull, 0 AS typbasetype, -1 AS typtypmod, 0 AS typndims, "
          "typcollation FROM " +
          s + "medlake_types;\n";
  fill += "CREATE TABLE " + s + "medlake_type_names AS SELECT oid, display AS name, base, " +
          "suffix FROM " + s + "medlake_types;\n";
  fill += "INSERT INTO " + s + "pg_namespace BY NAME SELECT oid, name AS nspname, " +
          std::to_string(kUserOid) + " AS nspowner FROM " + s + "medlake_namespaces;\n";
  fill += "INSERT INTO " + s +
          "pg_class BY NAME SELECT oid, name AS relname, nsp_oid AS relnamespace, 0 AS reltype, "
          "0 AS reloftype, " +
          std::to_string(kUserOid) +
          " AS relowner, 2 AS relam, 0 AS relfilenode, 0 AS reltablespace, 0 AS relpages, -1 "
          "AS reltuples, 0 AS relallvisible, 0 AS reltoastrelid, false AS relhasindex, false "
          "AS relisshared, 'p' AS relpersistence, 'r' AS relkind, natts AS relnatts, 0 AS "
          "relchecks, false AS relhasrules, false AS relhastriggers, false AS relhassubclass, "
          "false AS relrowsecurity, false AS relforcerowsecurity, true AS relispopulated, 'd' "
          "AS relreplident, false AS relispartition, 0 AS relrewrite FROM " +
          s + "medlake_relations;\n";
  fill += "INSERT INTO " + s +
          "pg_attribute BY NAME SELECT a.rel_oid AS attrelid, a.name AS attname, a.type_oid AS "
          "atttypid, -1 AS attstattarget, t.typlen AS attlen, a.attnum, CASE WHEN "
          "t.typcategory = 'A' THEN 1 ELSE 0 END AS attndims, -1 AS attcacheoff, a.typmod AS "
          "atttypmod, t.typbyval AS attbyval, t.typalign AS attalign, CASE WHEN a.type_oid = "
          "1700 THEN 'm' ELSE t.typstorage END AS attstorage, '' AS attcompression, a.not_null "
          "AS attnotnull, false AS atthasdef, false AS atthasmissing, '' AS attidentity, '' AS "
          "attgenerated, false AS attisdropped, true AS attislocal, 0 AS attinhcount, "
          "t.typcollation AS attcollation FROM " +
          s + "medlake_attributes a LEFT JOIN " + s + "pg_type t ON t.oid = a.type_oid;\n";
  fill += "INSERT INTO " + s + "pg_description SELECT oid, " + std::to_string(kPgClassOid) +
          ", 0, comment FROM " + s + "medlake_relations WHERE comment IS NOT NULL;\n";
  fill += "INSERT INTO " + s + "pg_description SELECT rel_oid, " + std::to_string(kPgClassOid) +
          ", attnum, comment FROM " + s + "medlake_attributes WHERE comment IS NOT NULL;\n";
  fill += "INSERT INTO " + s + "pg_description SELECT 2200, " + std::to_string(kPgNamespaceOid) +
          ", 0, 'standard public schema' FROM " + s + "medlake_namespaces WHERE oid = 2200;\n";
  fill += "INSERT INTO " + s + "pg_tables BY NAME SELECT nsp_name AS schemaname, name AS " +
          "tablename, " + user +
          " AS tableowner, false AS hasindexes, false AS hasrules, false AS hastriggers, false "
          "AS rowsecurity FROM " +
          s + "medlake_relations;\n";
  fill += "INSERT INTO " + s + "pg_roles BY NAME SELECT " + user + " AS rolname, " +
          std::to_string(kUserOid) +
          " AS oid, false AS rolsuper, true AS rolinherit, false AS rolcreaterole, false AS "
          "rolcreatedb, true AS rolcanlogin, false AS rolreplication, -1 AS rolconnlimit, "
          "'********' AS rolpassword, false AS rolbypassrls;\n";
  fill += "INSERT INTO " + s + "pg_user BY NAME SELECT " + user + " AS usename, " +
          std::to_string(kUserOid) +
          " AS usesysid, false AS usecreatedb, false AS usesuper, false AS userepl, false AS "
          "usebypassrls, '********' AS passwd;\n";
  fill += "INSERT INTO " + s + "pg_database BY NAME SELECT " + std::to_string(kDatabaseOid) +
          " AS oid, " + db + " AS datname, " + std::to_string(kUserOid) +
          " AS datdba, 6 AS encoding, 'c' AS datlocprovider, false AS datistemplate, true AS "
          "datallowconn, -1 AS datconnlimit, 1663 AS dattablespace, 'C' AS datcollate, 'C' AS "
          "datctype;\n";
  fill += "INSERT INTO " + s +
          "pg_am VALUES (2, 'heap', 'heap_tableam_handler', 't'), (403, 'btree', 'bthandler', "
          "'i');\n";
  fill += "INSERT INTO " + s + "pg_tablespace BY NAME SELECT 1663 AS oid, 'pg_default' AS " +
          "spcname, " + std::to_string(kUserOid) + " AS spcowner;\n";
  std::string settings;
  for (const Setting& st : DefaultSettings(options)) {
    settings += std::string(settings.empty() ? "" : ", ") + "(" + QuoteString(st.name) + ", " +
                QuoteString(st.value) + ")";
  }
  fill += "INSERT INTO " + s +
          "pg_settings BY NAME SELECT col0 AS name, col1 AS setting, 'Client Connection "
          "Defaults' AS category, '' AS short_desc, 'user' AS context, 'string' AS vartype, "
          "'default' AS source, col1 AS boot_val, col1 AS reset_val, false AS pending_restart "
          "FROM (VALUES " +
          settings + ");\n";
  fill += "INSERT INTO " + is + "schemata BY NAME SELECT " + db +
          " AS catalog_name, name AS schema_name, " + user + " AS schema_owner FROM " + s +
          "medlake_namespaces;\n";
  fill += "INSERT INTO " + is + "tables BY NAME SELECT " + db +
          " AS table_catalog, nsp_name AS table_schema, name AS table_name, 'BASE TABLE' AS "
          "table_type, 'YES' AS is_insertable_into, 'NO' AS is_typed FROM " +
          s + "medlake_relations;\n";
  // relacl, attacl, nspacl and datacl (psql's \dp and \dn+): the session user's privileges as
  // PostgreSQL's aclitem text, "user=arwd/user" (a INSERT, r SELECT, w UPDATE, d DELETE, U
  // USAGE, C CREATE, T TEMPORARY, c CONNECT; * after a letter: WITH GRANT OPTION).
  fill += "CREATE TABLE " + s + "medlake_acl AS SELECT objoid, attname, " + user +
          " || '=' || string_agg(CASE WHEN grantable THEN letter || '*' ELSE letter END, '' ORDER "
          "BY strpos('arwdUCTc', letter)) || '/' || " + user +
          " AS acl FROM (SELECT objoid, attname, CASE regexp_replace(privilege, ' WITH GRANT "
          "OPTION$', '') WHEN 'INSERT' THEN 'a' WHEN 'SELECT' THEN 'r' WHEN 'UPDATE' THEN 'w' WHEN "
          "'DELETE' THEN 'd' WHEN 'USAGE' THEN 'U' WHEN 'CREATE' THEN 'C' WHEN 'TEMPORARY' THEN 'T' "
          "WHEN 'CONNECT' THEN 'c' END AS letter, bool_or(privilege LIKE '% WITH GRANT OPTION') AS "
          "grantable FROM " + s + "medlake_privileges GROUP BY ALL) WHERE letter IS NOT NULL GROUP "
          "BY objoid, attname;\n";
  fill += "UPDATE " + s + "pg_class SET relacl = [a.acl] FROM " + s +
          "medlake_acl a WHERE a.objoid = pg_class.oid AND a.attname IS NULL;\n";
  fill += "UPDATE " + s + "pg_attribute SET attacl = [a.acl] FROM " + s +
          "medlake_acl a WHERE a.objoid = pg_attribute.attrelid AND a.attname = pg_attribute.attname;\n";
  fill += "UPDATE " + s + "pg_namespace SET nspacl = [a.acl] FROM " + s +
          "medlake_acl a WHERE a.objoid = pg_namespace.oid AND a.attname IS NULL;\n";
  fill += "UPDATE " + s + "pg_database SET datacl = [a.acl] FROM " + s +
          "medlake_acl a WHERE a.objoid = pg_database.oid AND a.attname IS NULL;\n";
  fill += "INSERT INTO " + is + "table_privileges BY NAME SELECT " + user + " AS grantor, " + user +
          " AS grantee, " + db +
          " AS table_catalog, r.nsp_name AS table_schema, r.name AS table_name, p.privilege AS "
          "privilege_type, CASE WHEN EXISTS (SELECT 1 FROM " +
          s +
          "medlake_privileges g WHERE g.objoid = p.objoid AND g.attname IS NULL AND g.privilege = "
          "p.privilege || ' WITH GRANT OPTION') THEN 'YES' ELSE 'NO' END AS is_grantable, 'YES' AS "
          "with_hierarchy FROM " +
          s + "medlake_privileges p JOIN " + s +
          "medlake_relations r ON r.oid = p.objoid WHERE p.attname IS NULL AND p.privilege NOT "
          "LIKE '% WITH GRANT OPTION';\n";
  fill += "INSERT INTO " + is + "columns BY NAME SELECT " + db +
          " AS table_catalog, r.nsp_name AS table_schema, r.name AS table_name, a.name AS "
          "column_name, a.attnum AS ordinal_position, CASE WHEN a.not_null THEN 'NO' ELSE 'YES' "
          "END AS is_nullable, CASE WHEN t.typcategory = 'A' THEN 'ARRAY' ELSE t.base END AS "
          "data_type, CASE a.type_oid WHEN 21 THEN 16 WHEN 23 THEN 32 WHEN 20 THEN 64 WHEN 700 "
          "THEN 24 WHEN 701 THEN 53 WHEN 1700 THEN CASE WHEN a.typmod >= 4 THEN (a.typmod - 4) "
          ">> 16 END END AS numeric_precision, CASE WHEN a.type_oid IN (21, 23, 20, 700, 701) "
          "THEN 2 WHEN a.type_oid = 1700 THEN 10 END AS numeric_precision_radix, CASE WHEN "
          "a.type_oid IN (21, 23, 20) THEN 0 WHEN a.type_oid = 1700 AND a.typmod >= 4 THEN "
          "(a.typmod - 4) & 65535 END AS numeric_scale, CASE WHEN a.type_oid = 1082 THEN 0 WHEN "
          "a.type_oid IN (1083, 1114, 1184, 1266, 1186) THEN 6 END AS datetime_precision, " +
          db +
          " AS udt_catalog, 'pg_catalog' AS udt_schema, t.typname AS udt_name, "
          "CAST(a.attnum AS VARCHAR) AS dtd_identifier, 'NO' AS is_self_referencing, 'NO' AS "
          "is_identity, 'NEVER' AS is_generated, 'YES' AS is_updatable FROM " +
          s + "medlake_attributes a JOIN " + s + "medlake_relations r ON r.oid = a.rel_oid " +
          "LEFT JOIN " + s + "medlake_types t ON t.oid = a.type_oid;\n";
  fill += MacroScript(options);
  fill += "COMMIT;\nSET search_path = '" + std::string(kPgSchema) + "';\n";
  MEDLAKE_RETURN_IF_ERROR(conn.Execute(fill).WithContext("catalog shim: filling catalogs"));
  MEDLAKE_RETURN_IF_ERROR(
      conn.Execute("SET lock_configuration = true").WithContext("catalog shim: locking"));
  return std::unique_ptr<CatalogShim>(new CatalogShim(std::move(impl)));
}

Result<std::unique_ptr<engine::PreparedStatement>> CatalogShim::Prepare(std::string_view sql) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string rewritten, RewriteCatalogQuery(sql));
  // Clients read catalog answers by PostgreSQL's column names too (version(), not "version"()).
  MEDLAKE_ASSIGN_OR_RETURN(rewritten, engine::WithPostgresResultNames(*impl_->conn, rewritten));
  MEDLAKE_ASSIGN_OR_RETURN(auto stmt, impl_->conn->Prepare(rewritten));
  if (stmt->statement_kind() != engine::StatementKind::kSelect) {
    return InvalidArgument("the catalog answers queries only");
  }
  return stmt;
}

Result<std::unique_ptr<engine::QueryResult>> CatalogShim::Run(std::string_view sql) {
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<SqlToken> tokens, engine::TokenizeSql(sql));
  if (IsShow(tokens)) {
    std::string name = ShowName(tokens);
    if (name != "all") {
      MEDLAKE_ASSIGN_OR_RETURN(
          auto stmt, impl_->conn->Prepare("SELECT count(*) FROM " + std::string(kPgSchema) +
                                          ".pg_settings WHERE lower(name) = $1"));
      MEDLAKE_RETURN_IF_ERROR(stmt->BindString(1, name));
      MEDLAKE_ASSIGN_OR_RETURN(auto result, stmt->Execute(false));
      MEDLAKE_ASSIGN_OR_RETURN(auto rows, result->FetchAll());
      if (rows.empty() || rows[0].empty() || rows[0][0].ToText() == "0") {
        return NotFound("unrecognized configuration parameter \"" + name + "\"");
      }
    }
  }
  MEDLAKE_ASSIGN_OR_RETURN(auto stmt, Prepare(sql));
  return stmt->Execute();
}

Status CatalogShim::SetSetting(std::string_view name, std::string_view value) {
  if (name.empty()) {
    return InvalidArgument("empty setting name");
  }
  const std::string table = std::string(kPgSchema) + ".pg_settings";
  MEDLAKE_ASSIGN_OR_RETURN(
      auto update,
      impl_->conn->Prepare("UPDATE " + table + " SET setting = $2 WHERE lower(name) = lower($1)"));
  MEDLAKE_RETURN_IF_ERROR(update->BindString(1, name));
  MEDLAKE_RETURN_IF_ERROR(update->BindString(2, value));
  MEDLAKE_ASSIGN_OR_RETURN(auto result, update->Execute(false));
  if (result->rows_changed() > 0) {
    return Status::OK();
  }
  MEDLAKE_ASSIGN_OR_RETURN(
      auto insert, impl_->conn->Prepare("INSERT INTO " + table +
                                        " (name, setting, category, short_desc, context, "
                                        "vartype, source) VALUES ($1, $2, 'Customized Options', "
                                        "'', 'user', 'string', 'session')"));
  MEDLAKE_RETURN_IF_ERROR(insert->BindString(1, Lower(name)));
  MEDLAKE_RETURN_IF_ERROR(insert->BindString(2, value));
  MEDLAKE_ASSIGN_OR_RETURN(auto inserted, insert->Execute(false));
  return Status::OK();
}

uint32_t CatalogShim::TableOidForTest(std::string_view namespace_name,
                                      std::string_view name) const {
  auto it = impl_->table_oids.find({std::string(namespace_name), std::string(name)});
  return it == impl_->table_oids.end() ? 0 : it->second;
}

// ---- Routing -------------------------------------------------------------------------------

namespace {

bool IsCatalogFunction(const std::string& name) {
  static const std::set<std::string> kNames = {
      "version",          "current_schema",    "current_schemas",
      "current_database", "current_catalog",   "current_setting",
      "set_config",       "format_type",       "obj_description",
      "col_description",  "shobj_description", "current_user",
      "session_user",     "current_role",      "user",
      "array_upper",      "array_lower",       "inet_server_addr",
      "quote_ident",      "quote_literal",
      "inet_server_port", "inet_client_addr",  "inet_client_port",
  };
  return kNames.count(name) > 0 || name.rfind("pg_", 0) == 0 || name.rfind("medlake_reg", 0) == 0 ||
         (name.rfind("has_", 0) == 0 && name.size() > 10 &&
          name.compare(name.size() - 10, 10, "_privilege") == 0);
}

struct TreeFacts {
  bool catalog_reference = false;
  bool other_relation = false;
  std::set<std::string> ctes;
  std::vector<std::string> unqualified_tables;
};

void Walk(const nlohmann::json& node, TreeFacts* facts) {
  if (node.is_array()) {
    for (const auto& child : node) {
      Walk(child, facts);
    }
    return;
  }
  if (!node.is_object()) {
    return;
  }
  auto str = [&](const char* key) {
    auto it = node.find(key);
    return it != node.end() && it->is_string() ? Lower(it->get<std::string>()) : std::string();
  };
  const std::string type = str("type");
  const std::string cls = str("class");
  if (type == "base_table") {
    std::string schema = str("schema_name");
    std::string table = str("table_name");
    if (!str("catalog_name").empty()) {
      facts->other_relation = true;
    } else if (schema == kInfoSchema || schema == "information_schema" || schema == kPgSchema) {
      facts->catalog_reference = true;
    } else if (schema.empty()) {
      facts->unqualified_tables.push_back(table);
    } else {
      facts->other_relation = true;
    }
  } else if (type == "table_function") {
    auto fn = node.find("function");
    std::string name;
    if (fn != node.end() && fn->is_object()) {
      auto it = fn->find("function_name");
      name = it != fn->end() && it->is_string() ? Lower(it->get<std::string>()) : "";
    }
    if (name != "generate_series" && name != "range" && name != "unnest" &&
        name != "generate_subscripts") {
      facts->other_relation = true;
    }
  } else if (cls == "function") {
    if (IsCatalogFunction(str("function_name"))) {
      facts->catalog_reference = true;
    }
  } else if (cls == "column_ref") {
    // current_user, session_user, user and current_catalog parse as bare column names.
    auto names = node.find("column_names");
    if (names != node.end() && names->is_array() && names->size() == 1 && (*names)[0].is_string()) {
      std::string name = Lower((*names)[0].get<std::string>());
      if (name == "current_user" || name == "session_user" || name == "user" ||
          name == "current_role" || name == "current_catalog" || name == "current_schema") {
        facts->catalog_reference = true;
      }
    }
  }
  auto cte = node.find("cte_map");
  if (cte != node.end() && cte->is_object()) {
    auto map = cte->find("map");
    if (map != cte->end() && map->is_array()) {
      for (const auto& entry : *map) {
        auto key = entry.find("key");
        if (key != entry.end() && key->is_string()) {
          facts->ctes.insert(Lower(key->get<std::string>()));
        }
      }
    }
  }
  for (const auto& [key, child] : node.items()) {
    (void)key;
    if (child.is_structured()) {
      Walk(child, facts);
    }
  }
}

// Cheap lexical test before DuckDB parses anything: a statement without any catalog-looking word
// is not a catalog query (keeps the lake's own queries fast).
bool MentionsCatalog(const std::vector<SqlToken>& tokens) {
  for (const SqlToken& t : tokens) {
    if (!t.IsIdentifier()) {
      continue;
    }
    std::string w = Lower(t.text);
    if (w == "pg_catalog" || w == "information_schema" || IsCatalogFunction(w) ||
        PgCatalogTables().count(w) > 0 || RegCasts().count(w) > 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool CatalogShim::IsCatalogQuery(std::string_view sql) {
  auto tokens = engine::TokenizeSql(sql);
  if (!tokens.ok() || tokens->empty()) {
    return false;
  }
  // One statement only.
  for (size_t i = 0; i < tokens->size(); ++i) {
    if ((*tokens)[i].IsSymbol(";") && i + 1 != tokens->size()) {
      return false;
    }
  }
  if (IsShow(*tokens)) {
    std::string name = ShowName(*tokens);
    if (name == "all") {
      return true;
    }
    auto stmt = impl_->conn->Prepare("SELECT count(*) FROM " + std::string(kPgSchema) +
                                     ".pg_settings WHERE lower(name) = $1");
    if (!stmt.ok() || !(*stmt)->BindString(1, name).ok()) {
      return false;
    }
    auto result = (*stmt)->Execute(false);
    if (!result.ok()) {
      return false;
    }
    auto rows = (*result)->FetchAll();
    return rows.ok() && !rows->empty() && !(*rows)[0].empty() && (*rows)[0][0].ToText() != "0";
  }
  if (!(*tokens)[0].IsKeyword("SELECT") && !(*tokens)[0].IsKeyword("WITH") &&
      !(*tokens)[0].IsSymbol("(")) {
    return false;
  }
  if (!MentionsCatalog(*tokens)) {
    return false;
  }
  auto rewritten = RewriteCatalogQuery(sql);
  if (!rewritten.ok()) {
    return false;
  }
  auto stmt = impl_->conn->Prepare("SELECT json_serialize_sql($1::VARCHAR)");
  if (!stmt.ok() || !(*stmt)->BindString(1, *rewritten).ok()) {
    return false;
  }
  auto result = (*stmt)->Execute(false);
  if (!result.ok()) {
    return false;
  }
  auto rows = (*result)->FetchAll();
  if (!rows.ok() || rows->size() != 1 || (*rows)[0].empty()) {
    return false;
  }
  nlohmann::json tree = nlohmann::json::parse((*rows)[0][0].ToText(), nullptr, false);
  if (tree.is_discarded() || !tree.is_object() || tree.value("error", false)) {
    return false;
  }
  auto statements = tree.find("statements");
  if (statements == tree.end() || !statements->is_array() || statements->size() != 1) {
    return false;
  }
  TreeFacts facts;
  Walk(*statements, &facts);
  for (const std::string& table : facts.unqualified_tables) {
    if (PgCatalogTables().count(table) > 0) {
      facts.catalog_reference = true;
    } else if (facts.ctes.count(table) == 0) {
      facts.other_relation = true;
    }
  }
  return facts.catalog_reference && !facts.other_relation;
}

}  // namespace medlake::server::pgcatalog
