#include "pipeline/patient_index.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/testing/session_rows.h"
#include "ingest/fhir_loader.h"
#include "ingest/hl7_loader.h"
#include "pipeline/model.h"
#include "pipeline/runner.h"
#include "storage/lake.h"
#include "synth/generator.h"

namespace medlake::pipeline {
namespace {

class PatientIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, engine::LakeSession::Open(*lake_));
  }
  void Sql(const std::string& sql) { engine::testing::ExecOk(*session_, sql); }
  std::string Rows(const std::string& sql) { return engine::testing::Rows(*session_, sql); }
  int64_t Int(const std::string& sql) {
    std::string v = Rows(sql);
    return v.empty() || v == "NULL" ? -1 : std::stoll(v);
  }
  void Generate(const std::string& dir, int patients, const std::string& start, const std::string& end) {
    synth::SynthOptions o;
    o.patients = patients;
    o.seed = 11;
    o.out_dir = tmp_.Join(dir);
    o.formats.csv = false;
    o.start = start;
    o.end = end;
    o.threads = 1;
    ASSERT_THAT(synth::RunSynth(o, &LocalFileSystem::Default()), IsOk());
  }
  void Ingest(const std::string& dir) {
    ingest::IngestOptions io;
    io.progress = false;
    ASSERT_THAT(ingest::IngestHl7Files(*session_, {tmp_.Join(dir + "/hl7")}, io), IsOk());
    ASSERT_THAT(ingest::IngestFhirFiles(*session_, {tmp_.Join(dir + "/fhir")}, io), IsOk());
  }
  // Builds normalized.patient and runs the index through the runner, as `medlake run` does.
  ModelRun RunPipeline() {
    auto models = LoadModels(tmp_.Join("no-project"));
    EXPECT_THAT(models, IsOk());
    RunOptions options;
    options.selection = {"normalized.patient", "normalized.person_link"};
    auto runs = RunModels(*session_, *models, options);
    EXPECT_THAT(runs, IsOk());
    ModelRun link;
    if (runs.ok()) {
      for (const auto& r : *runs) {
        EXPECT_EQ(r.outcome, ModelRun::Outcome::kBuilt) << r.model << ": " << r.reason;
        if (r.model == "normalized.person_link") link = r;
      }
    }
    return link;
  }
  std::map<std::string, int64_t> Links() {
    std::map<std::string, int64_t> out;
    std::string rows = Rows("SELECT string_agg(source_key || '=' || person_id, ';' ORDER BY source_key) FROM normalized.person_link");
    size_t pos = 0;
    while (pos < rows.size()) {
      size_t end = rows.find(';', pos);
      if (end == std::string::npos) end = rows.size();
      std::string item = rows.substr(pos, end - pos);
      size_t eq = item.rfind('=');
      out[item.substr(0, eq)] = std::stoll(item.substr(eq + 1));
      pos = end + 1;
    }
    return out;
  }
  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<engine::LakeSession> session_;
};

TEST_F(PatientIndexTest, MissingPatientTableIsNotFound) {
  EXPECT_THAT(UpdatePatientIndex(*session_, {}), StatusIs(StatusCode::kNotFound, "normalized.patient"));
  EXPECT_THAT(DecidePatientLinkPair(*session_, "a", "b", ReviewDecision::kAccept),
              StatusIs(StatusCode::kNotFound, "normalized.patient"));
}

TEST_F(PatientIndexTest, RejectsBadThresholdsAndEqualKeys) {
  PatientIndexOptions o;
  o.review_threshold = 0.995;
  o.link_threshold = 0.9;
  EXPECT_THAT(UpdatePatientIndex(*session_, o), StatusIs(StatusCode::kInvalidArgument, "thresholds"));
  EXPECT_THAT(DecidePatientLinkPair(*session_, "a", "a", ReviewDecision::kReject),
              StatusIs(StatusCode::kInvalidArgument, "two different"));
}

// The evaluator counts pairs per cluster: persons {a,b,c} and {d} against truth {a,b} {c,d}:
// linked pairs 3 (ab ac bc), true pairs 2 (ab cd), correct 1 (ab).
TEST_F(PatientIndexTest, EvaluatorCountsPairsPerCluster) {
  Sql("CREATE SCHEMA normalized;"
      "CREATE TABLE normalized.patient AS SELECT * FROM (VALUES ('k1', 'a', 'S1'), ('k2', 'b', 'S1'), ('k3', 'c', NULL), "
      "('k4', 'd', 'S1'), ('k5', 'e', 'S1')) AS t(source_key, local_id, assigning_authority);"
      "CREATE TABLE normalized.person_link AS SELECT * FROM (VALUES ('k1', 1), ('k2', 1), ('k3', 1), ('k4', 2), ('k5', 3)) "
      "AS t(source_key, person_id)");
  std::string truth = tmp_.Join("truth.csv");
  ASSERT_THAT(LocalFileSystem::Default().WriteFileAtomic(truth, "source_system,local_id,person_id\nS1,a,P1\nS1,b,P1\nFHIR,c,P2\nS1,d,P2\n"),
              IsOk());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(LinkQuality q, EvaluatePatientIndex(*session_, truth));
  EXPECT_EQ(q.records, 4);
  EXPECT_EQ(q.unmatched, 1);
  EXPECT_EQ(q.linked_pairs, 3);
  EXPECT_EQ(q.true_pairs, 2);
  EXPECT_EQ(q.correct_pairs, 1);
  EXPECT_DOUBLE_EQ(q.precision, 1.0 / 3);
  EXPECT_DOUBLE_EQ(q.recall, 0.5);
  EXPECT_THAT(EvaluatePatientIndex(*session_, tmp_.Join("missing.csv")), StatusIs(StatusCode::kNotFound, "truth"));
}

// Generated data, linked through the runner: quality against the generator's truth, stable ids
// across an incremental run with more data, an idle run, and equality with a full rebuild.
TEST_F(PatientIndexTest, GeneratedDataLinksStablyAndIncrementally) {
  Generate("d1", 300, "2023-01-01", "2023-12-31");
  Generate("d2", 300, "2024-01-01", "2024-12-31");
  Ingest("d1");
  ModelRun first = RunPipeline();
  EXPECT_EQ(first.outcome, ModelRun::Outcome::kBuilt) << first.reason;
  int64_t records = Int("SELECT count(*) FROM normalized.patient");
  ASSERT_GT(records, 300);
  EXPECT_EQ(Int("SELECT count(*) FROM normalized.person_link"), records);
  EXPECT_EQ(Int("SELECT count(DISTINCT source_key) FROM normalized.person_link"), records);
  EXPECT_EQ(Int("SELECT count(*) FROM normalized.person_link WHERE person_id IS NULL OR method IS NULL"), 0);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(LinkQuality q1, EvaluatePatientIndex(*session_, tmp_.Join("d1/truth/source_records.csv")));
  EXPECT_EQ(q1.records, records);
  EXPECT_GE(q1.precision, 0.995) << q1.correct_pairs << "/" << q1.linked_pairs;
  EXPECT_GE(q1.recall, 0.98) << q1.correct_pairs << "/" << q1.true_pairs;
  auto before = Links();
  auto version = [&](const std::string& key) {
    return Rows("SELECT raw_content_hash FROM normalized.person_link WHERE source_key = '" + key + "'");
  };
  std::map<std::string, std::string> versions_before;
  for (const auto& [key, pid] : before) versions_before[key] = version(key);

  // Nothing new: the index is idle and writes nothing.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(PatientIndexReport idle, UpdatePatientIndex(*session_, {}));
  EXPECT_TRUE(idle.idle);
  EXPECT_EQ(idle.records_linked, 0);
  EXPECT_EQ(idle.persons_total, Int("SELECT count(DISTINCT person_id) FROM normalized.person_link"));

  // A second year of data: the same residents, more records.
  Ingest("d2");
  ModelRun second = RunPipeline();
  EXPECT_EQ(second.mode, "incremental");
  int64_t records2 = Int("SELECT count(*) FROM normalized.patient");
  ASSERT_GT(records2, records);
  EXPECT_LT(second.rows_read, records2);  // only new or changed records were scored
  EXPECT_EQ(Int("SELECT count(*) FROM normalized.person_link"), records2);
  auto after = Links();
  // Ids are never renumbered: an unchanged record keeps its person id, or its old id was retired
  // into the one it now has. (A record whose new version describes someone else may move: with
  // another date window the generator gives some local ids to other residents.)
  int64_t moved = 0;
  for (const auto& [key, pid] : before) {
    ASSERT_TRUE(after.count(key)) << "a source record lost its link";
    if (after[key] == pid || version(key) != versions_before[key]) continue;
    ++moved;
    EXPECT_EQ(Int("SELECT person_id FROM normalized.person_id_map WHERE retired_person_id = " + std::to_string(pid)),
              after[key]);
  }
  EXPECT_LE(moved, static_cast<int64_t>(before.size()) / 50);
  // New records of residents already known joined their existing person.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(LinkQuality q2, EvaluatePatientIndex(*session_, tmp_.Join("d2/truth/source_records.csv")));
  EXPECT_GE(q2.precision, 0.995);
  EXPECT_GE(q2.recall, 0.98);
  EXPECT_EQ(q2.persons, q2.true_persons) << "persons split or merged";

  // A full rebuild finds the same persons with the same ids.
  PatientIndexOptions full;
  full.full_rebuild = true;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(PatientIndexReport rebuilt, UpdatePatientIndex(*session_, full));
  EXPECT_EQ(rebuilt.records_read, records2);
  EXPECT_EQ(rebuilt.persons_new, 0);
  EXPECT_EQ(Links(), after);
}

// Without national identifiers the scores do the work; A40 merges join records that nothing
// else links; reviewers' decisions are kept by later runs.
TEST_F(PatientIndexTest, ProbabilisticLinksMergesAndReviewDecisions) {
  Generate("d1", 400, "2020-01-01", "2024-12-31");
  Ingest("d1");
  RunPipeline();
  const std::string truth = tmp_.Join("d1/truth/source_records.csv");
  // Withhold every identifier from half of the records (chosen by a hash of the key).
  Sql("UPDATE normalized.patient SET national_id = NULL, health_card_id = NULL, social_security_id = NULL "
      "WHERE hash(source_key) % 2 = 0");
  // The records a hospital registered twice lose identifiers and demographics: only the A40
  // merge message can link them.
  Sql("CREATE TEMP TABLE dup AS SELECT source_system, local_id FROM read_csv('" + truth +
      "', header = true, all_varchar = true) WHERE duplicate = 'true'");
  int64_t duplicates = Int("SELECT count(*) FROM dup");
  ASSERT_GT(duplicates, 0);
  Sql("UPDATE normalized.patient SET national_id = NULL, health_card_id = NULL, social_security_id = NULL, "
      "given_name = 'Zz' || translate(local_id, '0123456789', 'abcdefghij'), "
      "family_name = 'Qq' || translate(local_id, '0123456789', 'abcdefghij'), birth_date = DATE '1901-01-01', phone = NULL, "
      "postal_code = NULL WHERE local_id IN (SELECT local_id FROM dup)");
  PatientIndexOptions full;
  full.full_rebuild = true;
  full.reestimate_weights = true;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(PatientIndexReport report, UpdatePatientIndex(*session_, full));
  EXPECT_TRUE(report.weights_estimated);
  // Not every duplicate is merged within the generated period: count the A40 messages.
  int64_t a40 = Int("SELECT count(*) FROM raw.hl7_messages WHERE trigger_event = 'A40'");
  ASSERT_GT(a40, 0);
  EXPECT_EQ(report.merges_applied, a40);
  EXPECT_GT(Int("SELECT count(*) FROM normalized.person_link WHERE method = 'probabilistic'"), 0);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(LinkQuality q, EvaluatePatientIndex(*session_, truth));
  EXPECT_GE(q.precision, 0.99) << q.correct_pairs << "/" << q.linked_pairs;
  EXPECT_GE(q.recall, 0.95) << q.correct_pairs << "/" << q.true_pairs;
  // Every duplicate record is in the person of the record it was merged into.
  EXPECT_EQ(Int("SELECT count(*) FROM read_csv('" + truth +
                "', header = true, all_varchar = true) t "
                "JOIN normalized.patient d ON d.local_id = t.local_id JOIN normalized.person_link dl ON dl.source_key = d.source_key "
                "JOIN normalized.patient s ON s.local_id = t.merged_into JOIN normalized.person_link sl ON sl.source_key = s.source_key "
                "WHERE t.duplicate = 'true' AND dl.person_id = sl.person_id AND dl.method = 'merge'"),
            a40);

  // Reject a linked pair: the two records end up in different persons, and stay apart.
  // Keys contain '|', so they are fetched one by one.
  std::string big = "(SELECT person_id FROM normalized.person_link GROUP BY person_id ORDER BY count(*) DESC, person_id LIMIT 1)";
  std::string ka = Rows("SELECT min(source_key) FROM normalized.person_link WHERE person_id = " + big);
  std::string kb = Rows("SELECT max(source_key) FROM normalized.person_link WHERE person_id = " + big);
  ASSERT_NE(ka, kb);
  MEDLAKE_ASSERT_OK(DecidePatientLinkPair(*session_, kb, ka, ReviewDecision::kReject));
  // Accept a pair of records of two different persons.
  std::string kc = Rows("SELECT min(source_key) FROM normalized.person_link WHERE person_id = "
                        "(SELECT min(person_id) FROM normalized.person_link)");
  std::string kd = Rows("SELECT min(source_key) FROM normalized.person_link WHERE person_id = "
                        "(SELECT max(person_id) FROM normalized.person_link)");
  int64_t retired = Int("SELECT max(person_id) FROM normalized.person_link");
  MEDLAKE_ASSERT_OK(DecidePatientLinkPair(*session_, kc, kd, ReviewDecision::kAccept));
  EXPECT_THAT(DecidePatientLinkPair(*session_, kc, "no-such-key", ReviewDecision::kAccept),
              StatusIs(StatusCode::kNotFound, "source key"));
  for (int run = 0; run < 2; ++run) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(PatientIndexReport r, UpdatePatientIndex(*session_, {}));
    EXPECT_EQ(r.idle, run == 1);
    auto person = [&](const std::string& key) {
      return Int("SELECT person_id FROM normalized.person_link WHERE source_key = '" + key + "'");
    };
    EXPECT_NE(person(ka), person(kb));
    EXPECT_EQ(person(kc), person(kd));
    EXPECT_EQ(Rows("SELECT method FROM normalized.person_link WHERE source_key = '" + kd + "'"), "manual");
    EXPECT_EQ(Rows("SELECT status FROM normalized.person_link_review WHERE source_key_l = '" + std::min(ka, kb) +
                   "' AND source_key_r = '" + std::max(ka, kb) + "'"),
              "rejected");
    EXPECT_EQ(Int("SELECT person_id FROM normalized.person_id_map WHERE retired_person_id = " + std::to_string(retired)),
              person(kc));
  }
}

}  // namespace
}  // namespace medlake::pipeline
