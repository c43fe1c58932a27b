#include "engine/iceberg_functions.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "core/crypto.h"
#include "core/testing/status_matchers.h"
#include "engine/database.h"

namespace medlake::engine {
namespace {

std::string Expected(const std::string& key, const std::string& value) {
  return HexEncode(HmacSha256(key, value)).substr(0, 24);
}

// The keyed-hash mask equals the first 24 hex digits of HMAC-SHA-256 for every value: repeated,
// colliding in the per-thread cache (40,000 distinct values for 16,384 slots), longer than the
// cache keeps, empty, NULL, and under two keys used one after the other (the calling thread runs both).
TEST(KeyedHashFunctionTest, EqualsHmacForEveryValueThroughTheCache) {
  // A function is registered per database: one database per key.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto db1, Database::Open());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto db2, Database::Open());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto first, db1->Connect());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto second, db2->Connect());
  MEDLAKE_ASSERT_OK(RegisterKeyedHashFunction(*first, "first key"));
  MEDLAKE_ASSERT_OK(RegisterKeyedHashFunction(*second, "another key"));
  const std::string values =
      "SELECT CASE WHEN range % 1000 = 7 THEN NULL WHEN range % 1000 = 8 THEN '' "
      "WHEN range % 1000 = 9 THEN repeat('long value ', 5) || range ELSE 'card' || (range * 7919 % 40000) END AS v "
      "FROM range(120000)";
  for (int round = 0; round < 2; ++round) {
    const std::vector<std::pair<Connection*, std::string>> keyed = {{first.get(), "first key"},
                                                                   {second.get(), "another key"}};
    for (const auto& [conn, key] : keyed) {
      MEDLAKE_ASSERT_OK_AND_ASSIGN(auto rows, conn->QueryAll("SELECT v, medlake_keyed_hash(v) FROM (" + values + ")"));
      ASSERT_EQ(rows.size(), 120000u);
      size_t nulls = 0;
      for (const auto& r : rows) {
        if (r[0].is_null()) {
          EXPECT_TRUE(r[1].is_null());
          ++nulls;
          continue;
        }
        ASSERT_EQ(r[1].ToText(), Expected(key, r[0].ToText())) << key << ": " << r[0].ToText();
      }
      EXPECT_EQ(nulls, 120u);
    }
  }
}

}  // namespace
}  // namespace medlake::engine
