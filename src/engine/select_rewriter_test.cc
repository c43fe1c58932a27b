#include "engine/select_rewriter.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/testing/status_matchers.h"

namespace medlake::engine {
namespace {

// Resolves raw.patient and raw.visit to constant relations; records the AT clauses it saw.
class FakeResolver : public TableResolver {
 public:
  Result<std::optional<ResolvedTable>> Resolve(const std::string& ns, const std::string& name,
                                             const std::optional<AtClause>& at,
                                             const std::vector<ColumnPredicate>& predicates) override {
    std::string p;
    for (const auto& pred : predicates) {
      p += pred.column + ":" + std::to_string(static_cast<int>(pred.op));
      for (const auto& v : pred.values) p += "=" + v.text;
      p += ";";
    }
    seen_predicates.push_back(ns + "." + name + "[" + p + "]");
    calls.push_back(ns + "." + name + (at ? " " + at->unit + "=" + at->value.ToText() : ""));
    if (ns != "raw") return std::optional<ResolvedTable>();
    if (name == "patient") {
      ResolvedTable out("SELECT * FROM (VALUES (1, 'H01'), (2, 'H02'), (3, 'H01')) v(id, hospital)");
      // Claims (without doing it) to enforce the predicates named in `exact`, as "column:op".
      for (size_t i = 0; i < predicates.size(); ++i) {
        if (exact.count(predicates[i].column + ":" + std::to_string(static_cast<int>(predicates[i].op)))) {
          out.exact_predicates.push_back(i);
        }
      }
      return std::optional<ResolvedTable>(std::move(out));
    }
    if (name == "visit") {
      return std::optional<ResolvedTable>("SELECT * FROM (VALUES (1, 10), (1, 11), (3, 30)) v(pid, n)");
    }
    return NotFound("lake table raw." + name + " does not exist");
  }
  std::vector<std::string> calls;
  std::vector<std::string> seen_predicates;
  std::set<std::string> exact;
};

class RewriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(db_, Database::Open());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(conn_, db_->Connect());
  }
  std::string RunOne(const std::string& sql) {
    auto rewritten = RewriteQuery(*conn_, sql, resolver_);
    EXPECT_THAT(rewritten, IsOk());
    if (!rewritten.ok()) return "";
    auto rows = conn_->QueryAll(rewritten->sql);
    EXPECT_THAT(rows, IsOk()) << rewritten->sql;
    if (!rows.ok()) return "";
    std::string out;
    for (auto& r : *rows) {
      for (size_t c = 0; c < r.size(); ++c) out += (c ? "," : "") + r[c].ToText();
      out += ";";
    }
    return out;
  }
  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
  FakeResolver resolver_;
};

TEST_F(RewriterTest, ReplacesQualifiedReferencesEverywhere) {
  EXPECT_EQ(RunOne("select count(*) from raw.patient"), "3;");
  EXPECT_EQ(RunOne("select p.id, count(v.n) from raw.patient p left join raw.visit v on v.pid = p.id "
                   "group by p.id order by p.id"),
            "1,2;2,0;3,1;");
  EXPECT_EQ(RunOne("with h as (select hospital from raw.patient) select count(distinct hospital) from h"),
            "2;");
  EXPECT_EQ(RunOne("select id from raw.patient where id in (select pid from raw.visit) "
                   "union select 99 order by 1"),
            "1;3;99;");
  EXPECT_EQ(RunOne("select x.a from raw.patient as x(a, b) where x.b = 'H02'"), "2;");
  EXPECT_EQ(RunOne("select l.n from raw.patient p, lateral (select n from raw.visit v where v.pid = p.id) l "
                   "order by 1"),
            "10;11;30;");
}

TEST_F(RewriterTest, LeavesUnqualifiedAndUnknownSchemasAlone) {
  MEDLAKE_ASSERT_OK(conn_->Execute("create temp table patient as select 42 as id"));
  EXPECT_EQ(RunOne("select id from patient"), "42;");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, RewriteQuery(*conn_, "select 1", resolver_));
  EXPECT_EQ(r.tables_replaced, 0);
  EXPECT_EQ(r.sql, "select 1");
}

// Asked for, unaliased result columns get PostgreSQL's names; aliases, columns and stars keep
// theirs, a union takes its first query's names, and without the option DuckDB's names stay.
TEST_F(RewriterTest, NamesResultColumnsAsPostgreSQLWhenAsked) {
  auto names = [&](const std::string& sql, bool postgres) -> std::string {
    auto rewritten = RewriteQuery(*conn_, sql, resolver_, nullptr, postgres);
    EXPECT_THAT(rewritten, IsOk()) << sql;
    if (!rewritten.ok()) return "";
    auto result = conn_->Query(rewritten->sql, /*streaming=*/false);
    EXPECT_THAT(result, IsOk()) << rewritten->sql;
    if (!result.ok()) return "";
    std::string out;
    for (const auto& c : (*result)->columns()) out += c.name + "|";
    return out;
  };
  EXPECT_EQ(names("select count(*), max(id), id::text, cast('7' as integer), 1 + 1, hospital, "
                  "upper(hospital) as up, case when id = 1 then 'a' end, coalesce(hospital, 'x'), "
                  "(select n from raw.visit limit 1), exists (select 1), [1, 2], nullif(id, 2), "
                  "id is null, - id from raw.patient group by id, hospital",
                  true),
            "count|max|id|int4|?column?|hospital|up|case|coalesce|n|exists|array|nullif|?column?|?column?|");
  EXPECT_EQ(names("select * from raw.patient order by id limit 1", true), "id|hospital|");
  EXPECT_EQ(names("select 1 union all select 2 as two", true), "?column?|");
  EXPECT_EQ(names("select count(*) from raw.patient", false), "count_star()|");
  // Without a lake table the statement is still given the names.
  EXPECT_EQ(names("select 1, current_date", true), "?column?|current_date|");
}

TEST_F(RewriterTest, EvaluatesAtClauses) {
  EXPECT_EQ(RunOne("select count(*) from raw.patient at (version => 2 + 1)"), "3;");
  EXPECT_EQ(RunOne("select count(*) from raw.patient at (timestamp => timestamptz '2024-01-01 10:00:00+02')"),
            "3;");
  EXPECT_EQ(resolver_.calls[0], "raw.patient VERSION=3");
  EXPECT_EQ(resolver_.calls[1], "raw.patient TIMESTAMP=2024-01-01 08:00:00");
  EXPECT_THAT(RewriteQuery(*conn_, "select * from raw.patient at (version => 'abc')", resolver_),
              StatusIs(StatusCode::kInvalidArgument, "AT (VERSION"));
}

TEST_F(RewriterTest, PassesPredicatesOfTheScanningBlock) {
  EXPECT_EQ(RunOne("select count(*) from raw.patient p where p.id = 1 and hospital in ('H01', 'H02') "
                   "and 3 > id and id between 0 and 9 and hospital is not null and id + 1 = 2"),
            "1;");
  ASSERT_EQ(resolver_.seen_predicates.size(), 1u);
  // Op numbers: Eq 0, Lt 1, Le 2, Gt 3, Ge 4, In 5, IsNull 6, IsNotNull 7.
  EXPECT_EQ(resolver_.seen_predicates[0],
            "raw.patient[id:0=1;hospital:5=H01=H02;id:1=3;id:4=0;id:2=9;hospital:7;]");
}

TEST_F(RewriterTest, TimestampTextWithAnOffsetPrunesOnlyAsATimestamptz) {
  auto rewritten = RewriteQuery(*conn_,
                                "select * from raw.patient where a = timestamptz '2024-01-01 12:00:00+02' "
                                "and b = timestamp '2024-01-01 12:00:00+02' and c = timestamp '2024-01-01 12:00:00' "
                                "and d = timestamptz '2024-01-01 08:30:00-02:00' "
                                "and e = timestamp '2024-01-01 08:30:00-02:00' "
                                "and f = timestamp '2024-01-01 08:30:00 Europe/Madrid'",
                                resolver_);
  ASSERT_THAT(rewritten, IsOk());
  ASSERT_EQ(resolver_.seen_predicates.size(), 1u);
  EXPECT_EQ(resolver_.seen_predicates[0],
            "raw.patient[a:0=2024-01-01 12:00:00+02;c:0=2024-01-01 12:00:00;d:0=2024-01-01 08:30:00-02:00;]");
}

TEST_F(RewriterTest, NoPredicatesForOuterJoinsOrOtherTables) {
  RunOne("select count(*) from raw.patient p left join raw.visit v on v.pid = p.id where v.n = 10 and p.id = 1");
  ASSERT_EQ(resolver_.seen_predicates.size(), 2u);
  EXPECT_EQ(resolver_.seen_predicates[0], "raw.patient[]");  // left side of a LEFT JOIN: not eligible
  EXPECT_EQ(resolver_.seen_predicates[1], "raw.visit[]");
  resolver_.seen_predicates.clear();
  RunOne("select count(*) from raw.patient p join raw.visit v on v.pid = p.id where v.n = 10 and id = 1");
  ASSERT_EQ(resolver_.seen_predicates.size(), 2u);
  // Unqualified names are offered to every inner-joined table; the resolver keeps them only
  // for a table that has the column.
  EXPECT_EQ(resolver_.seen_predicates[0], "raw.patient[id:0=1;]");
  EXPECT_EQ(resolver_.seen_predicates[1], "raw.visit[n:0=10;id:0=1;]");
}

TEST_F(RewriterTest, DropsOnlyWholeTermsAReferenceEnforces) {
  // Op numbers: Eq 0, Lt 1, Le 2, Gt 3, Ge 4, In 5, IsNull 6, IsNotNull 7.
  resolver_.exact = {"id:0", "id:4", "id:2", "id:5", "hospital:6"};
  auto rewrite = [&](const std::string& sql) {
    auto r = RewriteQuery(*conn_, sql, resolver_);
    EXPECT_THAT(r, IsOk()) << sql;
    return r.ok() ? r->sql : std::string();
  };
  auto has = [](const std::string& sql, const std::string& part) { return sql.find(part) != std::string::npos; };
  // The one table of the block: its enforced terms go, the others stay.
  std::string s = rewrite("select count(*) from raw.patient where id = 1 and hospital = 'H01' and id < 3");
  EXPECT_FALSE(has(s, "(id = 1)")) << s;
  EXPECT_TRUE(has(s, "(hospital = 'H01')")) << s;
  EXPECT_TRUE(has(s, "(id < 3)")) << s;
  // Only when every predicate read from the term is enforced: both bounds of a BETWEEN...
  s = rewrite("select count(*) from raw.patient where id between 1 and 2");
  EXPECT_FALSE(has(s, "BETWEEN")) << s;
  resolver_.exact = {"id:4"};
  s = rewrite("select count(*) from raw.patient where id between 1 and 2");
  EXPECT_TRUE(has(s, "BETWEEN")) << s;
  // ...and a BETWEEN whose upper bound is not a constant is never whole.
  resolver_.exact = {"id:4", "id:2"};
  s = rewrite("select count(*) from raw.patient where id between 1 and length(hospital)");
  EXPECT_TRUE(has(s, "BETWEEN")) << s;
  resolver_.exact = {"id:0", "id:5", "hospital:6"};
  s = rewrite("select count(*) from raw.patient p where p.id in (1, 2) and hospital is null");
  EXPECT_FALSE(has(s, " IN ")) << s;
  EXPECT_FALSE(has(s, "IS NULL")) << s;
  // Terms inside OR, or NOT, are not predicates of the block.
  s = rewrite("select count(*) from raw.patient where id = 1 or id = 2");
  EXPECT_TRUE(has(s, "(id = 1)") && has(s, "(id = 2)")) << s;
  // With several tables in the FROM clause, an unqualified column is DuckDB's to bind: kept;
  // qualified by the reference's alias: dropped.
  s = rewrite("select count(*) from raw.patient p join raw.visit v on v.pid = p.id where id = 1");
  EXPECT_TRUE(has(s, "(id = 1)")) << s;
  s = rewrite("select count(*) from raw.patient p join raw.visit v on v.pid = p.id where p.id = 1");
  EXPECT_FALSE(has(s, "(p.id = 1)")) << s;
  s = rewrite("select count(*) from raw.patient p join raw.visit v on v.pid = p.id where v.pid = 1");
  EXPECT_TRUE(has(s, "(v.pid = 1)")) << s;
  // The term stays where the reference is not the block's table (a subquery's WHERE).
  s = rewrite("select count(*) from (select * from raw.patient) s where id = 1");
  EXPECT_TRUE(has(s, "(id = 1)")) << s;
  // Nothing enforced: nothing dropped.
  resolver_.exact.clear();
  s = rewrite("select count(*) from raw.patient where id = 1");
  EXPECT_TRUE(has(s, "(id = 1)")) << s;
}

TEST_F(RewriterTest, ResolverErrorsAbortAndSyntaxErrorsAreInvalid) {
  EXPECT_THAT(RewriteQuery(*conn_, "select * from raw.nothing", resolver_),
              StatusIs(StatusCode::kNotFound, "raw.nothing"));
  EXPECT_THAT(RewriteQuery(*conn_, "selec 1", resolver_),
              StatusIs(StatusCode::kInvalidArgument, "Parser Error"));
  EXPECT_THAT(RewriteQuery(*conn_, "create table x(a int)", resolver_),
              StatusIs(StatusCode::kFailedPrecondition, ""));
}

}  // namespace
}  // namespace medlake::engine
