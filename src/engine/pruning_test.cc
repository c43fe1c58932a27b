// Scan pruning end to end: tables written through SQL, filters taken from queries, files skipped.
#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/lake_resolver.h"
#include "engine/lake_session.h"

namespace medlake::engine {
namespace {

class PruningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, LakeSession::Open(*lake_));
    // Four inserts = four data files with disjoint id ranges and days; one partition column.
    Run("CREATE SCHEMA r; CREATE TABLE r.obs (id BIGINT, code VARCHAR, day DATE, v DOUBLE, "
        "site VARCHAR) PARTITIONED BY (site)");
    for (int b = 0; b < 4; ++b) {
      Run("INSERT INTO r.obs SELECT " + std::to_string(b * 1000) + " + i, 'c' || (" +
          std::to_string(b) + "), DATE '2024-01-01' + " + std::to_string(b * 10) +
          ", i / 10.0, CASE WHEN " + std::to_string(b) + " = 3 THEN NULL ELSE 'S" +
          std::to_string(b % 2) + "' END FROM range(1000) t(i)");
    }
  }
  void Run(const std::string& sql) {
    ASSERT_THAT(session_->Run(sql, [](size_t, StatementOutcome&) { return Status::OK(); }), IsOk()) << sql;
  }
  std::string One(const std::string& sql) {
    std::string out;
    EXPECT_THAT(session_->Run(sql, [&](size_t, StatementOutcome& o) -> Status {
      if (!o.rows) return Status::OK();
      MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
      out = rows[0][0].ToText();
      return Status::OK();
    }), IsOk()) << sql;
    return out;
  }
  // Data files skipped when the predicates on r.obs are applied: each insert wrote one file in
  // its own manifest, so a skipped manifest is a skipped file. Returns {skipped, total}.
  std::pair<int64_t, int64_t> Skipped(const std::vector<ColumnPredicate>& preds) {
    LocalFileSystem fs;
    LakeTableResolver resolver(session_->catalog(), fs);
    auto r = resolver.Resolve("r", "obs", std::nullopt, preds);
    EXPECT_THAT(r, IsOk());
    const auto& p = resolver.pruning();
    return {p.manifests_skipped + p.files_skipped, p.manifests_total};
  }
  using K = ColumnPredicate::Kind;
  using Op = ColumnPredicate::Op;
  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<LakeSession> session_;
};

TEST_F(PruningTest, SkipsFilesByColumnBounds) {
  EXPECT_EQ(Skipped({{"id", Op::kEq, {{K::kInteger, "1500"}}}}), std::make_pair(int64_t{3}, int64_t{4}));
  EXPECT_EQ(Skipped({{"id", Op::kLt, {{K::kInteger, "1000"}}}}), std::make_pair(int64_t{3}, int64_t{4}));
  EXPECT_EQ(Skipped({{"id", Op::kGe, {{K::kInteger, "2999"}}}}), std::make_pair(int64_t{2}, int64_t{4}));
  EXPECT_EQ(Skipped({{"id", Op::kIn, {{K::kInteger, "5"}, {K::kInteger, "3005"}}}}),
            std::make_pair(int64_t{2}, int64_t{4}));
  EXPECT_EQ(Skipped({{"code", Op::kEq, {{K::kString, "c2"}}}}), std::make_pair(int64_t{3}, int64_t{4}));
  EXPECT_EQ(Skipped({{"day", Op::kGt, {{K::kDate, "2024-01-15"}}}}), std::make_pair(int64_t{2}, int64_t{4}));
  EXPECT_EQ(Skipped({{"v", Op::kGt, {{K::kDecimal, "99.95"}}}}), std::make_pair(int64_t{4}, int64_t{4}));
  // Identity partitions and null counts.
  EXPECT_EQ(Skipped({{"site", Op::kEq, {{K::kString, "S1"}}}}), std::make_pair(int64_t{3}, int64_t{4}));
  EXPECT_EQ(Skipped({{"site", Op::kIsNull, {}}}), std::make_pair(int64_t{3}, int64_t{4}));
  // Mismatched constant kinds never prune (no guessing).
  EXPECT_EQ(Skipped({{"id", Op::kEq, {{K::kString, "1500"}}}}), std::make_pair(int64_t{0}, int64_t{4}));
  EXPECT_EQ(Skipped({}), std::make_pair(int64_t{0}, int64_t{4}));
}

TEST_F(PruningTest, PrunedQueriesGiveTheSameAnswers) {
  EXPECT_EQ(One("SELECT count(*) FROM r.obs WHERE id = 1500"), "1");
  EXPECT_EQ(One("SELECT count(*) FROM r.obs WHERE id BETWEEN 999 AND 1001"), "3");
  EXPECT_EQ(One("SELECT count(*) FROM r.obs WHERE site IS NULL"), "1000");
  EXPECT_EQ(One("SELECT count(*) FROM r.obs WHERE site = 'S1' AND code = 'c1'"), "1000");
  EXPECT_EQ(One("SELECT count(*) FROM r.obs WHERE day >= DATE '2024-01-21'"), "2000");
  EXPECT_EQ(One("SELECT count(*) FROM r.obs WHERE 1500 > id"), "1500");
  EXPECT_EQ(One("SELECT count(*) FROM r.obs WHERE code IN ('c0', 'c3')"), "2000");
  // After a delete, pruning still applies deletes to the files it keeps.
  Run("DELETE FROM r.obs WHERE id = 1500");
  EXPECT_EQ(One("SELECT count(*) FROM r.obs WHERE id BETWEEN 1499 AND 1501"), "2");
}

}  // namespace
}  // namespace medlake::engine
