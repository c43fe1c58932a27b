// libFuzzer target for FHIR search values: the text of a request's query string becomes SQL
// conditions here (server/fhir/fhir_query_internal.h). Beyond "no crash, no sanitizer report"
// it checks the property that keeps a request from carrying SQL: a value reaches the condition
// only inside string literals, so every word of the condition outside a literal is one that
// conditions built from plain values ("x", a date, a token) also contain, and the condition has
// no ';'. Values go through CheckSearchValue first, as the API does.
// Built only with -DMEDLAKE_BUILD_FUZZERS=ON (fuzz preset, clang):
//   build/fuzz/src/server/fhir/medlake_fhir_search_fuzz -max_len=1100 corpus/
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "engine/sql_lexer.h"
#include "server/fhir/fhir_query_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fi = medlake::server::fhir::internal;
namespace me = medlake::engine;

// The words (upper case, outside literals) and symbols of `sql`; traps when it does not tokenize.
void Collect(const std::string& sql, std::set<std::string>* words) {
  auto tokens = me::TokenizeSql(sql);
  if (!tokens.ok()) __builtin_trap();
  for (const me::SqlToken& t : *tokens) {
    if (t.kind == me::SqlToken::Kind::kWord) words->insert(t.upper);
    if (t.kind == me::SqlToken::Kind::kQuotedIdentifier || t.kind == me::SqlToken::Kind::kParameter) {
      words->insert("<" + t.text + ">");
    }
    if (t.IsSymbol(";")) words->insert(";");
  }
}

std::string Conditions(std::string_view value) {
  std::string sql;
  for (std::string_view modifier : {"", "exact", "contains"}) {
    auto c = fi::StringCondition("name", modifier, value, "p.family_name");
    if (c.ok()) sql += *c + " AND ";
  }
  auto d = fi::DateParamSql("birthdate", value, "p.birth_date");
  if (d.ok()) sql += *d + " AND ";
  auto parts = fi::SplitOr("code", value);
  if (parts.ok()) {
    for (const std::string& v : *parts) {
      fi::TokenValue t = fi::ParseToken(v);
      if (!fi::IsCleanText(t.system) || !fi::IsCleanText(t.code)) __builtin_trap();
      sql += fi::SqlLiteral(t.system) + " = " + fi::SqlLiteral(t.code) + " AND ";
    }
  }
  return sql + "TRUE";
}

const std::set<std::string>& AllowedWords() {
  static const std::set<std::string>* words = [] {
    auto* w = new std::set<std::string>();
    for (std::string_view v : {"x", "ab cd", "a,b", "2020", "2020-01", "2020-01-02", "ge2020-01-02T10:11:12Z",
                               "lt2020-01-02T10:11:12.5+02:00", "ne2020", "sa2021", "eb2021", "le2020-02-29",
                               "gt2020-01-02T10:11Z", "eq2020-01-02T10:11:12-05:30", "s|c", "|c", "s|", "a\\|b"}) {
      Collect(Conditions(v), w);
    }
    return w;
  }();
  return *words;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  if (!fi::CheckSearchValue("name", value).ok()) return 0;
  std::set<std::string> words;
  Collect(Conditions(value), &words);
  for (const std::string& w : words) {
    if (!AllowedWords().count(w)) __builtin_trap();
  }
  return 0;
}
