#include "sqllogictest.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"

namespace medlake::sqltest {
namespace {

class SqlLogicTestRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, engine::LakeSession::Open(*lake_));
  }
  SqlLogicOutcome Run(const std::string& text) {
    auto records = ParseSqlLogicTest(text);
    EXPECT_THAT(records, IsOk());
    if (!records.ok()) return {};
    return RunSqlLogicTest(*records, {tmp_.path(), "/fixtures", "/src"}, "t.test", *session_);
  }
  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<engine::LakeSession> session_;
};

TEST_F(SqlLogicTestRunnerTest, PassingRecords) {
  auto o = Run(
      "# name: t\n\nstatement ok\ncreate temp table t(a int, b varchar)\n\n"
      "statement ok\ninsert into t values (2, 'x'), (1, ''), (3, null)\n\n"
      "query IT rowsort\nselect a, b from t\n----\n1\t(empty)\n2\tx\n3\tNULL\n\n"
      "query IT\nselect a, b from t order by a limit 1\n----\n1\n(empty)\n\n"
      "query R\nselect 1.0/3\n----\n0.3333333333\n\n"
      "statement error\nselect * from nope\n----\nnope\n");
  EXPECT_EQ(o.failed, 0) << (o.failures.empty() ? "" : o.failures[0]);
  EXPECT_EQ(o.passed, 6);
}

TEST_F(SqlLogicTestRunnerTest, FailingRecordsAreReported) {
  auto o = Run(
      "query I\nselect 1\n----\n2\n\n"
      "statement ok\nselect * from nope\n\n"
      "statement error\nselect 1\n----\nanything\n\n"
      "statement error\nselect * from nope\n----\nwrong fragment\n\n"
      "query II\nselect 1\n----\n1\t1\n");
  EXPECT_EQ(o.passed, 0);
  EXPECT_EQ(o.failed, 5);
  ASSERT_EQ(o.failures.size(), 5u);
  EXPECT_NE(o.failures[0].find("t.test:1: row 1 column 1: expected \"2\", got \"1\""),
            std::string::npos)
      << o.failures[0];
}

TEST_F(SqlLogicTestRunnerTest, SkipModeAndHalt) {
  auto o = Run(
      "mode skip\n\nquery I\nselect 1\n----\n2\n\nmode unskip\n\n"
      "query I\nselect 1\n----\n1\n\nhalt\n\nquery I\nselect 1\n----\n3\n");
  EXPECT_EQ(o.passed, 1);
  EXPECT_EQ(o.skipped, 1);
  EXPECT_EQ(o.failed, 0);
}

TEST_F(SqlLogicTestRunnerTest, SubstitutesTestDir) {
  auto o = Run("query I\nselect length('__TEST_DIR__') > 0\n----\ntrue\n");
  EXPECT_EQ(o.passed, 1);
}

TEST(SqlLogicTestParseTest, RejectsMalformedFiles) {
  EXPECT_THAT(ParseSqlLogicTest("query I\nselect 1\n"),
              StatusIs(StatusCode::kInvalidArgument, "line 1: query without ----"));
  EXPECT_THAT(ParseSqlLogicTest("statment ok\nselect 1\n"),
              StatusIs(StatusCode::kInvalidArgument, "unknown record"));
  EXPECT_THAT(ParseSqlLogicTest("query I sideways\nselect 1\n----\n1\n"),
              StatusIs(StatusCode::kInvalidArgument, "sort mode"));
}

}  // namespace
}  // namespace medlake::sqltest
