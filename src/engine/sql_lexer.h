// engine/sql_lexer.h: a small SQL tokenizer for recognising medlake's own statements (lake DDL
// and DML) before DuckDB sees them.
//
// DuckDB's parser is the authority for everything it can serialize (SELECT trees, via
// json_serialize_sql); it cannot serialize DDL or DML, so medlake finds the statement kind, the
// target table and the clause boundaries (column list, PARTITIONED BY, AS query, WHERE, SET) with
// this lexer and hands each clause's text back to DuckDB. The lexer knows DuckDB's lexical rules
// for what matters here: quoted identifiers ("a""b"), strings ('it''s', E'\n'), dollar-quoted
// strings ($$...$$, $tag$...$tag$), line and block comments (nested), numbers, operators.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace medlake::engine {

struct SqlToken {
  enum class Kind { kWord, kQuotedIdentifier, kString, kNumber, kSymbol, kParameter };
  Kind kind;
  std::string text;   // identifier/word value (unquoted), string content, or the symbol itself
  size_t begin = 0;   // byte offset of the token in the statement
  size_t end = 0;     // one past the last byte
  // For words: the text in upper case (keywords compare against this).
  std::string upper;

  bool IsKeyword(std::string_view kw) const { return kind == Kind::kWord && upper == kw; }
  bool IsSymbol(std::string_view s) const { return kind == Kind::kSymbol && text == s; }
  bool IsIdentifier() const { return kind == Kind::kWord || kind == Kind::kQuotedIdentifier; }
};

// The number n of a parameter token `$n`; nullopt for any other token (`?`, `$name`). Digits
// past the sixth are not read (a number above 100000 names no parameter anyway).
std::optional<size_t> ParameterNumber(const SqlToken& token);

// The value of a number token written as plain decimal digits (no sign, point or exponent),
// at most 18 of them so that it fits an int64; nullopt for any other token.
std::optional<int64_t> PlainIntegerToken(const SqlToken& token);

// Splits `sql` into tokens, skipping white space and comments. InvalidArgument for an
// unterminated string, quoted identifier or comment.
Result<std::vector<SqlToken>> TokenizeSql(std::string_view sql);

// `sql` with each parameter token $n replaced by literals[n-1] (SQL text, e.g. 'x' or NULL);
// parameters inside strings, quoted identifiers and comments are left alone. InvalidArgument
// for a $n without a literal, a `?` parameter, or a "literal" that is not one: NULL, TRUE,
// FALSE, a number, a string, CAST(<string> AS <type words>) or from_hex(<string>) only, so a
// value can never carry SQL.
Result<std::string> SubstituteParameterTokens(std::string_view sql, const std::vector<std::string>& literals);
// As SubstituteParameterTokens, but `replacements` are SQL text the caller built and vouches
// for (e.g. `CAST($1 AS INTEGER)`), not checked to be literals.
Result<std::string> ReplaceParameterTokens(std::string_view sql, const std::vector<std::string>& replacements);

// Quotes an identifier for DuckDB ("name", with embedded quotes doubled).
std::string QuoteIdentifier(std::string_view name);
// Quotes a string literal for DuckDB ('text', with embedded quotes doubled).
std::string QuoteString(std::string_view text);
// The text of the SQL string literal at the start of `v` ('it''s' gives it's), with *end set
// to the position just after its closing quote; nullopt when `v` does not start with a whole one.
std::optional<std::string> ReadStringLiteral(std::string_view v, size_t* end);
// A parameter value's SQL literal as SubstituteParameterTokens accepts it, read back: NULL, a
// string ('it''s'), an integer (digits, optional leading '-'; `text` as written) or
// CAST('text' AS type words) (`type` in lower case). Spaces around the literal and inside the
// CAST are ignored. nullopt for any other form (TRUE, decimals, from_hex(...), expressions).
struct SimpleLiteral {
  enum class Kind { kNull, kString, kInteger, kCast } kind = Kind::kNull;
  std::string text;
  std::string type;  // kCast
};
std::optional<SimpleLiteral> ReadSimpleLiteral(std::string_view literal);
// `text` with ASCII letters in lower case (SQL keywords and unquoted names compare so).
std::string AsciiLower(std::string_view text);

}  // namespace medlake::engine
