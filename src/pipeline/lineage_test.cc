#include "pipeline/lineage.h"

#include <gtest/gtest.h>

#include <map>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "pipeline/runner.h"

namespace medlake::pipeline {
namespace {

std::map<std::string, std::vector<std::string>> kTables = {
    {"raw.t", {"a", "b", "c"}},
    {"raw.u", {"id", "name"}},
    {"raw.v", {"q", "r"}},
};

std::map<std::string, std::set<std::string>> Trace(engine::Connection& conn, const std::string& sql) {
  auto lineage = QueryColumnLineage(conn, sql, [](const std::string& t) {
    auto it = kTables.find(t);
    return it == kTables.end() ? std::vector<std::string>{} : it->second;
  });
  EXPECT_THAT(lineage, IsOk()) << sql;
  std::map<std::string, std::set<std::string>> out;
  if (lineage.ok()) {
    for (const auto& c : *lineage) out[c.column] = c.sources;
  }
  return out;
}

class LineageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(db_, engine::Database::Open());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(conn_, db_->Connect());
  }
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> conn_;
};

TEST_F(LineageTest, FollowsExpressionsThroughCtesJoinsAndSubqueries) {
  auto l = Trace(*conn_,
                 "WITH c AS (SELECT a, b + c AS bc FROM raw.t WHERE c > 0) "
                 "SELECT c.a AS x, upper(d.name) AS y, CASE WHEN bc > 1 THEN 'big' END AS z, "
                 "(SELECT max(q) FROM raw.v) AS m, 42 AS k "
                 "FROM c JOIN raw.u AS d ON c.a = d.id");
  EXPECT_EQ(l["x"], (std::set<std::string>{"raw.t.a"}));
  EXPECT_EQ(l["y"], (std::set<std::string>{"raw.u.name"}));
  EXPECT_EQ(l["z"], (std::set<std::string>{"raw.t.b", "raw.t.c"}));  // through the CTE's bc
  EXPECT_EQ(l["m"], (std::set<std::string>{"raw.v.q"}));
  EXPECT_TRUE(l["k"].empty());
  EXPECT_EQ(l.count("id"), 0u);  // join keys are not lineage of an output column
}

TEST_F(LineageTest, StarsUnionsAndAggregates) {
  auto star = Trace(*conn_, "SELECT * EXCLUDE (b) FROM raw.t");
  EXPECT_EQ(star.size(), 2u);
  EXPECT_EQ(star["c"], (std::set<std::string>{"raw.t.c"}));
  auto u = Trace(*conn_, "SELECT a AS k, b AS v FROM raw.t UNION ALL SELECT id, name FROM raw.u");
  EXPECT_EQ(u["k"], (std::set<std::string>{"raw.t.a", "raw.u.id"}));
  EXPECT_EQ(u["v"], (std::set<std::string>{"raw.t.b", "raw.u.name"}));
  auto by_name = Trace(*conn_, "SELECT a AS k FROM raw.t UNION ALL BY NAME SELECT q AS z, r AS k FROM raw.v");
  EXPECT_EQ(by_name["k"], (std::set<std::string>{"raw.t.a", "raw.v.r"}));
  EXPECT_EQ(by_name["z"], (std::set<std::string>{"raw.v.q"}));
  auto agg = Trace(*conn_, "SELECT a, count(*) AS n, sum(b) AS s, row_number() OVER (ORDER BY c) AS rn FROM raw.t GROUP BY a, b, c");
  EXPECT_EQ(agg["s"], (std::set<std::string>{"raw.t.b"}));
  EXPECT_TRUE(agg["n"].empty());
  auto sub = Trace(*conn_, "SELECT s.q2 FROM (SELECT q * 2 AS q2 FROM raw.v) AS s");
  EXPECT_EQ(sub["q2"], (std::set<std::string>{"raw.v.q"}));
  // Unknown tables: names resolve to the table itself.
  auto unknown = Trace(*conn_, "SELECT x, y FROM other.table1");
  EXPECT_EQ(unknown["x"], (std::set<std::string>{"other.table1.x"}));
  EXPECT_THAT(QueryColumnLineage(*conn_, "SELEC nope", [](const std::string&) { return std::vector<std::string>{}; }),
              StatusIs(StatusCode::kInvalidArgument, "parse"));
}

TEST(ModelLineageTest, RunsRecordTableAndColumnEdges) {
  TempDir tmp;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto lake, storage::Lake::Create(tmp.Join("lake")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto session, engine::LakeSession::Open(*lake));
  auto ignore = [](size_t, engine::StatementOutcome&) { return Status::OK(); };
  ASSERT_THAT(session->Run("CREATE SCHEMA raw; CREATE TABLE raw.t (a INTEGER, b VARCHAR); INSERT INTO raw.t VALUES (1, 'x')", ignore), IsOk());
  auto a = ModelFromFile("s/a.sql", "SELECT a * 2 AS doubled, b FROM raw.t", "test");
  auto b = ModelFromFile("s/b.sql", "SELECT doubled + 1 AS plus, upper(b) FROM s.a", "test");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto runs, RunModels(*session, {*a, *b}, {}));
  ASSERT_EQ(runs.size(), 2u);
  std::string edges;
  ASSERT_THAT(session->Run("SELECT string_agg(e, ';' ORDER BY e) FROM (SELECT from_table || '.' || from_column || '>' || "
                           "to_table || '.' || to_column AS e FROM lineage.edges)",
                           [&](size_t, engine::StatementOutcome& o) -> Status {
                             if (o.rows == nullptr) return Status::OK();
                             MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
                             edges = rows[0][0].ToText();
                             return Status::OK();
                           }),
              IsOk());
  // Table edges, then column edges; b's unnamed expression upper(b) is named by the table's column.
  EXPECT_EQ(edges, "raw.t.>s.a.;raw.t.a>s.a.doubled;raw.t.b>s.a.b;s.a.>s.b.;s.a.b>s.b.upper(b);s.a.doubled>s.b.plus");
  // A second run replaces the edges into each table instead of adding more.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto again, RunModels(*session, {*a, *b}, {}));
  std::string count;
  ASSERT_THAT(session->Run("SELECT count(*) FROM lineage.edges", [&](size_t, engine::StatementOutcome& o) -> Status {
                if (o.rows == nullptr) return Status::OK();
                MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
                count = rows[0][0].ToText();
                return Status::OK();
              }),
              IsOk());
  EXPECT_EQ(count, "6");
}

// The columns of one table a query may read anywhere (for change detection of keyed models).
TEST(ColumnsReadFromTest, NamesReadAnywhereOrAllUnderAStar) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto db, engine::Database::Open({}));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto conn, db->Connect());
  const std::vector<std::string> cols = {"care_site_id", "care_site_name", "location_id", "care_site_source_value"};
  auto read = [&](const std::string& sql) {
    auto r = ColumnsReadFrom(*conn, sql, "curated.care_site", cols);
    if (!r.ok()) return r.status().ToString();
    std::string out;
    for (const auto& c : *r) out += (out.empty() ? "" : ",") + c;
    return out;
  };
  // Joined on one column, another in the output: both (not the others).
  EXPECT_EQ(read("WITH m AS (SELECT * FROM curated.events) SELECT m.*, cs.care_site_id FROM m "
                 "LEFT JOIN curated.care_site cs ON cs.Care_Site_Source_Value = m.org"),
            "care_site_id,care_site_source_value");
  // Only in a filter.
  EXPECT_EQ(read("SELECT 1 FROM curated.care_site WHERE location_id > 3"), "location_id");
  // A star over the table (directly, by alias, in a CTE, as COLUMNS): everything.
  const std::string all = "care_site_id,care_site_name,location_id,care_site_source_value";
  EXPECT_EQ(read("SELECT * FROM curated.care_site"), all);
  EXPECT_EQ(read("SELECT c.* FROM curated.care_site c JOIN x.y ON true"), all);
  EXPECT_EQ(read("WITH c AS (SELECT * EXCLUDE (location_id) FROM curated.care_site) SELECT care_site_id FROM c"), all);
  EXPECT_EQ(read("SELECT COLUMNS('care.*') FROM curated.care_site"), all);
  // A star of another relation of the same SELECT does not expand the table.
  EXPECT_EQ(read("SELECT e.*, c.care_site_name FROM curated.events e JOIN curated.care_site c ON c.care_site_id = e.cs"),
            "care_site_id,care_site_name");
  EXPECT_THAT(ColumnsReadFrom(*conn, "SELEC 1", "curated.care_site", cols), StatusIs(StatusCode::kInvalidArgument, "parse"));
}

}  // namespace
}  // namespace medlake::pipeline
