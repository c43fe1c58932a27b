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
