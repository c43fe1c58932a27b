#include "pipeline/national_ids.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/testing/status_matchers.h"
#include "engine/database.h"
#include "engine/sql_lexer.h"

namespace medlake::pipeline {
namespace {

// Check letters computed by hand from the rule: 12345678 % 23 = 14 -> 'Z'; NIE X1234567 ->
// 01234567 % 23 = 19 -> 'L'; Y0000000 -> 10000000 % 23 = 14 -> 'Z'; Z9999999 -> 29999999 % 23
// = 18 -> 'H'.
TEST(NationalIdsTest, DniAndNieCheckLetters) {
  EXPECT_TRUE(IsValidDniOrNie("12345678Z"));
  EXPECT_TRUE(IsValidDniOrNie("00000000T"));
  EXPECT_TRUE(IsValidDniOrNie("X1234567L"));
  EXPECT_TRUE(IsValidDniOrNie("Y0000000Z"));
  EXPECT_TRUE(IsValidDniOrNie("Z9999999H"));
  EXPECT_FALSE(IsValidDniOrNie("X1234567M"));  // wrong letter for the NIE
  EXPECT_FALSE(IsValidDniOrNie("12345678A"));  // wrong letter
  EXPECT_FALSE(IsValidDniOrNie("1234567Z"));   // too short
  EXPECT_FALSE(IsValidDniOrNie("A1234567L"));  // not a NIE prefix
  EXPECT_FALSE(IsValidDniOrNie("12345678z"));  // not normalized
  EXPECT_FALSE(IsValidDniOrNie(""));
}

TEST(NationalIdsTest, NussControlDigits) {
  // 2812345678 % 97 = 2812345678 - 97 * 28993254 = 40.
  EXPECT_TRUE(IsValidNuss("281234567840"));
  EXPECT_FALSE(IsValidNuss("281234567841"));
  EXPECT_FALSE(IsValidNuss("001234567840"));   // province 00
  EXPECT_FALSE(IsValidNuss("28123456784"));    // 11 digits
  EXPECT_FALSE(IsValidNuss("2812345678AB"));
  // Old rule for numbers below 10^7: (28 * 10^7 + 1234567) % 97 = 281234567 % 97 = 42 (the
  // current rule would want 2801234567 % 97 = 85).
  EXPECT_TRUE(IsValidNuss("280123456742"));
  EXPECT_TRUE(IsValidNuss("280123456785"));
  EXPECT_FALSE(IsValidNuss("280123456780"));
}

TEST(NationalIdsTest, CipLuhnDigit) {
  // Luhn over 123456789 + check digit 7: 1234567897 passes.
  EXPECT_TRUE(IsValidCip("GAMA1234567897"));
  EXPECT_FALSE(IsValidCip("GAMA1234567898"));
  EXPECT_FALSE(IsValidCip("GAM11234567897"));
  EXPECT_FALSE(IsValidCip("GAMA123456789"));
}

TEST(NationalIdsTest, NormalizeDropsSeparators) {
  EXPECT_EQ(NormalizeIdentifier(" 12.345.678-z "), "12345678Z");
  EXPECT_EQ(NormalizeIdentifier("x-1234567-l"), "X1234567L");
  EXPECT_EQ(NormalizeIdentifier(""), "");
}

// The SQL macros the index runs in DuckDB give the same answers as the C++ functions.
TEST(NationalIdsTest, SqlMacrosAgreeWithCpp) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto db, engine::Database::Open());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto conn, db->Connect());
  MEDLAKE_ASSERT_OK(conn->Execute(NationalIdMacrosSql()));
  const std::vector<std::string> samples = {
      "12345678Z", "12345678A", "00000000T", "X1234567L", "X1234567M", "Y0000000Z", "Z9999999H", "1234567Z",
      "281234567840", "281234567841", "001234567840", "280123456742", "280123456785", "280123456780", "2812345678AB", "GAMA1234567897",
      "GAMA1234567898", "GAM11234567897", "", "ABC"};
  for (const auto& v : samples) {
    std::string q = engine::QuoteString(v);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(
        auto rows, conn->QueryAll("SELECT pidx_dni_ok(" + q + "), pidx_nuss_ok(" + q + "), pidx_cip_ok(" + q + ")"));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0].b, IsValidDniOrNie(v)) << "DNI/NIE sample " << v;
    EXPECT_EQ(rows[0][1].b, IsValidNuss(v)) << "NUSS sample " << v;
    EXPECT_EQ(rows[0][2].b, IsValidCip(v)) << "CIP sample " << v;
  }
  // CIPs over many digit strings (about one in ten passes): every position of the Luhn sum.
  uint64_t x = 88172645463325252ull;
  std::string values;
  std::vector<std::string> cips;
  for (int i = 0; i < 500; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::string digits = std::to_string(x % 10'000'000'000ull);
    cips.push_back("ABCD" + std::string(10 - digits.size(), '0') + digits);
    values += std::string(i ? ", " : "") + "(" + std::to_string(i) + ", " + engine::QuoteString(cips.back()) + ")";
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto cip_rows, conn->QueryAll("SELECT i, pidx_cip_ok(v) FROM (VALUES " + values +
                                                             ") t(i, v) ORDER BY i"));
  ASSERT_EQ(cip_rows.size(), cips.size());
  int valid = 0;
  for (size_t i = 0; i < cips.size(); ++i) {
    EXPECT_EQ(cip_rows[i][1].b, IsValidCip(cips[i])) << "CIP sample " << cips[i];
    valid += IsValidCip(cips[i]) ? 1 : 0;
  }
  EXPECT_GT(valid, 20);
  EXPECT_LT(valid, 100);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto nulls,
                               conn->QueryAll("SELECT pidx_dni_ok(NULL), pidx_nuss_ok(NULL), pidx_cip_ok(NULL)"));
  EXPECT_FALSE(nulls[0][0].b);
  EXPECT_FALSE(nulls[0][1].b);
  EXPECT_FALSE(nulls[0][2].b);
}

}  // namespace
}  // namespace medlake::pipeline
