// The loaders end to end: real fixtures with the counts their READMEs state, generated data with
// injected faults, idempotent reloads. accepted + quarantined = received everywhere.
#include <gtest/gtest.h>

#include <map>

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "ingest/csv_loader.h"
#include "ingest/fhir_loader.h"
#include "ingest/hl7_loader.h"
#include "synth/generator.h"

namespace medlake::ingest {
namespace {

const std::string kFixtures = MEDLAKE_FIXTURES_DIR;

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, engine::LakeSession::Open(*lake_));
    options_.progress = false;
  }
  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    EXPECT_THAT(session_->Run(sql, [&](size_t, engine::StatementOutcome& o) -> Status {
      if (!o.rows) return Status::OK();
      MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
      n = rows[0][0].kind == engine::Value::Kind::kUInt ? static_cast<int64_t>(rows[0][0].u) : rows[0][0].i;
      return Status::OK();
    }), IsOk()) << sql;
    return n;
  }
  // Generates a small region with faults into tmp/synth; returns the manifest's counts.
  std::map<std::string, int64_t> Synth(double error_rate) {
    synth::SynthOptions o;
    o.patients = 120;
    o.seed = 11;
    o.out_dir = tmp_.Join("synth");
    o.error_rate = error_rate;
    o.threads = 1;
    auto summary = synth::RunSynth(o, &LocalFileSystem::Default());
    EXPECT_THAT(summary, IsOk());
    std::map<std::string, int64_t> counts;
    auto text = LocalFileSystem::Default().ReadFile(tmp_.Join("synth/truth/faults.csv"));
    EXPECT_THAT(text, IsOk());
    size_t pos = text->find('\n') + 1;
    while (pos < text->size()) {
      size_t end = text->find('\n', pos);
      std::string line = text->substr(pos, end - pos);
      // file,record_index,record_id,fault_kind,detail
      size_t c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1),
             c4 = line.find(',', c3 + 1);
      ++counts[line.substr(c3 + 1, c4 - c3 - 1)];
      pos = end + 1;
    }
    return counts;
  }
  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<engine::LakeSession> session_;
  IngestOptions options_;
};

TEST_F(IngestTest, FhirFixturesLoadWithTheirReadmeCounts) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto s, IngestFhirFiles(*session_,
                              {kFixtures + "/fhir-bulk-ndjson", kFixtures + "/fhir-synthea-bundles",
                               kFixtures + "/fhir-spec-examples"},
                              options_));
  // 1414 bulk resources + 787 Synthea bundle entries + 13 single examples + the 2 POSTed
  // Patients of bundle-example1 (READMEs); the READMEs themselves are not FHIR and are skipped.
  EXPECT_EQ(s.received, 2216);
  EXPECT_EQ(s.accepted, 2216);
  EXPECT_EQ(s.quarantined, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM raw.fhir_resources WHERE resource_type = 'Encounter'"), 254 + 65 + 1);
  EXPECT_EQ(Count("SELECT count(*) FROM raw.fhir_resources WHERE resource_type = 'Observation'"), 384 + 1);
  EXPECT_EQ(Count("SELECT count(DISTINCT patient_ref) FROM raw.fhir_resources WHERE origin LIKE '%bulk%' "
                  "AND resource_type = 'Encounter'"),
            6);
  // Payloads are kept byte-exact: the bulk file's lines hash to the stored hashes.
  EXPECT_EQ(Count("SELECT count(*) FROM raw.fhir_resources WHERE content_hash <> sha256(payload)"), 0);
}

TEST_F(IngestTest, GeneratedTransactionBundlesLoadLikeTheBulkFiles) {
  synth::SynthOptions o;
  o.patients = 60;
  o.seed = 5;
  o.out_dir = tmp_.Join("bundles");
  o.threads = 1;
  o.formats = {false, true, false, true};  // NDJSON and transaction bundles of the same resources
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto summary, synth::RunSynth(o, &LocalFileSystem::Default()));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto b, IngestFhirFiles(*session_, {tmp_.Join("bundles/fhir-bundles")}, options_));
  EXPECT_EQ(b.files, 61);  // one per patient + the region's
  EXPECT_EQ(b.quarantined, 0);
  EXPECT_EQ(b.accepted, static_cast<int64_t>(summary.fhir_resources));
  // Per type, the bundles' entries are the bulk files' resources.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto n, IngestFhirFiles(*session_, {tmp_.Join("bundles/fhir")}, options_));
  EXPECT_EQ(n.accepted, b.accepted);
  EXPECT_EQ(Count("SELECT count(*) FROM (SELECT resource_type, resource_id, content_hash, count(*) AS c "
                  "FROM raw.fhir_resources GROUP BY ALL) WHERE c <> 2"),
            0);
}

TEST_F(IngestTest, Hl7FixturesLoadAndReloadsAreNoOps) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto s, IngestHl7Files(*session_, {kFixtures + "/hl7v2"}, options_));
  EXPECT_EQ(s.received, 76);  // MANIFEST.tsv: 76 files of one message each
  EXPECT_EQ(s.accepted, 76);
  EXPECT_EQ(s.quarantined, 0);
  EXPECT_GE(Count("SELECT count(*) FROM raw.hl7_messages WHERE trigger_event = 'A40' AND "
                  "patient_identifiers LIKE '%\"prior\":true%'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM raw.hl7_messages WHERE content_hash <> sha256(payload)"), 0);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto again, IngestHl7Files(*session_, {kFixtures + "/hl7v2"}, options_));
  EXPECT_EQ(again.files, 0);
  EXPECT_EQ(again.files_skipped, s.files);
  EXPECT_EQ(Count("SELECT count(*) FROM raw.hl7_messages"), 76);
  IngestOptions force = options_;
  force.force = true;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto forced, IngestHl7Files(*session_, {kFixtures + "/hl7v2"}, force));
  EXPECT_EQ(forced.accepted, 76);
  EXPECT_EQ(Count("SELECT count(*) FROM raw.hl7_messages"), 152);
}

TEST_F(IngestTest, GeneratedFaultsAreQuarantinedAndTotalsBalance) {
  auto faults = Synth(0.05);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto hl7, IngestHl7Files(*session_, {tmp_.Join("synth/hl7")}, options_));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto fhir, IngestFhirFiles(*session_, {tmp_.Join("synth/fhir")}, options_));
  std::string contract;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto entries, LocalFileSystem::Default().ListDirectory(tmp_.Join("synth/csv/LABLEG")));
  for (const auto& e : entries) {
    if (e.name.find(".contract.yaml") != std::string::npos) contract = tmp_.Join("synth/csv/LABLEG/" + e.name);
  }
  ASSERT_FALSE(contract.empty());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto csv, IngestCsvFiles(*session_, contract, {tmp_.Join("synth/csv")}, options_));

  for (const auto* s : {&hl7, &fhir, &csv}) EXPECT_EQ(s->accepted + s->quarantined, s->received);
  // Structural HL7 faults cannot be parsed and are quarantined; semantic ones (codes, dates,
  // truncation at a segment boundary) pass the raw layer and are the pipelines' business.
  EXPECT_EQ(hl7.quarantined, faults["hl7_wrong_delimiter"] + faults["hl7_malformed_segment"] + faults["hl7_bad_encoding"]);
  EXPECT_EQ(Count("SELECT count(*) FROM raw.quarantine WHERE reason_code = 'fhir.invalid_json'"),
            faults["fhir_malformed_json"]);
  EXPECT_LE(fhir.quarantined, faults["fhir_malformed_json"] + faults["fhir_missing_required"]);
  int64_t csv_faults = 0;
  for (const auto& [kind, n] : faults) {
    if (kind.rfind("csv_", 0) == 0) csv_faults += n;
  }
  EXPECT_EQ(csv.quarantined, csv_faults);
  // Every quarantined record keeps its bytes, reason and location.
  EXPECT_EQ(Count("SELECT count(*) FROM raw.quarantine WHERE payload IS NULL OR reason = '' OR location IS NULL"), 0);
  EXPECT_EQ(Count("SELECT sum(received) - sum(accepted) - sum(quarantined) FROM raw.ingested_files"), 0);
}

TEST_F(IngestTest, CsvSchemaDriftIsReportedNotGuessed) {
  Synth(0.0);
  std::string dir = tmp_.Join("synth/csv/LABLEG");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto entries, LocalFileSystem::Default().ListDirectory(dir));
  std::string contract, data;
  for (const auto& e : entries) {
    if (e.name.find(".contract.yaml") != std::string::npos) contract = dir + "/" + e.name;
    if (e.name.find(".csv") != std::string::npos) data = dir + "/" + e.name;
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string text, LocalFileSystem::Default().ReadFile(data));
  // A new column appears in the extract's header.
  std::string drifted = text.substr(0, text.find('\r') != std::string::npos ? text.find('\r') : text.find('\n')) +
                        ";NEW_COLUMN" + text.substr(text.find('\n'));
  ASSERT_THAT(LocalFileSystem::Default().WriteFileAtomic(tmp_.Join("drifted.csv"), drifted), IsOk());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto s, IngestCsvFiles(*session_, contract, {tmp_.Join("drifted.csv")}, options_));
  EXPECT_EQ(s.accepted, 0);
  EXPECT_EQ(s.quarantined, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM raw.quarantine WHERE reason_code = 'csv.schema_drift'"), 1);
}

}  // namespace
}  // namespace medlake::ingest
