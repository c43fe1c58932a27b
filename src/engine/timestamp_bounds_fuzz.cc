// libFuzzer target, differential: ParseTimestampMicros against DuckDB's own cast. Pruning reads
// the bounds DuckDB writes and the literals of a statement with ParseTimestampMicros; where it
// disagrees with what DuckDB compares, a scan skips files that hold matching rows (a wrong
// answer, as the millisecond bounds of stop 36 gave). Property: whenever ParseTimestampMicros
// accepts a text and DuckDB casts the same text to TIMESTAMPTZ (times in UTC), both give the same
// instant; for text without an offset or zone, DuckDB's TIMESTAMP agrees too.
// Built only with -DMEDLAKE_BUILD_FUZZERS=ON (fuzz preset, clang):
//   build/fuzz/src/engine/medlake_timestamp_bounds_fuzz -max_len=64 corpus/
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/database.h"
#include "engine/lake_resolver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace me = medlake::engine;

struct Duck {
  std::unique_ptr<me::Database> db;
  std::unique_ptr<me::Connection> conn;
  std::unique_ptr<me::PreparedStatement> cast;
};

Duck& Engine() {
  static Duck* duck = [] {
    auto* d = new Duck();
    auto db = me::Database::Open();
    if (!db.ok()) __builtin_trap();
    d->db = std::move(*db);
    auto conn = d->db->Connect();
    if (!conn.ok()) __builtin_trap();
    d->conn = std::move(*conn);
    if (!d->conn->Execute("SET TimeZone = 'UTC'").ok()) __builtin_trap();
    auto cast = d->conn->Prepare(
        "SELECT epoch_us(TRY_CAST($1 AS TIMESTAMPTZ)), epoch_us(TRY_CAST($1 AS TIMESTAMP))");
    if (!cast.ok()) __builtin_trap();
    d->cast = std::move(*cast);
    return d;
  }();
  return *duck;
}

// Offsets and zone names follow the time of day; a date's own '-' come before position 10.
bool MayNameAZone(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' || (c == '-' && i >= 10) || (i >= 10 && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto ours = me::ParseTimestampMicros(text);
  if (!ours.ok()) return 0;
  Duck& duck = Engine();
  if (!duck.cast->BindString(1, text).ok()) __builtin_trap();
  auto result = duck.cast->Execute(/*streaming=*/false);
  if (!result.ok()) return 0;  // text DuckDB cannot even take as VARCHAR (invalid UTF-8)
  auto chunk = (*result)->Next();
  if (!chunk.ok() || *chunk == nullptr || (**chunk).size() != 1) __builtin_trap();
  const me::DataChunk& row = **chunk;
  if (!row.IsNull(0, 0) && row.GetInt64(0, 0) != *ours) __builtin_trap();
  if (!MayNameAZone(text) && !row.IsNull(1, 0) && row.GetInt64(1, 0) != *ours) __builtin_trap();
  return 0;
}
