#include "pipeline/runner.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <map>
#include <set>

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/testing/session_rows.h"
#include "engine/sql_lexer.h"
#include "ingest/fhir_loader.h"
#include "ingest/hl7_loader.h"
#include "storage/key_index.h"
#include "storage/table.h"
#include "synth/generator.h"

namespace medlake::pipeline {
namespace {

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, engine::LakeSession::Open(*lake_));
  }
  void Sql(const std::string& sql) { engine::testing::ExecOk(*session_, sql); }
  std::string Rows(const std::string& sql) { return engine::testing::Rows(*session_, sql); }
  Model Sql(const std::string& path, const std::string& text) {
    auto m = ModelFromFile(path, text, "test");
    EXPECT_THAT(m, IsOk());
    return *m;
  }
  std::map<std::string, ModelRun> Run(const std::vector<Model>& models, RunOptions options = {}) {
    auto runs = RunModels(*session_, models, options);
    EXPECT_THAT(runs, IsOk());
    std::map<std::string, ModelRun> out;
    if (runs.ok()) {
      for (auto& r : *runs) out[r.model] = r;
    }
    return out;
  }
  // Rebuilds `model` from all rows (--full-refresh) and returns `query`'s rows.
  std::string Rebuilt(const std::vector<Model>& models, const std::string& model, const std::string& query) {
    RunOptions full;
    full.full_refresh = true;
    auto r = Run(models, full);
    EXPECT_EQ(r[model].mode, "full");
    return Rows(query);
  }
  int64_t CurrentSnapshot(const std::string& ns, const std::string& name) {
    auto t = storage::LakeTable::Load(session_->catalog(), session_->file_system(), {ns, name});
    EXPECT_THAT(t, IsOk());
    return t.ok() && (*t)->metadata().current_snapshot_id ? *(*t)->metadata().current_snapshot_id : -1;
  }
  // Rows in one version of a table but not in the other (both ways), as a count.
  int64_t Difference(const std::string& table, int64_t a, int64_t b) {
    // A model whose result is empty has no snapshot (nothing was ever written).
    if (a < 0 || b < 0) return a == b ? std::stoll(Rows("SELECT count(*) FROM " + table)) : -1;
    std::string va = table + " AT (VERSION => " + std::to_string(a) + ")";
    std::string vb = table + " AT (VERSION => " + std::to_string(b) + ")";
    std::string n = Rows("SELECT (SELECT count(*) FROM (SELECT * FROM " + va + " EXCEPT ALL SELECT * FROM " + vb +
                         ")) + (SELECT count(*) FROM (SELECT * FROM " + vb + " EXCEPT ALL SELECT * FROM " + va + "))");
    return std::stoll(n);
  }
  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<engine::LakeSession> session_;
};

TEST_F(RunnerTest, SecondRunReadsOnlyNewRowsAndMatchesAFullRebuild) {
  Sql("CREATE SCHEMA raw; CREATE TABLE raw.events (id INTEGER, patient VARCHAR, kind VARCHAR, deleted BOOLEAN, v INTEGER);"
      "INSERT INTO raw.events VALUES (1, 'p1', 'a', false, 10), (2, 'p1', 'b', false, 20), (3, 'p2', 'a', false, 30)");
  std::vector<Model> models = {
      Sql("staging/events.sql",
          "-- @materialized: incremental\n-- @unique_key: id\n-- @delete_column: deleted\n"
          "SELECT id, patient, upper(kind) AS kind, v, deleted FROM raw.events "
          "QUALIFY row_number() OVER (PARTITION BY id ORDER BY v DESC) = 1"),
      Sql("mart/per_patient.sql", "SELECT patient, count(*) AS n, sum(v) AS total FROM staging.events GROUP BY patient"),
  };
  auto first = Run(models);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first["staging.events"].outcome, ModelRun::Outcome::kBuilt) << first["staging.events"].reason;
  EXPECT_EQ(first["staging.events"].mode, "full");
  EXPECT_EQ(first["staging.events"].reason, "new table");
  EXPECT_EQ(first["staging.events"].rows_read, 3);
  EXPECT_EQ(first["mart.per_patient"].outcome, ModelRun::Outcome::kBuilt) << first["mart.per_patient"].reason;
  EXPECT_EQ(Rows("SELECT patient, n, total FROM mart.per_patient ORDER BY 1"), "p1|2|30;p2|1|30");

  // New rows: one new event, a new version of event 2, and the deletion of event 3.
  Sql("INSERT INTO raw.events VALUES (4, 'p3', 'c', false, 5), (2, 'p1', 'b', false, 25), (3, 'p2', 'a', true, 31)");
  auto second = Run(models);
  EXPECT_EQ(second["staging.events"].mode, "incremental") << second["staging.events"].reason;
  EXPECT_EQ(second["staging.events"].rows_read, 3);  // only the new rows
  EXPECT_EQ(second["staging.events"].rows_written, 2);
  EXPECT_EQ(second["staging.events"].rows_removed, 2);
  EXPECT_EQ(second["mart.per_patient"].mode, "full");
  EXPECT_EQ(Rows("SELECT id, patient, kind, v FROM staging.events ORDER BY id"), "1|p1|A|10;2|p1|B|25;4|p3|C|5");
  EXPECT_EQ(Rows("SELECT patient, n, total FROM mart.per_patient ORDER BY 1"), "p1|2|35;p3|1|5");

  // Nothing new: nothing is read or written.
  int64_t before_idle = CurrentSnapshot("staging", "events");
  auto idle = Run(models);
  EXPECT_EQ(idle["staging.events"].mode, "up-to-date");
  EXPECT_EQ(idle["staging.events"].rows_read, 0);
  EXPECT_EQ(idle["mart.per_patient"].mode, "up-to-date");
  EXPECT_EQ(CurrentSnapshot("staging", "events"), before_idle);

  // The incremental result equals a rebuild from all rows.
  int64_t incremental = CurrentSnapshot("staging", "events");
  RunOptions full;
  full.full_refresh = true;
  auto rebuilt = Run(models, full);
  EXPECT_EQ(rebuilt["staging.events"].mode, "full");
  EXPECT_EQ(rebuilt["staging.events"].rows_read, 6);
  EXPECT_EQ(Difference("staging.events", incremental, CurrentSnapshot("staging", "events")), 0);

  // A changed model is rebuilt in full.
  models[0].text += " ";
  auto changed = Run(models);
  EXPECT_EQ(changed["staging.events"].mode, "full");
  EXPECT_EQ(changed["staging.events"].reason, "model changed");

  // A rewritten source (rows deleted in place) forces a full read.
  Sql("DELETE FROM raw.events WHERE id = 1");
  auto after_delete = Run(models);
  EXPECT_EQ(after_delete["staging.events"].mode, "full");
  EXPECT_EQ(after_delete["staging.events"].reason, "source raw.events was rewritten since the last run");
  EXPECT_EQ(Rows("SELECT count(*) FROM staging.events WHERE id = 1"), "0");
}

TEST_F(RunnerTest, FailedModelKeepsItsTableAndSkipsItsDependents) {
  Sql("CREATE SCHEMA raw; CREATE TABLE raw.t (x INTEGER); INSERT INTO raw.t VALUES (1), (2)");
  std::vector<Model> models = {
      Sql("s/a.sql", "SELECT x FROM raw.t"),
      Sql("s/b.sql", "SELECT x * 2 AS y FROM s.a"),
      Sql("s/c.sql", "SELECT sum(y) AS z FROM s.b"),
  };
  auto ok = Run(models);
  EXPECT_EQ(ok["s.c"].outcome, ModelRun::Outcome::kBuilt);
  int64_t b_before = CurrentSnapshot("s", "b");
  // b now fails at run time (a cast error on the data); c must not run, a still does.
  models[1].text = "SELECT CAST('not a number' || x AS INTEGER) AS y FROM s.a";
  Sql("INSERT INTO raw.t VALUES (3)");
  auto runs = Run(models);
  EXPECT_EQ(runs["s.a"].outcome, ModelRun::Outcome::kBuilt);
  EXPECT_EQ(runs["s.b"].outcome, ModelRun::Outcome::kFailed);
  EXPECT_NE(runs["s.b"].reason.find("Conversion Error"), std::string::npos) << runs["s.b"].reason;
  EXPECT_EQ(runs["s.c"].outcome, ModelRun::Outcome::kSkipped);
  EXPECT_EQ(runs["s.c"].reason, "depends on s.b, which did not build");
  EXPECT_EQ(CurrentSnapshot("s", "b"), b_before);
  EXPECT_EQ(Rows("SELECT z FROM s.c"), "6");
  EXPECT_EQ(Rows("SELECT count(*) FROM s.a"), "3");
}

// @incremental_by: a run rebuilds only the key values whose source rows changed (appended,
// deleted, updated, relinked through the lookup table); a net-unchanged rewrite changes nothing;
// a change to a source without the key rebuilds everything; each result equals a full rebuild.
TEST_F(RunnerTest, KeyedModelsRebuildOnlyTheChangedKeyValues) {
  Sql("CREATE SCHEMA src; "
      "CREATE TABLE src.link (source_key VARCHAR, person_id BIGINT); "
      "CREATE TABLE src.events (patient_source_key VARCHAR, code VARCHAR, v INTEGER); "
      "CREATE TABLE src.sites (code VARCHAR, site VARCHAR)");
  Sql("INSERT INTO src.link VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 3)");
  Sql("INSERT INTO src.events VALUES ('a', 'x', 1), ('a', 'y', 2), ('b', 'x', 5), ('c', 'z', 7), ('d', 'x', 1)");
  Sql("INSERT INTO src.sites VALUES ('x', 'H1'), ('y', 'H2'), ('z', 'H1')");
  const std::string text =
      "-- @materialized: incremental\n-- @incremental_by: person_id\n"
      "-- @key_lookup: src.link.source_key = src.events.patient_source_key\n"
      "SELECT l.person_id, count(*) AS n, sum(e.v) AS total, "
      "string_agg(e.code || '@' || coalesce(s.site, '?'), ',' ORDER BY e.code, e.v) AS codes "
      "FROM src.events e JOIN src.link l ON l.source_key = e.patient_source_key "
      "LEFT JOIN src.sites s ON s.code = e.code GROUP BY l.person_id";
  std::vector<Model> models = {Sql("m/per_person.sql", text)};
  const std::string q = "SELECT person_id, n, total, codes FROM m.per_person ORDER BY 1";
  auto rebuilt = [&]() { return Rebuilt(models, "m.per_person", q); };
  auto first = Run(models);
  ASSERT_EQ(first["m.per_person"].outcome, ModelRun::Outcome::kBuilt) << first["m.per_person"].reason;
  EXPECT_EQ(first["m.per_person"].mode, "full");
  EXPECT_EQ(Rows(q), "1|2|3|x@H1,y@H2;2|1|5|x@H1;3|2|8|x@H1,z@H1");

  // Person 1 gains an event, person 2 loses its only one, source key d moves from person 3 to 4.
  Sql("INSERT INTO src.events VALUES ('a', 'z', 10)");
  Sql("DELETE FROM src.events WHERE patient_source_key = 'b'");
  Sql("UPDATE src.link SET person_id = 4 WHERE source_key = 'd'");
  auto second = Run(models)["m.per_person"];
  ASSERT_EQ(second.outcome, ModelRun::Outcome::kBuilt) << second.reason;
  EXPECT_EQ(second.mode, "incremental") << second.reason;
  EXPECT_EQ(second.reason, "4 person_id values with changed source rows");
  EXPECT_EQ(second.rows_written, 3);  // persons 1, 3 and 4; person 2 has no rows left
  EXPECT_EQ(second.rows_removed, 3);  // the old rows of persons 1, 2 and 3
  const std::string expected = "1|3|13|x@H1,y@H2,z@H1;3|1|7|z@H1;4|1|1|x@H1";
  EXPECT_EQ(Rows(q), expected);
  EXPECT_EQ(rebuilt(), expected);
  EXPECT_EQ(Run(models)["m.per_person"].mode, "up-to-date");

  // Rewrites that change no row (compactions) change no key value, also in a source without it.
  Sql("INSERT INTO src.events VALUES ('c', 'y', 4)");
  EXPECT_EQ(Run(models)["m.per_person"].reason, "1 person_id value with changed source rows");
  Sql("INSERT INTO src.sites VALUES ('w', 'H3')");
  Sql("DELETE FROM src.sites WHERE code = 'w'");
  Sql("CALL medlake.compact('src.events')");
  Sql("CALL medlake.compact('src.sites')");
  auto compacted = Run(models)["m.per_person"];
  EXPECT_EQ(compacted.mode, "incremental") << compacted.reason;
  EXPECT_EQ(compacted.reason, "0 person_id values with changed source rows");
  EXPECT_EQ(compacted.rows_written, 0);
  EXPECT_EQ(compacted.rows_removed, 0);

  // A change to a column of that source the model does not read changes nothing either.
  Sql("ALTER TABLE src.sites ADD COLUMN note VARCHAR");
  Sql("UPDATE src.sites SET note = 'renovated' WHERE code = 'z'");
  auto unread = Run(models)["m.per_person"];
  EXPECT_EQ(unread.mode, "incremental") << unread.reason;
  EXPECT_EQ(unread.reason, "0 person_id values with changed source rows");

  // A real change to a source that has no person_id and no lookup: everything is rebuilt.
  Sql("UPDATE src.sites SET site = 'H9' WHERE code = 'z'");
  auto third = Run(models)["m.per_person"];
  EXPECT_EQ(third.mode, "full");
  EXPECT_NE(third.reason.find("source src.sites changed"), std::string::npos) << third.reason;
  EXPECT_EQ(Rows(q), "1|3|13|x@H1,y@H2,z@H9;3|2|11|y@H2,z@H9;4|1|1|x@H1");
  EXPECT_EQ(rebuilt(), Rows(q));

  // A changed row whose key cannot be found (a source key without a link): rebuilt in full.
  Sql("INSERT INTO src.events VALUES ('zz', 'x', 1)");
  auto unlinked = Run(models)["m.per_person"];
  EXPECT_EQ(unlinked.mode, "incremental") << unlinked.reason;  // no link: the row joins nothing
  EXPECT_EQ(unlinked.reason, "0 person_id values with changed source rows");
  Sql("INSERT INTO src.link VALUES ('zz', NULL)");
  auto null_key = Run(models)["m.per_person"];
  EXPECT_EQ(null_key.mode, "full");
  EXPECT_NE(null_key.reason.find("maps to no person_id"), std::string::npos) << null_key.reason;
}

// @key_via: a change of a dimension table rebuilds only the key values whose rows reference the
// changed dimension rows, through a source with the key (visits) or through the lookup table
// (events); each result equals a full rebuild; a @key_via naming a table the model does not
// read fails the model and keeps its table.
TEST_F(RunnerTest, KeyedModelsFollowDimensionChangesThroughKeyVia) {
  Sql("CREATE SCHEMA src; "
      "CREATE TABLE src.link (source_key VARCHAR, person_id BIGINT); "
      "CREATE TABLE src.events (patient_source_key VARCHAR, code VARCHAR); "
      "CREATE TABLE src.visits (person_id BIGINT, site_code VARCHAR); "
      "CREATE TABLE src.sites (code VARCHAR, site VARCHAR, note VARCHAR)");
  Sql("INSERT INTO src.link VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4)");
  Sql("INSERT INTO src.events VALUES ('a', 'x'), ('b', 'y'), ('c', 'x'), ('d', 'w')");
  Sql("INSERT INTO src.visits VALUES (1, 'x'), (2, 'x'), (4, 'z')");
  Sql("INSERT INTO src.sites VALUES ('x', 'H1', NULL), ('y', 'H2', NULL), ('z', 'H3', NULL)");
  const std::string header =
      "-- @materialized: incremental\n-- @incremental_by: person_id\n"
      "-- @key_lookup: src.link.source_key = src.events.patient_source_key\n"
      "-- @key_via: src.sites.code = src.events.code, src.visits.site_code\n";
  const std::string text =
      header +
      "WITH rows AS ("
      " SELECT l.person_id, 'e:' || coalesce(s.site, '?') AS item FROM src.events e "
      " JOIN src.link l ON l.source_key = e.patient_source_key LEFT JOIN src.sites s ON s.code = e.code "
      " UNION ALL SELECT v.person_id, 'v:' || coalesce(s.site, '?') FROM src.visits v "
      " LEFT JOIN src.sites s ON s.code = v.site_code) "
      "SELECT person_id, string_agg(item, ',' ORDER BY item) AS items FROM rows GROUP BY person_id";
  std::vector<Model> models = {Sql("m/per_person.sql", text)};
  const std::string q = "SELECT person_id, items FROM m.per_person ORDER BY 1";
  auto rebuilt = [&]() { return Rebuilt(models, "m.per_person", q); };
  auto first = Run(models)["m.per_person"];
  ASSERT_EQ(first.outcome, ModelRun::Outcome::kBuilt) << first.reason;
  EXPECT_EQ(Rows(q), "1|e:H1,v:H1;2|e:H2,v:H1;3|e:H1;4|e:?,v:H3");

  // Site x renamed: persons 1 and 3 (events, through the link) and 2 (a visit) reference it.
  Sql("UPDATE src.sites SET site = 'H1b' WHERE code = 'x'");
  auto renamed = Run(models)["m.per_person"];
  ASSERT_EQ(renamed.outcome, ModelRun::Outcome::kBuilt) << renamed.reason;
  EXPECT_EQ(renamed.mode, "incremental") << renamed.reason;
  EXPECT_EQ(renamed.reason, "3 person_id values with changed source rows");
  EXPECT_EQ(renamed.rows_written, 3);
  const std::string expected = "1|e:H1b,v:H1b;2|e:H2,v:H1b;3|e:H1b;4|e:?,v:H3";
  EXPECT_EQ(Rows(q), expected);
  EXPECT_EQ(rebuilt(), expected);

  // A new site that person 4's event referenced before it existed; a note the model does not read.
  Sql("INSERT INTO src.sites VALUES ('w', 'H4', NULL)");
  Sql("UPDATE src.sites SET note = 'renovated' WHERE code = 'y'");
  auto added = Run(models)["m.per_person"];
  EXPECT_EQ(added.mode, "incremental") << added.reason;
  EXPECT_EQ(added.reason, "1 person_id value with changed source rows");
  EXPECT_EQ(Rows(q), "1|e:H1b,v:H1b;2|e:H2,v:H1b;3|e:H1b;4|e:H4,v:H3");
  EXPECT_EQ(rebuilt(), Rows(q));

  // A site no row references: nothing to rebuild.
  Sql("INSERT INTO src.sites VALUES ('q', 'H5', NULL)");
  auto unreferenced = Run(models)["m.per_person"];
  EXPECT_EQ(unreferenced.mode, "incremental") << unreferenced.reason;
  EXPECT_EQ(unreferenced.reason, "0 person_id values with changed source rows");

  // A @key_via through a table the model does not read: the model fails, its table stays.
  std::vector<Model> wrong = {Sql("m/visits.sql",
                                  "-- @materialized: incremental\n-- @incremental_by: person_id\n"
                                  "-- @key_via: src.sites.code = src.elsewhere.site_code\n"
                                  "SELECT v.person_id, s.site FROM src.visits v JOIN src.sites s ON s.code = v.site_code")};
  ASSERT_EQ(Run(wrong)["m.visits"].outcome, ModelRun::Outcome::kBuilt);
  const std::string visits = "SELECT person_id, site FROM m.visits ORDER BY 1";
  const std::string before = Rows(visits);
  Sql("UPDATE src.sites SET site = 'H3b' WHERE code = 'z'");
  auto failed = Run(wrong)["m.visits"];
  EXPECT_EQ(failed.outcome, ModelRun::Outcome::kFailed);
  EXPECT_NE(failed.reason.find("@key_via: src.elsewhere is not read by the model"), std::string::npos) << failed.reason;
  EXPECT_EQ(Rows(visits), before);
}

// A keyed run that would replace more than a quarter of the table's values (and at least 1000)
// rebuilds the table instead; up to a quarter it stays keyed. Both give the rebuilt rows.
TEST_F(RunnerTest, KeyedRunOfMostValuesRebuildsInFull) {
  Sql("CREATE SCHEMA src; CREATE TABLE src.events (person_id BIGINT, v INTEGER)");
  Sql("INSERT INTO src.events SELECT i, 1 FROM range(4000) t(i)");
  std::vector<Model> models = {Sql("m/totals.sql",
                                   "-- @materialized: incremental\n-- @incremental_by: person_id\n"
                                   "SELECT person_id, sum(v) AS total FROM src.events GROUP BY person_id")};
  ASSERT_EQ(Run(models)["m.totals"].outcome, ModelRun::Outcome::kBuilt);
  const std::string q = "SELECT count(*), sum(total) FROM m.totals";
  Sql("UPDATE src.events SET v = 2 WHERE person_id < 1001");
  auto most = Run(models)["m.totals"];
  EXPECT_EQ(most.mode, "full") << most.reason;
  EXPECT_EQ(most.reason, "1001 person_id values changed, more than 1/4 of the 4000 in the table");
  EXPECT_EQ(Rows(q), "4000|5001");
  Sql("UPDATE src.events SET v = 3 WHERE person_id < 1000");
  auto quarter = Run(models)["m.totals"];
  EXPECT_EQ(quarter.mode, "incremental") << quarter.reason;
  EXPECT_EQ(quarter.reason, "1000 person_id values with changed source rows");
  EXPECT_EQ(Rows(q), "4000|6001");  // 1000 persons at 3, person 1000 at 2, 2999 at 1
}

TEST_F(RunnerTest, SelectionCyclesAndMissingSources) {
  Sql("CREATE SCHEMA raw; CREATE TABLE raw.t (x INTEGER)");
  std::vector<Model> models = {Sql("s/a.sql", "SELECT x FROM raw.t"), Sql("s/b.sql", "SELECT * FROM raw.not_there")};
  EXPECT_THAT(RunModels(*session_, models, RunOptions{{"s.nope"}, false}), StatusIs(StatusCode::kNotFound, "s.nope"));
  auto only_a = Run(models, RunOptions{{"s.a"}, false});
  EXPECT_EQ(only_a.size(), 1u);
  EXPECT_EQ(only_a["s.a"].outcome, ModelRun::Outcome::kBuilt);
  auto all = Run(models);
  EXPECT_EQ(all["s.b"].outcome, ModelRun::Outcome::kSkipped);
  EXPECT_EQ(all["s.b"].reason, "reads raw.not_there, which does not exist yet");
  std::vector<Model> cyclic = {Sql("s/a.sql", "SELECT * FROM s.b"), Sql("s/b.sql", "SELECT * FROM s.a")};
  EXPECT_THAT(RunModels(*session_, cyclic, {}), StatusIs(StatusCode::kInvalidArgument, "cycle"));
  std::vector<Model> broken = {Sql("s/a.sql", "SELEC x FROM raw.t")};
  EXPECT_THAT(RunModels(*session_, broken, {}), StatusIs(StatusCode::kInvalidArgument, "s.a"));
}

// The helper functions and macros models use (docs/formats/pipeline_models.md), on known values.
TEST_F(RunnerTest, HelperMacrosParseHl7AndCheckCodes) {
  std::string msg = "MSH|^~\\&|APP|FAC|||20240301101500+0100||ADT^A01|X1|P|2.5\r"
                    "PID|1||123^^^H01^PI~99999999R^^^MI^NNESP||Garc\\T\\a&&Lopez^Ana||19800102|F\r"
                    "OBX|1|NM|2823-3^Potassium^LN||4.4|mmol/L|3.5-5.1|N|||F\rOBX|2|NM|718-7^Hb^LN||13|g/dL";
  std::string q = "SELECT hl7_field(hl7_segment(m, 'MSH'), 9) AS msh9, hl7_field(hl7_segment(m, 'MSH'), 3) AS msh3, "
                  "hl7_component(hl7_field(hl7_segment(m, 'PID'), 5), 1) AS family, "
                  "hl7_subcomponent(hl7_field(hl7_segment(m, 'PID'), 5), 1, 1) AS surname1, "
                  "hl7_subcomponent(hl7_field(hl7_segment(m, 'PID'), 5), 1, 3) AS surname2, "
                  "hl7_component(hl7_field(hl7_segment(m, 'PID'), 5), 2) AS given, "
                  "len(hl7_segments(m, 'OBX')) AS obx, hl7_segment(m, 'ZZZ') IS NULL AS no_zzz, "
                  "hl7_ts(hl7_field(hl7_segment(m, 'MSH'), 7)) = TIMESTAMPTZ '2024-03-01 09:15:00+00' AS utc, "
                  "hl7_date(hl7_field(hl7_segment(m, 'PID'), 7)) AS birth, hl7_ts('2024') IS NULL AS short_ts, "
                  "loinc_ok('2823-3') AND loinc_ok('718-7') AND loinc_ok('4548-4') AS loinc_good, "
                  "loinc_ok('2823-4') OR loinc_ok('28233') OR loinc_ok(NULL) AS loinc_bad, "
                  "icd10_ok('E11.9') AND icd10_ok('U07.1') AND icd10_ok('J45') AS icd_good, "
                  "icd10_ok('E1.9') OR icd10_ok('e11.9') AS icd_bad, atc_ok('A10BA02') AND NOT atc_ok('A10B0') AS atc "
                  "FROM (SELECT " + engine::QuoteString(msg) + " AS m)";
  Sql("CREATE SCHEMA raw; CREATE TABLE raw.t (x INTEGER)");
  auto runs = Run({Sql("s/macros.sql", q + ", raw.t")});
  ASSERT_EQ(runs["s.macros"].outcome, ModelRun::Outcome::kBuilt) << runs["s.macros"].reason;
  Sql("INSERT INTO raw.t VALUES (1)");
  RunOptions full;
  full.full_refresh = true;
  Run({Sql("s/macros.sql", q + ", raw.t")}, full);
  EXPECT_EQ(Rows("SELECT * FROM s.macros"),
            "ADT^A01|APP|Garc&a&&Lopez|Garc&a|Lopez|Ana|2|true|true|1980-01-02|true|true|false|true|false|true");
}

TEST_F(RunnerTest, ViewDefinitionModelsEvaluateFhirResourcesIncrementally) {
  Sql("CREATE SCHEMA raw; CREATE TABLE raw.fhir_resources (resource_type VARCHAR, resource_id VARCHAR, "
      "last_updated TIMESTAMPTZ, received_at TIMESTAMPTZ, byte_offset BIGINT, payload VARCHAR)");
  Sql("INSERT INTO raw.fhir_resources VALUES "
      "('Patient', 'a', '2024-01-01', '2024-01-02', 0, '{\"resourceType\":\"Patient\",\"id\":\"a\",\"gender\":\"female\",\"name\":[{\"given\":[\"Ana\",\"Maria\"]}]}'),"
      "('Patient', 'b', '2024-01-01', '2024-01-02', 1, '{\"resourceType\":\"Patient\",\"id\":\"b\",\"gender\":\"male\"}'),"
      "('Observation', 'o', '2024-01-01', '2024-01-02', 2, '{\"resourceType\":\"Observation\",\"id\":\"o\"}')");
  std::string view = R"json({"resourceType":"ViewDefinition","resource":"Patient","status":"active",
    "select":[{"column":[{"name":"id","path":"getResourceKey()"},{"name":"gender","path":"gender"}]},
              {"forEachOrNull":"name.given","column":[{"name":"given","path":"$this"}]}]})json";
  std::vector<Model> models = {Sql("v/patient.view.json", view)};
  auto first = Run(models);
  ASSERT_EQ(first["v.patient"].outcome, ModelRun::Outcome::kBuilt) << first["v.patient"].reason;
  EXPECT_EQ(Rows("SELECT id, gender, coalesce(given, '-'), _resource_key FROM v.patient ORDER BY 1, 3"),
            "a|female|Ana|Patient/a;a|female|Maria|Patient/a;b|male|-|Patient/b");
  // A newer version of a replaces both of its rows; b stays.
  Sql("INSERT INTO raw.fhir_resources VALUES "
      "('Patient', 'a', '2024-02-01', '2024-02-02', 0, '{\"resourceType\":\"Patient\",\"id\":\"a\",\"gender\":\"other\",\"name\":[{\"given\":[\"Ana\"]}]}')");
  auto second = Run(models);
  EXPECT_EQ(second["v.patient"].mode, "incremental") << second["v.patient"].reason;
  EXPECT_EQ(second["v.patient"].rows_read, 1);
  EXPECT_EQ(second["v.patient"].rows_removed, 2);
  EXPECT_EQ(Rows("SELECT id, gender, coalesce(given, '-') FROM v.patient ORDER BY 1, 3"), "a|other|Ana;b|male|-");
  // A resource that is not JSON fails the model and keeps the table.
  Sql("INSERT INTO raw.fhir_resources VALUES ('Patient', 'c', '2024-02-01', '2024-02-02', 9, '{not json')");
  auto bad = Run(models);
  EXPECT_EQ(bad["v.patient"].outcome, ModelRun::Outcome::kFailed);
  EXPECT_NE(bad["v.patient"].reason.find("Patient/c"), std::string::npos) << bad["v.patient"].reason;
  EXPECT_EQ(Rows("SELECT count(*) FROM v.patient"), "2");
  // An invalid view is a failed model, not a crash.
  std::vector<Model> invalid = {Sql("v/patient.view.json", R"json({"resourceType":"ViewDefinition","resource":"Patient","select":[{"column":[{"name":"x","path":"name.("}]}]})json")};
  EXPECT_EQ(Run(invalid)["v.patient"].outcome, ModelRun::Outcome::kFailed);
}

// Many resources: they are evaluated in batches on several threads, and every row still
// carries its own resource's values.
TEST_F(RunnerTest, ViewDefinitionModelsOverManyResourcesKeepEachRowWithItsResource) {
  Sql("CREATE SCHEMA raw; CREATE TABLE raw.fhir_resources AS SELECT 'Patient' AS resource_type, i::VARCHAR AS resource_id, "
      "TIMESTAMPTZ '2024-01-01' AS last_updated, TIMESTAMPTZ '2024-01-02' AS received_at, i AS byte_offset, "
      "'{\"resourceType\":\"Patient\",\"id\":\"' || i || '\",\"gender\":\"' || CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END "
      "|| '\",\"name\":[{\"given\":[' || CASE WHEN i % 3 = 0 THEN '\"G' || i || '\",\"H' || i || '\"' ELSE '\"G' || i || '\"' END || ']}]}' AS payload "
      "FROM range(30000) t(i)");
  std::string view = R"json({"resourceType":"ViewDefinition","resource":"Patient","status":"active",
    "select":[{"column":[{"name":"id","path":"getResourceKey()"},{"name":"gender","path":"gender"}]},
              {"forEach":"name.given","column":[{"name":"given","path":"$this"}]}]})json";
  std::vector<Model> models = {Sql("v/patient.view.json", view)};
  auto first = Run(models);
  ASSERT_EQ(first["v.patient"].outcome, ModelRun::Outcome::kBuilt) << first["v.patient"].reason;
  // 30,000 resources, 10,000 of them with two given names.
  EXPECT_EQ(Rows("SELECT count(*), count(DISTINCT id) FROM v.patient"), "40000|30000");
  EXPECT_EQ(Rows("SELECT count(*) FROM v.patient WHERE _resource_key <> 'Patient/' || id "
                 "OR gender <> CASE WHEN id::INT % 2 = 0 THEN 'female' ELSE 'male' END "
                 "OR given NOT IN ('G' || id, 'H' || id)"),
            "0");
}

// The built-in normalized models on generated data: one more period of data is read
// incrementally and gives the same tables as a rebuild.
TEST_F(RunnerTest, BuiltinModelsOnGeneratedDataIncrementalEqualsFull) {
  auto generate = [&](const std::string& dir, const std::string& start, const std::string& end) {
    synth::SynthOptions o;
    o.patients = 40;
    o.seed = 5;
    o.out_dir = tmp_.Join(dir);
    o.formats.csv = false;
    o.start = start;
    o.end = end;
    o.threads = 1;
    ASSERT_THAT(synth::RunSynth(o, &LocalFileSystem::Default()), IsOk());
  };
  auto ingest = [&](const std::string& dir) {
    ingest::IngestOptions io;
    io.progress = false;
    ASSERT_THAT(ingest::IngestHl7Files(*session_, {tmp_.Join(dir + "/hl7")}, io), IsOk());
    ASSERT_THAT(ingest::IngestFhirFiles(*session_, {tmp_.Join(dir + "/fhir")}, io), IsOk());
  };
  generate("d1", "2024-01-01", "2024-06-30");
  generate("d2", "2024-07-01", "2024-07-31");
  ingest("d1");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto models, LoadModels(tmp_.Join("no-project")));
  auto first = Run(models);
  ASSERT_TRUE(first.count("normalized.person_link"));  // the patient index step joins the run
  for (const auto& [name, r] : first) {
    EXPECT_EQ(r.outcome, ModelRun::Outcome::kBuilt) << name << ": " << r.reason;
  }
  EXPECT_NE(Rows("SELECT count(DISTINCT source_kind) FROM normalized.patient"), "0");
  EXPECT_EQ(Rows("SELECT count(DISTINCT source_kind) FROM normalized.observation"), "2");
  EXPECT_EQ(Rows("SELECT count(*) FROM normalized.observation WHERE NOT code_format_ok"), "0");
  EXPECT_EQ(Rows("SELECT count(*) FROM normalized.condition WHERE NOT code_format_ok"), "0");
  EXPECT_EQ(Rows("SELECT count(*) FROM normalized.patient WHERE birth_date IS NULL OR sex IS NULL"), "0");
  // Write orders: the clinical tables by patient, person_link by person (looked up first).
  auto sort_columns = [&](const std::string& table) {
    auto t = storage::LakeTable::Load(session_->catalog(), session_->file_system(), {"normalized", table});
    if (!t.ok()) return std::string("<no table>");
    const auto& m = (*t)->metadata();
    auto schema = storage::iceberg::CurrentSchema(m);
    std::string out;
    for (const auto& o : m.sort_orders) {
      if (o.order_id != m.default_sort_order_id || !schema.ok()) continue;
      for (const auto& f : o.fields) {
        const auto* field = storage::iceberg::FindFieldById(**schema, f.source_id);
        out += (out.empty() ? "" : ",") + (field ? field->name : "?");
      }
    }
    return out;
  };
  EXPECT_EQ(sort_columns("observation"), "patient_source_key,source_key");
  EXPECT_EQ(sort_columns("encounter"), "patient_source_key,source_key");
  EXPECT_EQ(sort_columns("patient"), "source_key");
  EXPECT_EQ(sort_columns("person_link"), "person_id,source_key");
  // ... with key indexes beside their files (lookups by patient or person read no Parquet).
  for (const std::string table : {"observation", "patient", "person_link"}) {
    auto t = storage::LakeTable::Load(session_->catalog(), session_->file_system(), {"normalized", table});
    ASSERT_THAT(t, IsOk());
    auto prop = (*t)->metadata().properties.find("medlake.key-index");
    EXPECT_TRUE(prop != (*t)->metadata().properties.end() && prop->second == "true") << table;
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto plan, (*t)->PlanScan(std::nullopt, {}));
    ASSERT_FALSE(plan.data_files.empty()) << table;
    for (const auto& f : plan.data_files) {
      EXPECT_TRUE(std::filesystem::exists(storage::KeyIndexPath(f.path))) << table << ": " << f.path;
    }
  }

  std::string raw_before = Rows("SELECT (SELECT count(*) FROM raw.hl7_messages) + (SELECT count(*) FROM raw.fhir_resources)");
  ingest("d2");
  std::string raw_after = Rows("SELECT (SELECT count(*) FROM raw.hl7_messages) + (SELECT count(*) FROM raw.fhir_resources)");
  int64_t added = std::stoll(raw_after) - std::stoll(raw_before);
  ASSERT_GT(added, 0);
  auto second = Run(models);
  // `table` models are rebuilt; keyed models rebuild the persons whose rows changed; every other
  // model (and the patient index step) reads only new rows.
  std::set<std::string> full_models;
  std::set<std::string> keyed_models;
  for (const auto& m : models) {
    if (!m.config.incremental) full_models.insert(m.name());
    if (!m.config.incremental_by.empty()) keyed_models.insert(m.name());
  }
  EXPECT_GE(keyed_models.size(), 10u);  // the curated OMOP tables, timeline, visits, persons
  std::map<std::string, int64_t> incremental;
  for (const auto& [name, r] : second) {
    ASSERT_EQ(r.outcome, ModelRun::Outcome::kBuilt) << name << ": " << r.reason;
    if (full_models.count(name)) {
      // Rebuilt when a source changed; untouched when none did.
      EXPECT_TRUE(r.mode == "full" || r.mode == "up-to-date") << name << ": " << r.mode;
    } else if (keyed_models.count(name)) {
      // Rebuilt for the persons whose source rows changed (most of them: a month more of data).
      EXPECT_EQ(r.mode, "incremental") << name << ": " << r.reason;
      EXPECT_NE(r.reason.find("person_id value"), std::string::npos) << name << ": " << r.reason;
    } else {
      EXPECT_EQ(r.mode, "incremental") << name << ": " << r.reason;
      // Each incremental model reads at most the rows added to its raw sources.
      EXPECT_LE(r.rows_read, added) << name;
    }
    auto dot = name.find('.');
    incremental[name] = CurrentSnapshot(name.substr(0, dot), name.substr(dot + 1));
  }
  RunOptions full;
  full.full_refresh = true;
  auto rebuilt = Run(models, full);
  for (const auto& [name, snapshot] : incremental) {
    auto dot = name.find('.');
    EXPECT_EQ(Difference(name, snapshot, CurrentSnapshot(name.substr(0, dot), name.substr(dot + 1))), 0) << name;
  }
}

}  // namespace
}  // namespace medlake::pipeline
