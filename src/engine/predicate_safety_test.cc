#include "engine/predicate_safety.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "engine/database.h"
#include "engine/sql_lexer.h"

namespace medlake::engine::internal {
namespace {

using K = ColumnKind;

class PredicateSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(db_, Database::Open());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(conn_, db_->Connect());
  }

  nlohmann::json Tree(const std::string& sql) {
    auto rows = conn_->QueryAll("SELECT json_serialize_sql(" + QuoteString(sql) + ")");
    EXPECT_THAT(rows, IsOk());
    if (!rows.ok() || rows->empty()) return nullptr;
    auto tree = nlohmann::json::parse((*rows)[0][0].s, nullptr, false);
    EXPECT_FALSE(tree.value("error", false)) << sql << ": " << tree.dump();
    return tree["statements"];
  }

  // clin.events (unaliased, or as e) and clin.person as p, as a lake resolver describes them.
  static StatementColumns Columns() {
    StatementColumns c;
    const std::map<std::string, ColumnKind> events = {{"id", K::kInteger},
                         {"code", K::kString},
                         {"value", K::kFloating},
                         {"amount", K::kDecimal},
                         {"birth", K::kDate},
                         {"seen_at", K::kTimestamp},
                         {"seen_tz", K::kTimestampTz},
                         {"flag", K::kBoolean},
                         {"dni", K::kMasked}};
    c.Add("events", events);
    c.Add("e", events);
    c.Add("p", {{"id", K::kInteger}, {"name", K::kString}});
    return c;
  }

  bool Safe(const std::string& sql, const StatementColumns& columns = Columns(),
            const std::vector<ColumnPredicate::Kind>* params = nullptr) {
    return PredicatesCannotFail(Tree(sql), columns, params);
  }

  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(PredicateSafetyTest, AcceptsComparisonsThatCastOnlyTheLiteral) {
  for (const char* sql : {
           "SELECT count(*), avg(value) FROM clin.events GROUP BY code ORDER BY 1",
           "SELECT hospital, lag(value) OVER (PARTITION BY code ORDER BY id) FROM clin.events",
           "SELECT * FROM clin.events WHERE code = 'E11'",
           "SELECT * FROM clin.events WHERE id = 5 AND value > 5 AND value < 5.5 AND amount >= 3",
           "SELECT * FROM clin.events WHERE id = -5 OR value <= -1e3",
           "SELECT * FROM clin.events WHERE birth >= DATE '1980-01-01' AND seen_at < DATE '2020-01-01'",
           "SELECT * FROM clin.events WHERE seen_at < TIMESTAMP '2020-01-01 10:00:00'",
           "SELECT * FROM clin.events WHERE code LIKE 'E1%' AND code NOT ILIKE '%x' AND code IN ('a', 'b', NULL)",
           "SELECT * FROM clin.events WHERE code IS NULL OR NOT (value BETWEEN 1 AND 5) OR birth IS NOT NULL",
           "SELECT * FROM clin.events WHERE code = '1234' AND birth = '2000-01-01' AND id IN ('1', '2')",
           "SELECT * FROM clin.events WHERE flag AND code IS DISTINCT FROM 'x' AND 1 = 1",
           "SELECT * FROM clin.events AS e JOIN clin.person AS p ON e.id = p.id WHERE p.name = 'x'",
           "SELECT * FROM (SELECT id, code AS code, e.value FROM clin.events e) WHERE code = 'x' AND value > 1",
           "SELECT code, count(*) FROM clin.events GROUP BY code HAVING code <> 'x'",
       }) {
    EXPECT_TRUE(Safe(sql)) << sql;
  }
}

TEST_F(PredicateSafetyTest, RefusesWhatCouldFailOnAHiddenRow) {
  for (const char* sql : {
           "SELECT * FROM clin.events WHERE code = 5",                      // text column cast per row
           "SELECT * FROM clin.events WHERE code IN (1, 2)",                 // same, in a list
           "SELECT * FROM clin.events WHERE code BETWEEN 1 AND 2",
           "SELECT * FROM clin.events WHERE dni > 5",                        // masked: computed first
           "SELECT * FROM clin.events WHERE dni = '1234'",
           "SELECT * FROM clin.events WHERE dni IS NULL",
           "SELECT * FROM clin.events AS e WHERE e.dni LIKE '1%'",
           "SELECT * FROM clin.events WHERE birth = TIMESTAMP '2020-01-01 00:00:00'",  // date cast per row
           "SELECT * FROM clin.events WHERE seen_tz > TIMESTAMP '2020-01-01 00:00:00'",
           "SELECT * FROM clin.events WHERE id = 1.5",                       // integer column to decimal
           "SELECT * FROM clin.events WHERE amount = 1.5",
           "SELECT * FROM clin.events WHERE CAST(code AS INTEGER) = 5",
           "SELECT * FROM clin.events WHERE id + 1 > 5",                     // overflow
           "SELECT * FROM clin.events WHERE error('x') IS NULL",
           "SELECT * FROM clin.events WHERE upper(code) = 'X'",
           "SELECT * FROM clin.events WHERE id IN (SELECT 1)",
           "SELECT * FROM clin.events WHERE unknown_column = 'x'",
           "SELECT * FROM clin.events WHERE code",                           // text as a boolean
           "SELECT * FROM clin.events WHERE code = value",                   // one table, two columns
           "SELECT * FROM clin.events WHERE id = $1",                        // parameter of unknown kind
           // Names that stand for an expression, not the column.
           "SELECT * FROM (SELECT CAST(code AS INTEGER) AS v FROM clin.events) WHERE v = 5",
           "SELECT * FROM (SELECT code AS value FROM clin.events) WHERE value > 5",
           "SELECT CAST(code AS INTEGER) AS id FROM clin.events WHERE id = 5",
           "SELECT * FROM (SELECT * REPLACE (CAST(code AS INTEGER) AS code) FROM clin.events) WHERE code = '5'",
           "WITH c(value) AS (SELECT code FROM clin.events) SELECT * FROM c WHERE value > 5",
           "SELECT * FROM clin.events AS x(code, id) WHERE id > 5",
           "SELECT * FROM (SELECT CAST(code AS INTEGER) FROM clin.events) WHERE \"CAST(code AS INTEGER)\" = 5",
           "SELECT code, count(*) FROM clin.events GROUP BY code HAVING count(*) > 1",
           "SELECT count(*) FILTER (WHERE CAST(code AS INTEGER) = 1) FROM clin.events",
           "SELECT * FROM clin.events JOIN clin.person ON CAST(events.code AS INTEGER) = person.id",
           "SELECT * FROM clin.events e JOIN clin.events e2 ON e.id = e.value",
           "SELECT * FROM (SELECT * FROM clin.other) AS q WHERE q.id > 5",    // q is not a lake alias
       }) {
    EXPECT_FALSE(Safe(sql)) << sql;
  }
}

TEST_F(PredicateSafetyTest, ParametersCountOnlyWithTheirKind) {
  using P = ColumnPredicate::Kind;
  std::vector<P> text{P::kString}, integer{P::kInteger}, unknown{P::kParameter};
  EXPECT_TRUE(Safe("SELECT * FROM clin.events WHERE code = $1", Columns(), &text));
  EXPECT_TRUE(Safe("SELECT * FROM clin.events WHERE id = $1", Columns(), &integer));
  EXPECT_FALSE(Safe("SELECT * FROM clin.events WHERE code = $1", Columns(), &integer));
  EXPECT_FALSE(Safe("SELECT * FROM clin.events WHERE code = $1", Columns(), &unknown));
  EXPECT_FALSE(Safe("SELECT * FROM clin.events WHERE code = $2", Columns(), &text));
}

TEST_F(PredicateSafetyTest, UnknownTablesAndAmbiguousAliasesKeepTheGuard) {
  StatementColumns unknown = Columns();
  unknown.Add("v", {});  // a reference the resolver could not describe
  EXPECT_FALSE(Safe("SELECT * FROM clin.events WHERE code = 'x'", unknown));
  // The same alias bound twice (different scopes) cannot be told apart.
  EXPECT_TRUE(Safe("SELECT * FROM clin.events AS e WHERE e.id = 5"));
  EXPECT_FALSE(Safe("SELECT * FROM clin.events AS e WHERE EXISTS (SELECT 1 FROM main.other AS e WHERE e.id = 5)"));
  EXPECT_FALSE(Safe("SELECT * FROM clin.events PIVOT (count(*) FOR code IN ('a')) WHERE id > 5"));
}

// The proof behind the allow list: whenever the check accepts `column <op> literal`, evaluating
// it gives the same outcome (an answer, or an error about the literal) on a table of one ordinary
// value and on a table of extreme values. A cast of the column per row fails on some values only.
// (An error about the literal alone, such as `i = 'abc'`, needs a row to be evaluated on; it says
// that the table has rows, which the guard does not hide either.)
TEST_F(PredicateSafetyTest, AcceptedComparisonsNeverFailOnlyBecauseOfTheRows) {
  struct Col {
    const char* name;
    const char* type;
    K kind;
    const char* ordinary;  // one ordinary value, as SQL
    const char* values;    // extreme values, as SQL
  };
  const Col cols[] = {
      {"s", "VARCHAR", K::kString, "'1'", "'', 'x', '99999999999999999999', 'ñ', '2020-13-45', 'true'"},
      {"i", "INTEGER", K::kInteger, "1", "-2147483648, 2147483647, 0"},
      {"l", "BIGINT", K::kInteger, "1", "-9223372036854775808, 9223372036854775807"},
      {"f", "FLOAT", K::kFloating, "1", "'nan'::FLOAT, 'inf'::FLOAT, '-inf'::FLOAT, 3.4e38"},
      {"d", "DOUBLE", K::kFloating, "1", "'nan'::DOUBLE, 'inf'::DOUBLE, 1.7e308, -1.7e308"},
      {"m", "DECIMAL(38,0)", K::kDecimal, "1", "99999999999999999999999999999999999999, -99999999999999999999999999999999999999"},
      {"n", "DECIMAL(38,10)", K::kDecimal, "1", "9999999999999999999999999999.9999999999"},
      {"dt", "DATE", K::kDate, "'2000-01-01'", "'infinity'::DATE, '-infinity'::DATE, '5877642-06-25'::DATE, '4714-11-24 (BC)'::DATE"},
      {"ts", "TIMESTAMP", K::kTimestamp, "'2000-01-01 10:00:00'", "'infinity'::TIMESTAMP, '294247-01-10 04:00:54'::TIMESTAMP, '290309-12-22 (BC) 00:00:00'::TIMESTAMP"},
      {"tz", "TIMESTAMPTZ", K::kTimestampTz, "'2000-01-01 10:00:00+00'", "'infinity'::TIMESTAMPTZ, '294247-01-09 00:00:00+00'::TIMESTAMPTZ"},
      {"b", "BOOLEAN", K::kBoolean, "true", "true, false"},
  };
  const char* literals[] = {"'abc'", "'2020-01-01'", "'1'", "NULL", "5", "-5", "99999999999999999999999", "1.5",
                            "1e300", "DATE '2020-01-01'", "TIMESTAMP '2020-01-01 10:00:00'",
                            "TIMESTAMPTZ '2020-01-01 10:00:00'", "true"};
  const char* shapes[] = {"{c} = {l}", "{c} < {l}", "{c} IN ({l}, {l})", "{c} BETWEEN {l} AND {l}", "{c} LIKE {l}"};
  int accepted = 0, refused_and_data_dependent = 0;
  for (const auto& c : cols) {
    ASSERT_THAT(conn_->Execute(std::string("CREATE OR REPLACE TABLE full_t AS SELECT UNNEST([") + c.values +
                               "]::" + c.type + "[]) AS " + c.name + "; CREATE OR REPLACE TABLE plain_t AS " +
                               "SELECT CAST(" + c.ordinary + " AS " + c.type + ") AS " + c.name),
                IsOk())
        << c.name;
    StatementColumns columns;
    columns.Add("t", {{c.name, c.kind}});
    for (const char* l : literals) {
      for (const char* shape : shapes) {
        std::string predicate = shape;
        for (size_t at; (at = predicate.find("{c}")) != std::string::npos;) predicate.replace(at, 3, c.name);
        for (size_t at; (at = predicate.find("{l}")) != std::string::npos;) predicate.replace(at, 3, l);
        const bool safe = PredicatesCannotFail(Tree("SELECT count(*) FROM t WHERE " + predicate), columns, nullptr);
        const bool fails_plain = !conn_->QueryAll("SELECT count(*) FROM plain_t WHERE " + predicate).ok();
        const bool fails_full = !conn_->QueryAll("SELECT count(*) FROM full_t WHERE " + predicate).ok();
        if (safe) {
          ++accepted;
          EXPECT_EQ(fails_plain, fails_full) << c.type << ": " << predicate;
        } else if (fails_plain != fails_full) {
          ++refused_and_data_dependent;
        }
      }
    }
  }
  // The check accepts many forms, and refuses forms that really do fail only on some rows (so
  // the comparison above would notice an allow-list mistake).
  EXPECT_GT(accepted, 150);
  EXPECT_GT(refused_and_data_dependent, 5);
}

}  // namespace
}  // namespace medlake::engine::internal
