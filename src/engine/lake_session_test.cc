#include "engine/lake_session.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"

namespace medlake::engine {
namespace {

class LakeSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, LakeSession::Open(*lake_));
  }
  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<LakeSession> session_;
};

// Each statement split from a text splits into itself alone, whether or not it was the last
// one split on this thread (SplitStatements keeps that one), and the kept statement does not
// change how other texts split.
TEST(SplitStatementsTest, AStatementSplitAgainIsItselfAndOtherTextsSplitAsEver) {
  const std::vector<std::string> texts = {
      "SELECT 1; SELECT 2",
      "  SELECT 'a;b' AS x -- c;\n ; /* ; */ SELECT \"q;\" FROM t;",
      "SELECT $1 FROM t WHERE k = 'x'",
      "SELECT 1",
      ";;  ;",
  };
  for (const auto& text : texts) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto pieces, SplitStatements(text));
    for (const auto& piece : pieces) {
      MEDLAKE_ASSERT_OK_AND_ASSIGN(auto again, SplitStatements(piece));
      EXPECT_EQ(again, std::vector<std::string>{piece}) << text;
      MEDLAKE_ASSERT_OK_AND_ASSIGN(auto twice, SplitStatements(piece));
      EXPECT_EQ(twice, std::vector<std::string>{piece}) << text;
    }
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto two, SplitStatements("SELECT 1; SELECT 2"));
  EXPECT_EQ(two, (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto quoted, SplitStatements("  SELECT 'a;b' AS x -- c;\n ; /* ; */ SELECT \"q;\" FROM t;"));
  EXPECT_EQ(quoted, (std::vector<std::string>{"SELECT 'a;b' AS x", "SELECT \"q;\" FROM t"}));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto one, SplitStatements("SELECT 2"));
  EXPECT_EQ(one, std::vector<std::string>{"SELECT 2"});
  // The kept "SELECT 2" is not taken for a text that only contains it.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto padded, SplitStatements("SELECT 2;"));
  EXPECT_EQ(padded, std::vector<std::string>{"SELECT 2"});
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto none, SplitStatements(";;  ;"));
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(SplitStatements("SELECT 'open").ok());
}

TEST_F(LakeSessionTest, RunsStatementsInOrderAndStreamsResults) {
  std::vector<std::string> seen;
  MEDLAKE_ASSERT_OK(session_->Run(
      "create temp table t as select range as i from range(10); "
      "select sum(i) as s from t; select current_setting('TimeZone') as tz",
      [&](size_t index, StatementOutcome& o) -> Status {
        if (o.rows == nullptr) return Status::OK();
        MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
        seen.push_back(std::to_string(index) + ":" + rows[0][0].ToText());
        return Status::OK();
      }));
  EXPECT_EQ(seen, (std::vector<std::string>{"1:45", "2:UTC"}));
}

// DuckDB cannot serialize CREATE TEMP TABLE ... AS or INSERT INTO a temporary table, so their
// queries are rewritten apart and the statement rebuilt: lake tables read inside them resolve,
// in trusted sessions as in users' ones.
TEST_F(LakeSessionTest, TemporaryTablesTakeRowsFromLakeTables) {
  MEDLAKE_ASSERT_OK(session_->Run("CREATE SCHEMA r; CREATE TABLE r.x AS SELECT range AS i FROM range(5)",
                                  [](size_t, StatementOutcome&) { return Status::OK(); }));
  std::vector<std::string> seen;
  MEDLAKE_ASSERT_OK(session_->Run(
      "CREATE TEMP TABLE t AS SELECT i FROM r.x WHERE i < 3; INSERT INTO t SELECT i * 10 FROM r.x WHERE i = 4; "
      "SELECT string_agg(CAST(i AS VARCHAR), ',' ORDER BY i) FROM t; DROP TABLE t",
      [&](size_t index, StatementOutcome& o) -> Status {
        if (o.rows_changed) seen.push_back(std::to_string(index) + ":+" + std::to_string(*o.rows_changed));
        if (o.rows == nullptr) return Status::OK();
        MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
        seen.push_back(std::to_string(index) + ":" + rows[0][0].ToText());
        return Status::OK();
      }));
  EXPECT_EQ(seen, (std::vector<std::string>{"1:+1", "2:0,1,2,40"}));
  EXPECT_FALSE(session_->Run("SELECT * FROM t", [](size_t, StatementOutcome&) { return Status::OK(); }).ok());
}

TEST_F(LakeSessionTest, AnEngineStartedAheadOpensASessionOfItsKindOnly) {
  // Started for a trusted session: one opens from it and runs.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto engine, LakeSession::StartEngine(*lake_, {}, /*untrusted=*/false));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto session, LakeSession::Open(*lake_, {}, std::move(engine)));
  std::string answer;
  MEDLAKE_ASSERT_OK(session->Run("select 6 * 7 as a", [&](size_t, StatementOutcome& o) -> Status {
    if (o.rows == nullptr) return Status::OK();
    MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
    answer = rows.at(0).at(0).ToText();
    return Status::OK();
  }));
  EXPECT_EQ(answer, "42");
  // Started for an untrusted session (mask functions, to be locked): no trusted session from it;
  // and no session from no engine.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto untrusted, LakeSession::StartEngine(*lake_, {}, /*untrusted=*/true));
  EXPECT_THAT(LakeSession::Open(*lake_, {}, std::move(untrusted)),
              StatusIs(StatusCode::kInvalidArgument, "another kind of session"));
  EXPECT_THAT(LakeSession::Open(*lake_, {}, nullptr), StatusIs(StatusCode::kInvalidArgument, "another kind"));
}

TEST_F(LakeSessionTest, StopsAtFirstFailingStatementAndNamesIt) {
  int calls = 0;
  Status st = session_->Run("select 1; select * from missing_table; select 3",
                            [&](size_t, StatementOutcome&) {
                              ++calls;
                              return Status::OK();
                            });
  EXPECT_THAT(st, StatusIs(StatusCode::kNotFound, "statement 2: Catalog Error"));
  EXPECT_EQ(calls, 1);
}

TEST_F(LakeSessionTest, CallbackErrorStopsTheRun) {
  Status st = session_->Run("select 1; select 2", [](size_t, StatementOutcome&) {
    return Aborted("client went away");
  });
  EXPECT_THAT(st, StatusIs(StatusCode::kAborted, "statement 1: client went away"));
}

TEST_F(LakeSessionTest, SyntaxErrorIsInvalidArgument) {
  EXPECT_THAT(session_->Run("select from where", [](size_t, StatementOutcome&) { return Status::OK(); }),
              StatusIs(StatusCode::kInvalidArgument, "Parser Error"));
}

}  // namespace
}  // namespace medlake::engine
