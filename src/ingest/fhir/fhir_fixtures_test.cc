// Runs the FHIR readers over the shared real-world fixtures (README counts) and over the output
// of `medlake synth` (clean and with injected faults, checked against truth/faults.csv).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "synth/generator.h"

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "ingest/fhir/bundle_reader.h"
#include "ingest/fhir/fhir_resource.h"
#include "ingest/fhir/ndjson_reader.h"

namespace medlake::ingest::fhir {
namespace {

const std::string kFixtures = MEDLAKE_FIXTURES_DIR;

struct NdjsonStats {
  uint64_t lines = 0;
  uint64_t accepted = 0;
  std::set<uint64_t> rejected_lines;
  std::vector<FhirResourceSummary> summaries;
};

NdjsonStats ReadNdjson(const std::string& path, NdjsonReaderOptions options = {}) {
  NdjsonStats stats;
  auto reader = NdjsonReader::Open(LocalFileSystem::Default(), path, options);
  EXPECT_THAT(reader, IsOk()) << path;
  if (!reader.ok()) {
    return stats;
  }
  FhirResourceSummarizer summarizer;
  NdjsonLine line;
  while (true) {
    Result<bool> more = (*reader)->Next(&line);
    EXPECT_THAT(more, IsOk());
    if (!more.ok() || !*more) {
      break;
    }
    ++stats.lines;
    Result<FhirResourceSummary> s = summarizer.Summarize(line.bytes);
    if (s.ok() && !line.too_long) {
      ++stats.accepted;
      stats.summaries.push_back(std::move(s).value());
    } else {
      stats.rejected_lines.insert(line.line_number);
    }
  }
  return stats;
}

TEST(FhirFixturesTest, BulkNdjsonCountsMatchReadme) {
  const std::map<std::string, uint64_t> expected = {
      {"Patient", 6},       {"Encounter", 254},   {"DocumentReference", 254},
      {"Procedure", 366},   {"Condition", 185},   {"MedicationRequest", 170},
      {"Immunization", 76}, {"Device", 12},       {"AllergyIntolerance", 3},
      {"Organization", 22}, {"Practitioner", 22}, {"PractitionerRole", 22},
      {"Location", 22}};
  // Per patient: Encounter, Condition, MedicationRequest, Procedure, Immunization, Allergy.
  const std::map<std::string, std::vector<uint64_t>> per_patient = {
      {"a5cb8ce9-cec6-6b23-0990-cbaf753578a4", {83, 33, 62, 110, 13, 3}},
      {"6a4160eb-a793-2f86-2302-378626f46cce", {59, 62, 93, 57, 14, 0}},
      {"a4a401d1-a46a-eb4a-8a38-760d5d79d6ec", {44, 34, 8, 86, 8, 0}},
      {"8e1a0a7c-e308-444b-075a-3c2b1f60f881", {33, 47, 2, 69, 13, 0}},
      {"3af3708d-41f1-cd80-f3dd-ec5ac76072bf", {20, 6, 3, 36, 11, 0}},
      {"63ee2253-bdd5-da55-2ad2-b4984d0ad700", {15, 3, 2, 8, 17, 0}}};
  const std::vector<std::string> per_patient_types = {"Encounter",         "Condition",
                                                      "MedicationRequest", "Procedure",
                                                      "Immunization",      "AllergyIntolerance"};
  uint64_t total = 0;
  std::map<std::string, std::map<std::string, uint64_t>> counted;  // patient -> type -> n
  for (const auto& [type, count] : expected) {
    // Small chunks exercise the buffer logic on real data.
    NdjsonReaderOptions options;
    options.chunk_bytes = 4096;
    NdjsonStats stats =
        ReadNdjson(kFixtures + "/fhir-bulk-ndjson/" + type + ".000.ndjson", options);
    EXPECT_EQ(stats.lines, count) << type;
    EXPECT_EQ(stats.accepted, count) << type;
    EXPECT_TRUE(stats.rejected_lines.empty()) << type;
    for (const FhirResourceSummary& s : stats.summaries) {
      EXPECT_EQ(s.resource_type, type);
      if (!s.patient_reference.empty()) {
        ++counted[s.patient_reference][type];
      }
      if (type == "Encounter" || type == "Condition" || type == "Procedure" ||
          type == "Immunization") {
        EXPECT_TRUE(s.effective.has_value()) << type << "/" << s.id;
      }
    }
    total += stats.accepted;
  }
  EXPECT_EQ(total, 1414u);
  EXPECT_EQ(counted.size(), 6u);
  for (const auto& [patient, counts] : per_patient) {
    EXPECT_EQ(counted[patient]["Patient"], 1u) << patient;
    for (size_t i = 0; i < per_patient_types.size(); ++i) {
      EXPECT_EQ(counted[patient][per_patient_types[i]], counts[i])
          << patient << " " << per_patient_types[i];
    }
  }
}

TEST(FhirFixturesTest, SyntheaBundlesSplitIntoReadmeCounts) {
  Result<std::vector<FileInfo>> files =
      LocalFileSystem::Default().ListDirectory(kFixtures + "/fhir-synthea-bundles");
  MEDLAKE_ASSERT_OK(files);
  // file prefix -> (Patient.id, entries)
  const std::map<std::string, std::pair<std::string, size_t>> per_file = {
      {"Alberto_Atencio", {"4e8ed886-fd5f-40bb-8feb-f339b04d853a", 76}},
      {"Alejandro_Riojas", {"829bb06a-42b9-433d-a8f6-560727c63da9", 110}},
      {"Alfreda_Wyman", {"6d23a95e-7e18-4201-90ec-9501fa89fbd2", 138}},
      {"Chet_Thompson", {"9e2f7a3b-94df-4b3d-bee2-360881649fa5", 117}},
      {"Gustavo_Mejia", {"cdf500b9-7cc4-424d-a86c-a18e6620d6e7", 78}},
      {"Judson_Eichmann", {"195bd73c-1ef3-400d-9269-a0d9042afafe", 134}},
      {"Liz_Conn", {"ee9f8dd8-72d2-4769-8020-89e504b1504b", 73}},
      {"Luigi_Wiegand", {"1ae0605d-e5b8-4d6d-a96d-c93dcbd57e06", 61}}};
  const std::map<std::string, uint64_t> expected_types = {{"Observation", 384},
                                                          {"Claim", 80},
                                                          {"ExplanationOfBenefit", 65},
                                                          {"Encounter", 65},
                                                          {"Immunization", 50},
                                                          {"Procedure", 29},
                                                          {"Condition", 25},
                                                          {"DiagnosticReport", 24},
                                                          {"MedicationRequest", 15},
                                                          {"Organization", 10},
                                                          {"Practitioner", 10},
                                                          {"CarePlan", 9},
                                                          {"Patient", 8},
                                                          {"AllergyIntolerance", 7},
                                                          {"Goal", 5},
                                                          {"ImagingStudy", 1}};
  std::map<std::string, uint64_t> types;
  size_t bundles = 0;
  size_t entries = 0;
  FhirResourceSummarizer summarizer;
  for (const FileInfo& info : *files) {
    if (!info.name.ends_with(".json")) {
      continue;
    }
    ++bundles;
    const std::string prefix = info.name.substr(0, info.name.rfind('_'));
    ASSERT_EQ(per_file.count(prefix), 1u) << info.name;
    const auto& [patient_id, entry_count] = per_file.at(prefix);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(
        std::string json,
        LocalFileSystem::Default().ReadFile(kFixtures + "/fhir-synthea-bundles/" + info.name));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirBundle bundle, ReadBundle(json));
    EXPECT_EQ(bundle.type, "transaction");
    EXPECT_EQ(bundle.entries.size(), entry_count) << prefix;
    entries += bundle.entries.size();
    size_t patients = 0;
    for (const FhirBundleEntry& entry : bundle.entries) {
      EXPECT_EQ(entry.problem, "");
      EXPECT_TRUE(entry.has_resource);
      EXPECT_EQ(entry.request_method, "POST");
      EXPECT_EQ(json.substr(entry.resource_offset, entry.resource_json.size()),
                entry.resource_json);
      MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirResourceSummary s,
                                   summarizer.Summarize(entry.resource_json));
      ++types[s.resource_type];
      EXPECT_EQ(entry.full_url, "urn:uuid:" + s.id);
      EXPECT_EQ(entry.request_url, s.resource_type);
      if (s.resource_type == "Patient") {
        ++patients;
        EXPECT_EQ(s.id, patient_id);
      } else if (s.resource_type == "Observation" || s.resource_type == "Encounter" ||
                 s.resource_type == "Condition") {
        EXPECT_EQ(s.patient_reference, "urn:uuid:" + patient_id);
        EXPECT_TRUE(s.effective.has_value());
      }
    }
    EXPECT_EQ(patients, 1u);
  }
  EXPECT_EQ(bundles, 8u);
  EXPECT_EQ(entries, 787u);
  EXPECT_EQ(types, expected_types);
}

TEST(FhirFixturesTest, SpecExamplesSummarize) {
  struct Example {
    const char* file;
    const char* type;
    const char* id;
    const char* patient;
    const char* effective_path;
  };
  const Example examples[] = {
      {"allergyIntolerance-example1.json", "AllergyIntolerance", "example", "example",
       "onsetDateTime"},
      {"condition-example1.json", "Condition", "example", "example", "onsetDateTime"},
      {"diagnosticReport-example1.json", "DiagnosticReport", "f001", "f001", "issued"},
      {"encounter-example1.json", "Encounter", "example", "example", ""},
      {"immunization-example1.json", "Immunization", "example", "example", "occurrenceDateTime"},
      {"medication-example1.json", "Medication", "medicationexample1", "", ""},
      {"medicationAdministration-example1.json", "MedicationAdministration", "medadminexample03",
       "pat1", "effectivePeriod.start"},
      {"medicationRequest-example1.json", "MedicationRequest", "medrx002", "pat1", "authoredOn"},
      {"observation-example1.json", "Observation", "example", "example", "effectiveDateTime"},
      {"organization-example1.json", "Organization", "hl7", "", ""},
      {"patient-example1.json", "Patient", "example", "example", ""},
      {"practitioner-example1.json", "Practitioner", "example", "", ""},
      {"procedure-example1.json", "Procedure", "example", "example", "performedDateTime"},
  };
  for (const Example& e : examples) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(
        std::string json,
        LocalFileSystem::Default().ReadFile(kFixtures + "/fhir-spec-examples/" + e.file));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirResourceSummary s, SummarizeResource(json));
    EXPECT_EQ(s.resource_type, e.type) << e.file;
    EXPECT_EQ(s.id, e.id) << e.file;
    EXPECT_EQ(s.patient_reference, e.patient) << e.file;
    EXPECT_EQ(s.effective_path, e.effective_path) << e.file;
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      std::string json,
      LocalFileSystem::Default().ReadFile(kFixtures + "/fhir-spec-examples/bundle-example1.json"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirResourceSummary bundle_summary, SummarizeResource(json));
  EXPECT_EQ(bundle_summary.resource_type, "Bundle");
  EXPECT_EQ(bundle_summary.version_id, "9000000000000");
  ASSERT_TRUE(bundle_summary.last_updated_micros.has_value());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirBundle bundle, ReadBundle(json));
  EXPECT_EQ(bundle.type, "transaction");
  ASSERT_EQ(bundle.entries.size(), 2u);
  for (const FhirBundleEntry& entry : bundle.entries) {
    EXPECT_EQ(entry.request_method, "POST");
    // POSTed without id: rejected by default, accepted when ids are optional.
    EXPECT_THAT(SummarizeResource(entry.resource_json),
                StatusIs(StatusCode::kInvalidArgument, "id missing"));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirResourceSummary s,
                                 SummarizeResource(entry.resource_json, SummarizeOptions{false}));
    EXPECT_EQ(s.resource_type, "Patient");
  }
}

// Reads truth/faults.csv: file -> line -> fault kind.
std::map<std::string, std::map<uint64_t, std::string>> ReadFaults(const std::string& dir) {
  std::map<std::string, std::map<uint64_t, std::string>> faults;
  Result<std::string> text = LocalFileSystem::Default().ReadFile(dir + "/truth/faults.csv");
  EXPECT_THAT(text, IsOk());
  std::istringstream in(text.value_or(""));
  std::string row;
  std::getline(in, row);  // header
  while (std::getline(in, row)) {
    std::vector<std::string> cols;
    std::stringstream ss(row);
    std::string col;
    while (std::getline(ss, col, ',')) {
      cols.push_back(col);
    }
    if (cols.size() >= 4) {
      faults[cols[0]][std::stoull(cols[1])] = cols[3];
    }
  }
  return faults;
}

void RunSynthFhir(double error_rate, const std::string& out) {
  synth::SynthOptions options;
  options.patients = 40;
  options.seed = 7;
  options.out_dir = out;
  options.formats = synth::SynthFormats{false, true, false};
  options.error_rate = error_rate;
  options.threads = 1;
  ASSERT_THAT(synth::RunSynth(options, &LocalFileSystem::Default()), IsOk());
}

const char* const kSynthTypes[] = {"Organization",      "Practitioner", "Patient",
                                   "Encounter",         "Condition",    "Observation",
                                   "MedicationRequest", "Immunization", "AllergyIntolerance"};

TEST(FhirFixturesTest, SynthOutputWithoutFaultsLoadsCompletely) {
  TempDir tmp;
  RunSynthFhir(0.0, tmp.Join("out"));
  uint64_t total = 0;
  for (const char* type : kSynthTypes) {
    NdjsonStats stats = ReadNdjson(tmp.Join("out/fhir/") + type + ".ndjson");
    EXPECT_TRUE(stats.rejected_lines.empty()) << type;
    EXPECT_EQ(stats.accepted, stats.lines);
    total += stats.accepted;
  }
  EXPECT_GT(total, 1000u);
}

TEST(FhirFixturesTest, SynthFaultsAreRejectedAndNothingElse) {
  TempDir tmp;
  RunSynthFhir(0.2, tmp.Join("out"));
  auto faults = ReadFaults(tmp.Join("out"));
  uint64_t malformed = 0;
  uint64_t bad_dates = 0;
  for (const char* type : kSynthTypes) {
    const std::string rel = std::string("fhir/") + type + ".ndjson";
    NdjsonStats stats = ReadNdjson(tmp.Join("out/") + rel);
    EXPECT_EQ(stats.accepted + stats.rejected_lines.size(), stats.lines);
    const auto& file_faults = faults[rel];
    // No false rejections: every rejected line is a listed fault.
    for (uint64_t line : stats.rejected_lines) {
      EXPECT_EQ(file_faults.count(line), 1u) << rel << ":" << line;
    }
    for (const auto& [line, kind] : file_faults) {
      if (kind == "fhir_malformed_json") {
        ++malformed;
        EXPECT_EQ(stats.rejected_lines.count(line), 1u) << rel << ":" << line << " " << kind;
      }
      // A bad date in the effective-time element is an envelope error (Patient's is birthDate,
      // which is not part of the envelope).
      if (kind == "fhir_bad_date" && std::string(type) != "Patient") {
        ++bad_dates;
        EXPECT_EQ(stats.rejected_lines.count(line), 1u) << rel << ":" << line << " " << kind;
      }
    }
  }
  EXPECT_GT(malformed, 10u);
  EXPECT_GT(bad_dates, 10u);
}

}  // namespace
}  // namespace medlake::ingest::fhir
