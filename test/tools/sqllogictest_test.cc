#include "sqllogictest.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "security/access_controller.h"

namespace medlake::sqltest {
namespace {

class SqlLogicTestRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, engine::LakeSession::Open(*lake_));
  }
  SqlLogicOutcome Run(const std::string& text, SessionOpener opener = nullptr) {
    auto records = ParseSqlLogicTest(text);
    EXPECT_THAT(records, IsOk());
    if (!records.ok()) return {};
    return RunSqlLogicTest(*records, {tmp_.path(), "/fixtures", "/src", std::move(opener)}, "t.test",
                           *session_);
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

// The lake of a `session` test: an owner who sets up a table with a row filter, a mask and a
// required purpose of use for user "ana" (synthetic values).
constexpr const char* kSecuredLake =
    "session owner\n\n"
    "statement ok\nCREATE SCHEMA clin\n\n"
    "statement ok\nCREATE TABLE clin.p AS SELECT * FROM (VALUES (1, 'H01', '00000001T'), "
    "(2, 'H02', '00000002R')) AS t(id, hospital_id, dni)\n\n"
    "statement ok\nCREATE USER ana ATTRIBUTES (hospitals = ('H01'));\n"
    "GRANT USAGE ON SCHEMA clin TO ana; GRANT SELECT ON TABLE clin.p TO ana;\n"
    "CREATE POLICY scope ON TABLE clin.p ROW FILTER (list_contains(user.hospitals, hospital_id));\n"
    "CREATE POLICY dni ON TABLE clin.p MASK COLUMN dni USING REDACT;\n"
    "CREATE POLICY care ON TABLE clin.p REQUIRE PURPOSE (treatment)\n\n";

TEST_F(SqlLogicTestRunnerTest, SessionRecordsSwitchThePrincipal) {
  MEDLAKE_ASSERT_OK(security::InitializeSecurity(lake_->catalog_path(), "owner"));
  auto o = Run(std::string("statement ok\ncreate temp table mine as select 7 as x\n\n") + kSecuredLake +
                   // The owner's session is untrusted too: DuckDB settings are refused.
                   "statement error\nSET threads = 1\n----\nnot allowed\n\n"
                   "session ana\n\n"
                   "statement error\nSELECT * FROM clin.p\n----\npurpose\n\n"
                   "session ana purpose treatment\n\n"
                   "query IT\nSELECT id, dni FROM clin.p\n----\n1\t****\n\n"
                   "statement error\nSELECT * FROM read_text('/etc/hostname')\n----\nnot allowed\n\n"
                   // Back to the file's first session: trusted, unmasked, its temp table kept.
                   "session trusted\n\n"
                   "query IT\nSELECT id, dni FROM clin.p ORDER BY id\n----\n1\t00000001T\n2\t00000002R\n\n"
                   "query I\nselect x from mine\n----\n7\n",
               MakeSessionOpener(*lake_, "owner"));
  EXPECT_EQ(o.failed, 0) << (o.failures.empty() ? "" : o.failures[0]);
  EXPECT_EQ(o.passed, 10);
}

TEST_F(SqlLogicTestRunnerTest, ASessionThatCannotOpenFailsItsRecords) {
  MEDLAKE_ASSERT_OK(security::InitializeSecurity(lake_->catalog_path(), "owner"));
  auto o = Run(
      "session nobody\n\nquery I\nselect 1\n----\n1\n\nstatement ok\nselect 2\n\n"
      "session trusted\n\nquery I\nselect 3\n----\n3\n",
      MakeSessionOpener(*lake_, "owner"));
  EXPECT_EQ(o.passed, 1);
  EXPECT_EQ(o.failed, 3);  // the session record and both records under it
  ASSERT_EQ(o.failures.size(), 3u);
  EXPECT_NE(o.failures[0].find("t.test:1: session nobody did not open"), std::string::npos) << o.failures[0];
  EXPECT_NE(o.failures[1].find("not run"), std::string::npos) << o.failures[1];
  // Without an opener, user sessions cannot open; `session trusted` always can.
  o = Run("session ana\n\nquery I\nselect 1\n----\n1\n\nsession trusted\n\nquery I\nselect 1\n----\n1\n");
  EXPECT_EQ(o.passed, 1);
  EXPECT_EQ(o.failed, 2);
}

TEST(SqlLogicTestParseTest, ParsesSessionRecords) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto records,
                               ParseSqlLogicTest("session ana purpose research\n\nsession trusted\n"));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].kind, SqlLogicRecord::Kind::kSession);
  EXPECT_EQ(records[0].argument, "ana");
  EXPECT_EQ(records[0].purpose, "research");
  EXPECT_EQ(records[1].argument, "trusted");
  EXPECT_EQ(records[1].purpose, "");
  EXPECT_THAT(ParseSqlLogicTest("session\n"), StatusIs(StatusCode::kInvalidArgument, "session <user>"));
  EXPECT_THAT(ParseSqlLogicTest("session ana research\n"), StatusIs(StatusCode::kInvalidArgument, "session <user>"));
  EXPECT_THAT(ParseSqlLogicTest("session trusted purpose research\n"),
              StatusIs(StatusCode::kInvalidArgument, "no purpose"));
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
