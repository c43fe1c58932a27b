// libFuzzer target for the statement text medlake reads itself before DuckDB does: the tokenizer,
// the recogniser of lake DDL/DML, parameter substitution, literal reading and the timestamp
// reader behind pruning bounds. Any user of any front end can send such text, so every outcome
// must be a value. Beyond "no crash, no sanitizer report" it checks what callers rely on:
//   - tokens lie inside the input, in order, without overlapping;
//   - a quoted identifier or string read back from QuoteIdentifier/QuoteString is the original;
//   - SubstituteParameterTokens never accepts a "literal" that carries more than one value;
//   - ParseTimestampMillis is the floor of ParseTimestampMicros.
// Built only with -DMEDLAKE_BUILD_FUZZERS=ON (fuzz preset, clang):
//   build/fuzz/src/engine/medlake_statement_text_fuzz -max_len=4096 corpus/
// Seed it with statements from test/sql/**/*.test.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/lake_resolver.h"
#include "engine/lake_statement.h"
#include "engine/sql_lexer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace me = medlake::engine;

void CheckTokens(std::string_view sql) {
  auto tokens = me::TokenizeSql(sql);
  if (!tokens.ok()) return;
  size_t last_end = 0;
  for (const me::SqlToken& t : *tokens) {
    if (t.begin < last_end || t.end <= t.begin || t.end > sql.size()) __builtin_trap();
    last_end = t.end;
    (void)me::ParameterNumber(t);
    if (auto n = me::PlainIntegerToken(t); n && *n < 0) __builtin_trap();
  }
}

void CheckQuoting(std::string_view text) {
  if (text.empty()) return;  // "" names nothing
  // A quoted identifier is one token whose value is the name (names may hold any byte but NUL
  // in DuckDB; the lexer is byte-oriented either way).
  auto id = me::TokenizeSql(me::QuoteIdentifier(text));
  if (!id.ok() || id->size() != 1 || (*id)[0].kind != me::SqlToken::Kind::kQuotedIdentifier ||
      (*id)[0].text != text) {
    __builtin_trap();
  }
  const std::string quoted = me::QuoteString(text);
  size_t end = 0;
  auto back = me::ReadStringLiteral(quoted, &end);
  if (!back || *back != text || end != quoted.size()) __builtin_trap();
  auto simple = me::ReadSimpleLiteral(quoted);
  if (!simple || simple->kind != me::SimpleLiteral::Kind::kString || simple->text != text) {
    __builtin_trap();
  }
  // A quoted string is a value SubstituteParameterTokens accepts, and it stays one token.
  auto substituted = me::SubstituteParameterTokens("SELECT $1", {quoted});
  if (!substituted.ok()) __builtin_trap();
  auto tokens = me::TokenizeSql(*substituted);
  if (!tokens.ok() || tokens->size() != 2 || (*tokens)[1].kind != me::SqlToken::Kind::kString ||
      (*tokens)[1].text != text) {
    __builtin_trap();
  }
}

void CheckLiteral(std::string_view literal) {
  // Whatever SubstituteParameterTokens accepts as a value stays within the parameter's place:
  // the statement it builds tokenizes, and a literal that is not one of the forms it allows is
  // refused. The accepted text is at most a handful of tokens (CAST('x' AS a b c) is the widest).
  auto out = me::SubstituteParameterTokens("SELECT $1 AS v", {std::string(literal)});
  if (!out.ok()) return;
  auto tokens = me::TokenizeSql(*out);
  if (!tokens.ok() || tokens->size() < 4) __builtin_trap();
  const me::SqlToken& as = (*tokens)[tokens->size() - 2];
  const me::SqlToken& v = tokens->back();
  if (!as.IsKeyword("AS") || !v.IsKeyword("V")) __builtin_trap();
  for (size_t i = 1; i + 2 < tokens->size(); ++i) {
    const me::SqlToken& t = (*tokens)[i];
    if (t.IsSymbol(";") || t.IsKeyword("SELECT") || t.IsKeyword("FROM") || t.IsKeyword("UNION")) {
      __builtin_trap();
    }
  }
  (void)me::ReadSimpleLiteral(literal);
}

void CheckTimestamp(const std::string& text) {
  auto micros = me::ParseTimestampMicros(text);
  auto millis = me::ParseTimestampMillis(text);
  if (micros.ok() != millis.ok()) __builtin_trap();
  if (!micros.ok()) return;
  int64_t floor_ms = *micros / 1000;
  if (*micros % 1000 != 0 && *micros < 0) --floor_ms;
  if (*millis != floor_ms) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckTokens(input);
  auto statement = me::RecognizeLakeStatement(input);
  (void)statement;
  if (size <= 256) {
    CheckQuoting(input);
    CheckLiteral(input);
    CheckTimestamp(std::string(input));
  }
  auto replaced = me::ReplaceParameterTokens(input, {"1", "'x'", "NULL"});
  if (replaced.ok()) CheckTokens(*replaced);
  return 0;
}
