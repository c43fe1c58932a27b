#include "engine/sql_lexer.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

namespace medlake::engine {
namespace {

bool IsIdentStart(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool IsIdentChar(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<std::vector<SqlToken>> TokenizeSql(std::string_view sql) {
  std::vector<SqlToken> out;
  size_t i = 0;
  const size_t n = sql.size();
  auto at = [&](size_t k) -> unsigned char { return k < n ? static_cast<unsigned char>(sql[k]) : 0; };
  while (i < n) {
    unsigned char c = at(i);
    if (std::isspace(c)) {
      ++i;
      continue;
    }
    if (c == '-' && at(i + 1) == '-') {
      while (i < n && sql[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && at(i + 1) == '*') {
      size_t start = i;
      int depth = 0;
      while (i < n) {
        if (at(i) == '/' && at(i + 1) == '*') {
          ++depth;
          i += 2;
        } else if (at(i) == '*' && at(i + 1) == '/') {
          --depth;
          i += 2;
          if (depth == 0) break;
        } else {
          ++i;
        }
      }
      if (depth != 0) return InvalidArgument("unterminated comment at offset " + std::to_string(start));
      continue;
    }
    SqlToken tok;
    tok.begin = i;
    if (c == '"') {
      ++i;
      std::string v;
      while (true) {
        if (i >= n) return InvalidArgument("unterminated quoted identifier at offset " + std::to_string(tok.begin));
        if (sql[i] == '"') {
          if (at(i + 1) == '"') {
            v += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        v += sql[i++];
      }
      tok.kind = SqlToken::Kind::kQuotedIdentifier;
      tok.text = std::move(v);
    } else if (c == '\'' || ((c == 'E' || c == 'e') && at(i + 1) == '\'')) {
      bool escapes = c != '\'';
      i += escapes ? 2 : 1;
      std::string v;
      while (true) {
        if (i >= n) return InvalidArgument("unterminated string at offset " + std::to_string(tok.begin));
        if (escapes && sql[i] == '\\' && i + 1 < n) {
          v += sql[i + 1];
          i += 2;
          continue;
        }
        if (sql[i] == '\'') {
          if (at(i + 1) == '\'') {
            v += '\'';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        v += sql[i++];
      }
      tok.kind = SqlToken::Kind::kString;
      tok.text = std::move(v);
    } else if (c == '$' && (at(i + 1) == '$' || IsIdentStart(at(i + 1)))) {
      // Dollar-quoted string $tag$...$tag$, or a named parameter $name.
      size_t j = i + 1;
      while (j < n && IsIdentChar(at(j)) && sql[j] != '$') ++j;
      if (j < n && sql[j] == '$') {
        std::string delim(sql.substr(i, j - i + 1));
        size_t close = sql.find(delim, j + 1);
        if (close == std::string_view::npos) {
          return InvalidArgument("unterminated dollar-quoted string at offset " + std::to_string(i));
        }
        tok.kind = SqlToken::Kind::kString;
        tok.text = std::string(sql.substr(j + 1, close - j - 1));
        i = close + delim.size();
      } else {
        tok.kind = SqlToken::Kind::kParameter;
        tok.text = std::string(sql.substr(i, j - i));
        i = j;
      }
    } else if (c == '$' && std::isdigit(at(i + 1))) {
      size_t j = i + 1;
      while (j < n && std::isdigit(at(j))) ++j;
      tok.kind = SqlToken::Kind::kParameter;
      tok.text = std::string(sql.substr(i, j - i));
      i = j;
    } else if (IsIdentStart(c)) {
      size_t j = i;
      while (j < n && IsIdentChar(at(j))) ++j;
      tok.kind = SqlToken::Kind::kWord;
      tok.text = std::string(sql.substr(i, j - i));
      tok.upper = Upper(tok.text);
      i = j;
    } else if (std::isdigit(c) || (c == '.' && std::isdigit(at(i + 1)))) {
      size_t j = i;
      while (j < n && (std::isalnum(at(j)) || at(j) == '.' || at(j) == '_' ||
                       ((at(j) == '+' || at(j) == '-') && (at(j - 1) == 'e' || at(j - 1) == 'E')))) {
        ++j;
      }
      tok.kind = SqlToken::Kind::kNumber;
      tok.text = std::string(sql.substr(i, j - i));
      i = j;
    } else {
      // Multi-character operators that matter for clause detection.
      static const char* kOps[] = {"=>", "::", "<=", ">=", "<>", "!=", "||", "->>", "->"};
      tok.kind = SqlToken::Kind::kSymbol;
      tok.text = std::string(1, static_cast<char>(c));
      for (const char* op : kOps) {
        std::string_view o(op);
        if (sql.substr(i, o.size()) == o) {
          tok.text = std::string(o);
          break;
        }
      }
      i += tok.text.size();
    }
    tok.end = i;
    out.push_back(std::move(tok));
  }
  return out;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::optional<int64_t> PlainIntegerToken(const SqlToken& t) {
  if (t.kind != SqlToken::Kind::kNumber || t.text.empty() || t.text.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char c : t.text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

namespace {

// The two forms that bound values take most often, known without tokenizing: an integer
// (optionally negative) and a plain string literal ('...' with quotes doubled inside).
bool IsPlainIntegerOrString(std::string_view text) {
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
    for (size_t i = 1; i + 1 < text.size(); ++i) {
      if (text[i] != '\'') continue;
      if (text[i + 1] != '\'' || i + 2 == text.size()) return false;  // a quote that ends the string early
      ++i;
    }
    return true;
  }
  const size_t digits = !text.empty() && text.front() == '-' ? 1 : 0;
  if (text.size() == digits || text.size() > digits + 20) return false;
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(digits), text.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

bool IsSqlLiteral(std::string_view text) {
  if (IsPlainIntegerOrString(text)) return true;
  auto tokens = TokenizeSql(text);
  if (!tokens.ok() || tokens->empty()) return false;
  const auto& t = *tokens;
  // Nothing before or after the tokens: a comment there would hide the rest of the statement's line.
  if (t.front().begin != 0 || t.back().end != text.size()) return false;
  if (t.size() == 1) {
    return t[0].kind == SqlToken::Kind::kString || t[0].kind == SqlToken::Kind::kNumber ||
           t[0].IsKeyword("NULL") || t[0].IsKeyword("TRUE") || t[0].IsKeyword("FALSE");
  }
  if (t.size() == 2 && t[0].IsSymbol("-") && t[1].kind == SqlToken::Kind::kNumber) return true;
  if (t.size() == 4 && t[0].IsKeyword("FROM_HEX") && t[1].IsSymbol("(") && t[2].kind == SqlToken::Kind::kString &&
      t[3].IsSymbol(")")) {
    return true;
  }
  // CAST ( 'text' AS word [word ...] [( number [, number] )] )
  if (t.size() < 6 || !t[0].IsKeyword("CAST") || !t[1].IsSymbol("(") || t[2].kind != SqlToken::Kind::kString ||
      !t[3].IsKeyword("AS") || !t.back().IsSymbol(")")) {
    return false;
  }
  for (size_t i = 4; i + 1 < t.size(); ++i) {
    if (!(t[i].kind == SqlToken::Kind::kWord || t[i].kind == SqlToken::Kind::kNumber || t[i].IsSymbol("(") ||
          t[i].IsSymbol(")") || t[i].IsSymbol(","))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::string> SubstituteParameterTokens(std::string_view sql, const std::vector<std::string>& literals) {
  for (size_t i = 0; i < literals.size(); ++i) {
    if (!IsSqlLiteral(literals[i])) return InvalidArgument("value of parameter $" + std::to_string(i + 1) + " is not a SQL literal");
  }
  return ReplaceParameterTokens(sql, literals);
}

std::optional<size_t> ParameterNumber(const SqlToken& t) {
  if (t.kind != SqlToken::Kind::kParameter || t.text.size() < 2 || t.text[0] != '$' ||
      !std::isdigit(static_cast<unsigned char>(t.text[1]))) {
    return std::nullopt;
  }
  size_t n = 0;
  for (size_t i = 1; i < t.text.size() && n <= 100000; ++i) n = n * 10 + static_cast<size_t>(t.text[i] - '0');
  return n;
}

namespace {

// Where a statement's parameters are: `sql` cut at [begin, end) for parameter $number.
struct ParameterSlot {
  size_t begin = 0;
  size_t end = 0;
  size_t number = 0;
};

Result<std::vector<ParameterSlot>> FindParameterSlots(std::string_view sql) {
  MEDLAKE_ASSIGN_OR_RETURN(auto tokens, TokenizeSql(sql));
  std::vector<ParameterSlot> slots;
  for (const SqlToken& t : tokens) {
    if (t.kind != SqlToken::Kind::kParameter) continue;
    auto n = ParameterNumber(t);
    if (!n) return InvalidArgument("only numbered parameters ($1, $2, ...) can be bound, not " + t.text);
    slots.push_back({t.begin, t.end, *n});
  }
  return slots;
}

// A prepared statement runs the same text again and again with new values: its slots are found
// once per thread (a session is one thread) and kept, for texts up to 4 KiB, 256 of them.
const std::vector<ParameterSlot>* KeptParameterSlots(std::string_view sql) {
  constexpr size_t kMaxText = 4096;
  constexpr size_t kMaxKept = 256;
  if (sql.size() > kMaxText) return nullptr;
  // Looked up by the view itself (no copy of the text per bind).
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view v) const { return std::hash<std::string_view>()(v); }
  };
  thread_local std::unordered_map<std::string, std::vector<ParameterSlot>, Hash, std::equal_to<>> kept;
  auto it = kept.find(sql);
  if (it != kept.end()) return &it->second;
  auto slots = FindParameterSlots(sql);
  if (!slots.ok()) return nullptr;  // the caller reports the error
  if (kept.size() >= kMaxKept) kept.clear();
  return &kept.emplace(std::string(sql), std::move(*slots)).first->second;
}

}  // namespace

Result<std::string> ReplaceParameterTokens(std::string_view sql, const std::vector<std::string>& literals) {
  std::vector<ParameterSlot> found;
  const std::vector<ParameterSlot>* slots = KeptParameterSlots(sql);
  if (slots == nullptr) {
    MEDLAKE_ASSIGN_OR_RETURN(found, FindParameterSlots(sql));
    slots = &found;
  }
  std::string out;
  size_t copied = 0;
  for (const ParameterSlot& slot : *slots) {
    if (slot.number == 0 || slot.number > literals.size()) {
      return InvalidArgument("there is no value for parameter " + std::string(sql.substr(slot.begin, slot.end - slot.begin)));
    }
    out.append(sql.substr(copied, slot.begin - copied));
    out.append(literals[slot.number - 1]);
    copied = slot.end;
  }
  out.append(sql.substr(copied));
  return out;
}

std::string QuoteString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::optional<std::string> ReadStringLiteral(std::string_view v, size_t* end) {
  if (v.empty() || v.front() != '\'') return std::nullopt;
  std::string out;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] != '\'') {
      out += v[i];
    } else if (i + 1 < v.size() && v[i + 1] == '\'') {
      out += '\'';
      ++i;
    } else {
      *end = i + 1;
      return out;
    }
  }
  return std::nullopt;
}

std::optional<SimpleLiteral> ReadSimpleLiteral(std::string_view literal) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
    return v;
  };
  std::string_view v = trim(literal);
  SimpleLiteral out;
  if (AsciiLower(v) == "null") return out;
  size_t end = 0;
  if (!v.empty() && v.front() == '\'') {
    auto text = ReadStringLiteral(v, &end);
    if (!text || end != v.size()) return std::nullopt;
    out.kind = SimpleLiteral::Kind::kString;
    out.text = std::move(*text);
    return out;
  }
  if (!v.empty() && (std::isdigit(static_cast<unsigned char>(v.front())) || v.front() == '-')) {
    for (size_t i = 1; i < v.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(v[i]))) return std::nullopt;
    }
    if (v == "-") return std::nullopt;
    out.kind = SimpleLiteral::Kind::kInteger;
    out.text = std::string(v);
    return out;
  }
  if (v.size() > 5 && AsciiLower(v.substr(0, 5)) == "cast(" && v.back() == ')') {
    std::string_view inner = trim(v.substr(5, v.size() - 6));
    auto text = ReadStringLiteral(inner, &end);
    if (!text) return std::nullopt;
    std::string_view rest = trim(inner.substr(end));
    if (rest.size() < 3 || AsciiLower(rest.substr(0, 3)) != "as ") return std::nullopt;
    out.type = AsciiLower(trim(rest.substr(3)));
    if (out.type.empty()) return std::nullopt;
    for (char c : out.type) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '_')) return std::nullopt;
    }
    out.kind = SimpleLiteral::Kind::kCast;
    out.text = std::move(*text);
    return out;
  }
  return std::nullopt;
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace medlake::engine
