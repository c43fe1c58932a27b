#include "engine/mask_functions.h"

#include <gtest/gtest.h>

#include <string>

#include "core/testing/status_matchers.h"
#include "engine/database.h"

namespace medlake::engine {
namespace {

class MaskFunctionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(db_, Database::Open());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(conn_, db_->Connect());
    MEDLAKE_ASSERT_OK(RegisterMaskFunctions(*conn_));
  }
  std::string One(const std::string& sql) {
    auto rows = conn_->QueryAll(sql);
    EXPECT_THAT(rows, IsOk()) << sql;
    if (!rows.ok() || rows->size() != 1 || (*rows)[0].empty()) return "<no row>";
    return (*rows)[0][0].ToText();
  }
  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
};

// The native PARTIAL mask equals the SQL expression it replaces for every value: ASCII and
// multi-byte text (2-, 3- and 4-byte code points at the cut), shorter, equal and longer than n,
// empty and NULL, for n from 0 to 9 and the 64 the policy syntax allows at most.
TEST_F(MaskFunctionsTest, PartialEqualsTheSqlExpression) {
  MEDLAKE_ASSERT_OK(conn_->Execute(
      "CREATE TEMP TABLE v AS SELECT * FROM (VALUES (NULL), (''), ('a'), ('ab'), ('abc'), ('12345678Z'), "
      "('Muñoz'), ('ñ'), ('ññññ'), ('añb'), ('日本語テキスト'), ('x😀y😀z'), ('😀😀😀😀😀'), "
      "('  spaced  '), (repeat('long value ', 12))) t(s) "
      "UNION ALL SELECT 'row' || range || CASE WHEN range % 3 = 0 THEN 'é' ELSE '' END FROM range(2000)"));
  EXPECT_EQ(One("SELECT count(*) FROM v"), "2015");
  int checked = 0;
  for (int n : {0, 1, 2, 3, 4, 5, 9, 64}) {
    const std::string k = std::to_string(n);
    const std::string sql_mask = "CASE WHEN length(s) > " + k + " THEN '*****' || right(s, " + k +
                                 ") WHEN s IS NULL THEN NULL ELSE '*****' END";
    EXPECT_EQ(One("SELECT count(*) FROM v WHERE medlake_mask_partial(s, " + k + ") IS DISTINCT FROM (" + sql_mask +
                  ")"),
              "0")
        << "n = " << n;
    ++checked;
  }
  EXPECT_EQ(checked, 8);
  EXPECT_EQ(One("SELECT medlake_mask_partial('12345678Z', 3)"), "*****78Z");
  EXPECT_EQ(One("SELECT medlake_mask_partial('Muñoz', 3)"), "*****ñoz");
  EXPECT_EQ(One("SELECT medlake_mask_partial('abc', 3)"), "*****");
  EXPECT_EQ(One("SELECT medlake_mask_partial(NULL, 3) IS NULL"), "true");
  // A negative count shows nothing (never "all but the first characters", as right() would).
  EXPECT_EQ(One("SELECT medlake_mask_partial('12345678Z', -3)"), "*****");
}

// The native YEAR mask equals CAST(date_trunc('year', d) AS DATE) for every day of 3000 years
// from 500 AD, for the first and last representable dates, years BC, and the infinities.
TEST_F(MaskFunctionsTest, YearStartEqualsDateTrunc) {
  MEDLAKE_ASSERT_OK(conn_->Execute(
      "CREATE TEMP TABLE d AS SELECT DATE '0500-01-01' + CAST(range AS INTEGER) AS d FROM range(1100000) "
      "UNION ALL SELECT * FROM (VALUES (NULL::DATE), (DATE 'infinity'), (DATE '-infinity'), "
      "(DATE '5881580-07-10'), (DATE '5881580-01-01'), (DATE '5877642-06-25 (BC)'), (DATE '5877642-12-31 (BC)'), "
      "(DATE '0001-01-01 (BC)'), (DATE '0001-12-31 (BC)'), (DATE '0005-02-29 (BC)'), (DATE '0001-01-01'), "
      "(DATE '1969-12-31'), (DATE '1970-01-01'), (DATE '2000-02-29'), (DATE '2100-12-31'), "
      "(DATE '100000-06-06')) t(d)"));
  EXPECT_EQ(One("SELECT count(*) FROM d"), "1100016");
  // date_trunc fails in the first representable year (its January 1st is not representable):
  // there the function gives the first date instead.
  EXPECT_EQ(One("SELECT count(*) FROM d WHERE (d > DATE '5877642-12-31 (BC)' OR d IS NULL) AND "
                "medlake_year_start(d) IS DISTINCT FROM CAST(date_trunc('year', d) AS DATE)"),
            "0");
  EXPECT_EQ(One("SELECT count(*) FROM d WHERE d > DATE '5877642-12-31 (BC)' OR d IS NULL"), "1100013");
  EXPECT_EQ(One("SELECT string_agg(CAST(medlake_year_start(d) AS VARCHAR), ',') FROM d "
                "WHERE d <= DATE '5877642-12-31 (BC)'"),
            "-infinity,5877642-06-25 (BC),5877642-06-25 (BC)");
  EXPECT_THAT(conn_->QueryAll("SELECT CAST(date_trunc('year', DATE '5877642-12-31 (BC)') AS DATE)"),
              StatusIs(StatusCode::kInvalidArgument, "out of range"));
  EXPECT_EQ(One("SELECT medlake_year_start(DATE '1980-05-17')"), "1980-01-01");
  EXPECT_EQ(One("SELECT medlake_year_start(DATE 'infinity')"), "infinity");
  EXPECT_EQ(One("SELECT medlake_year_start(NULL) IS NULL"), "true");
}

}  // namespace
}  // namespace medlake::engine
