#include "pipeline/quality.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/testing/session_rows.h"
#include "pipeline/model.h"
#include "pipeline/runner.h"

namespace medlake::pipeline {
namespace {

TEST(QualityRulesTest, ParsesEveryCheck) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto rules, ParseQualityRules(R"yaml(
rules:
  - check: not_null
    columns: [a, b]
    severity: block
  - {check: accepted_values, column: sex, values: [female, male]}
  - {check: range, column: v, min: 0, max: 10.5}
  - {check: pattern, column: code, regex: '[0-9]+-[0-9]'}
  - {check: relationship, column: p, to: normalized.patient.source_key}
  - {check: expression, name: positive, expression: 'v > 0'}
  - {check: unique, column: id, severity: block}
  - {check: row_count_change, max_change_pct: 50}
  - {check: freshness, column: t, max_age_hours: 24}
  - {check: sql, sql: 'SELECT * FROM {{this}} WHERE v < 0'}
)yaml"));
  ASSERT_EQ(rules.size(), 10u);
  EXPECT_EQ(rules[0].name, "not_null_a_b");
  EXPECT_TRUE(rules[0].block);
  EXPECT_EQ(rules[0].columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(rules[1].block);
  EXPECT_EQ(*rules[2].max, 10.5);
  EXPECT_EQ(rules[4].to_table, "normalized.patient");
  EXPECT_EQ(rules[4].to_column, "source_key");
  EXPECT_EQ(rules[5].name, "positive");
  EXPECT_TRUE(rules[5].row_level());
  EXPECT_FALSE(rules[6].row_level());
  EXPECT_EQ(rules[7].max_change_pct, 50);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string pass, RowRulePassSql(rules[1]));
  EXPECT_NE(pass.find("'female', 'male'"), std::string::npos) << pass;
  EXPECT_THAT(RowRulePassSql(rules[6]), StatusIs(StatusCode::kInvalidArgument, "not a row rule"));
}

TEST(QualityRulesTest, RejectsBadFilesNamingTheLine) {
  EXPECT_THAT(ParseQualityRules("rules: [}"), StatusIs(StatusCode::kInvalidArgument, "YAML"));
  EXPECT_THAT(ParseQualityRules("checks: []"), StatusIs(StatusCode::kInvalidArgument, "rules"));
  EXPECT_THAT(ParseQualityRules("rules:\n  - check: sometimes\n"), StatusIs(StatusCode::kInvalidArgument, "line 2"));
  EXPECT_THAT(ParseQualityRules("rules:\n  - check: not_null\n"), StatusIs(StatusCode::kInvalidArgument, "column"));
  EXPECT_THAT(ParseQualityRules("rules:\n  - {check: range, column: x}\n"), StatusIs(StatusCode::kInvalidArgument, "min"));
  EXPECT_THAT(ParseQualityRules("rules:\n  - {check: range, column: x, min: low}\n"),
              StatusIs(StatusCode::kInvalidArgument, "number"));
  EXPECT_THAT(ParseQualityRules("rules:\n  - {check: not_null, column: x, colour: red}\n"),
              StatusIs(StatusCode::kInvalidArgument, "unknown key colour"));
  EXPECT_THAT(ParseQualityRules("rules:\n  - {check: not_null, column: x, severity: maybe}\n"),
              StatusIs(StatusCode::kInvalidArgument, "severity"));
  EXPECT_THAT(ParseQualityRules("rules:\n  - {check: not_null, column: x, name: a}\n  - {check: unique, column: x, name: a}\n"),
              StatusIs(StatusCode::kInvalidArgument, "used twice"));
  EXPECT_THAT(ParseQualityRules("rules:\n  - {check: relationship, column: x, to: nodots}\n"),
              StatusIs(StatusCode::kInvalidArgument, "namespace.table.column"));
}

class QualityRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, engine::LakeSession::Open(*lake_));
    Sql("CREATE SCHEMA raw; CREATE TABLE raw.obs (id INTEGER, source_system VARCHAR, patient VARCHAR, code VARCHAR, v DOUBLE);"
        "CREATE TABLE raw.patients (pid VARCHAR);"
        "INSERT INTO raw.patients VALUES ('p1'), ('p2');"
        "INSERT INTO raw.obs VALUES (1, 'A', 'p1', '2823-3', 4.1), (2, 'A', 'p2', 'bad', 5.0), "
        "(3, 'B', NULL, '718-7', -1), (4, 'B', 'p9', '718-7', 13), (5, 'B', 'p1', NULL, 12)");
  }
  void Sql(const std::string& sql) { engine::testing::ExecOk(*session_, sql); }
  std::string Rows(const std::string& sql) { return engine::testing::Rows(*session_, sql); }
  Model WithRules(const std::string& rules, const std::string& sql = "SELECT * FROM raw.obs") {
    auto m = ModelFromFile("clean/obs.sql", "-- @materialized: incremental\n-- @unique_key: id\n" + sql, "test");
    EXPECT_THAT(m, IsOk());
    auto parsed = ParseQualityRules(rules);
    EXPECT_THAT(parsed, IsOk());
    m->rules = *parsed;
    m->rules_text = rules;
    return *m;
  }
  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<engine::LakeSession> session_;
};

TEST_F(QualityRunTest, BlockingRowRulesQuarantineRowsAndWarningsKeepThem) {
  Model m = WithRules(R"yaml(
rules:
  - {check: not_null, column: patient, severity: block}
  - {check: relationship, column: patient, to: raw.patients.pid, severity: block}
  - {check: pattern, column: code, regex: '[0-9]{1,7}-[0-9]'}
  - {check: range, column: v, min: 0}
  - {check: unique, column: id}
)yaml");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto runs, RunModels(*session_, {m}, {}));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].outcome, ModelRun::Outcome::kBuilt) << runs[0].reason;
  EXPECT_EQ(runs[0].rows_quarantined, 2);  // id 3 (no patient) and id 4 (unknown patient)
  EXPECT_EQ(runs[0].rules_failed, 4);      // not_null, relationship, pattern (bad), range (-1)
  EXPECT_EQ(Rows("SELECT id FROM clean.obs ORDER BY id"), "1;2;5");
  EXPECT_EQ(Rows("SELECT reason_code, kind, source FROM raw.quarantine ORDER BY 1"),
            "quality.not_null_patient|model:clean.obs|pipeline;quality.relationship_patient|model:clean.obs|pipeline");
  // The payload keeps the row; the reason names the rule, never a value.
  EXPECT_EQ(Rows("SELECT count(*) FROM raw.quarantine WHERE decode(payload) LIKE '%\"id\":3%'"), "1");
  EXPECT_EQ(Rows("SELECT count(*) FROM raw.quarantine WHERE reason LIKE '%p9%'"), "0");
  // Results per rule and source, with history.
  EXPECT_EQ(Rows("SELECT rule, source, status, rows_checked, rows_failed FROM quality.results "
                 "WHERE rule IN ('pattern_code', 'not_null_patient') ORDER BY rule, source"),
            "not_null_patient|A|pass|2|0;not_null_patient|B|fail|3|1;pattern_code|A|warn|2|1;pattern_code|B|pass|3|0");
  EXPECT_EQ(Rows("SELECT status, rows_checked FROM quality.results WHERE rule = 'unique_id'"), "pass|3");

  // Second run: new rows only; results accumulate.
  Sql("INSERT INTO raw.obs VALUES (6, 'A', NULL, '2823-3', 1)");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto again, RunModels(*session_, {m}, {}));
  EXPECT_EQ(again[0].mode, "incremental");
  EXPECT_EQ(again[0].rows_quarantined, 1);
  EXPECT_EQ(Rows("SELECT count(DISTINCT run_id) FROM quality.results"), "2");
  EXPECT_EQ(Rows("SELECT count(*) FROM raw.quarantine"), "3");
  EXPECT_EQ(Rows("SELECT count(*) FROM clean.obs"), "3");
}

TEST_F(QualityRunTest, FailingBlockingTableRuleKeepsThePreviousTable) {
  Model m = WithRules("rules:\n  - {check: unique, column: patient, severity: block}\n",
                      "SELECT * FROM raw.obs WHERE id IN (1, 2, 7)");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto first, RunModels(*session_, {m}, {}));
  ASSERT_EQ(first[0].outcome, ModelRun::Outcome::kBuilt) << first[0].reason;
  // The new row would make patient p1 appear twice in the table (after the upsert), although
  // the new rows alone are unique.
  Sql("INSERT INTO raw.obs VALUES (7, 'A', 'p1', '2823-3', 2)");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto second, RunModels(*session_, {m}, {}));
  EXPECT_EQ(second[0].mode, "incremental");
  EXPECT_EQ(second[0].outcome, ModelRun::Outcome::kFailed);
  EXPECT_NE(second[0].reason.find("unique_patient"), std::string::npos) << second[0].reason;
  EXPECT_EQ(Rows("SELECT id FROM clean.obs ORDER BY id"), "1;2");
  EXPECT_EQ(Rows("SELECT status, rows_failed FROM quality.results WHERE rule = 'unique_patient' ORDER BY run_at DESC LIMIT 1"),
            "fail|2");
}

TEST_F(QualityRunTest, TableRulesFreshnessRowCountAndCustomSql) {
  Model m = WithRules(R"yaml(
rules:
  - {check: freshness, column: t, max_age_hours: 1}
  - {check: row_count_change, max_change_pct: 50}
  - {check: sql, name: no_negative, sql: 'SELECT * FROM {{this}} WHERE v < 0'}
  - {check: expression, name: small, expression: 'v < 100'}
)yaml",
                      "SELECT id, v, now() - INTERVAL 2 HOUR AS t FROM raw.obs");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto runs, RunModels(*session_, {m}, {}));
  ASSERT_EQ(runs[0].outcome, ModelRun::Outcome::kBuilt) << runs[0].reason;
  EXPECT_EQ(Rows("SELECT rule, status, rows_failed FROM quality.results ORDER BY rule"),
            "freshness_t|warn|5;no_negative|warn|1;row_count_change|pass|0;small|pass|0");
}

}  // namespace
}  // namespace medlake::pipeline
