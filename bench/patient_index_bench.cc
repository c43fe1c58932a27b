// patient_index_bench: generates N synthetic patients (HL7 v2 + FHIR), loads them in two
// steps (first FHIR and the HL7 of primary care and four hospitals, then the other HL7
// sources: new source records of known residents), and times the enterprise patient index (pipeline/patient_index.h) on them: a full
// run on the first period, an idle run, an incremental run after the second period, a full
// rebuild, and a full rebuild with every identifier withheld from half of the records. Prints
// records, persons, precision, recall and F1 against the generator's truth for each.
//
//   patient_index_bench [--patients N] [--dir DIR] [--start D] [--end D] [--threads T]
//
// DIR (default /tmp/medlake-pidx-bench-<N>) keeps the generated files and the lake; a second
// invocation reuses them and only times the index again. Run on a release build.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/file_system.h"
#include "engine/lake_session.h"
#include "ingest/fhir_loader.h"
#include "ingest/hl7_loader.h"
#include "pipeline/model.h"
#include "pipeline/patient_index.h"
#include "pipeline/runner.h"
#include "storage/lake.h"
#include "synth/generator.h"

namespace {

using medlake::Result;
using medlake::Status;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void Die(const std::string& what, const Status& st) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), st.ToString().c_str());
  std::exit(1);
}

struct Options {
  int patients = 100000;
  std::string dir;
  std::string start = "2015-01-01";
  std::string end = "2025-12-31";
  int threads = 2;
};

// Generates one period into `out` unless it is there already.
void Generate(const Options& o, const std::string& out, const std::string& start, const std::string& end) {
  auto exists = medlake::LocalFileSystem::Default().Exists(out + "/manifest.json");
  if (exists.ok() && *exists) return;
  medlake::synth::SynthOptions s;
  s.patients = o.patients;
  s.seed = 2026;
  s.out_dir = out;
  s.formats.csv = false;
  s.start = start;
  s.end = end;
  s.threads = o.threads;
  auto t = std::chrono::steady_clock::now();
  auto summary = medlake::synth::RunSynth(s, &medlake::LocalFileSystem::Default());
  if (!summary.ok()) Die("generating " + out, summary.status());
  std::printf("generated %s..%s in %.1f s\n", start.c_str(), end.c_str(), Seconds(t));
}

void Ingest(medlake::engine::LakeSession& session, const std::vector<std::string>& dirs) {
  medlake::ingest::IngestOptions io;
  io.progress = false;
  auto t = std::chrono::steady_clock::now();
  for (const auto& dir : dirs) {
    bool fhir = dir.size() >= 5 && dir.compare(dir.size() - 5, 5, "/fhir") == 0;
    auto r = fhir ? medlake::ingest::IngestFhirFiles(session, {dir}, io) : medlake::ingest::IngestHl7Files(session, {dir}, io);
    if (!r.ok()) Die("ingesting " + dir, r.status());
  }
  std::printf("ingested %zu folders in %.1f s\n", dirs.size(), Seconds(t));
}

void BuildPatients(medlake::engine::LakeSession& session, bool full_refresh) {
  auto models = medlake::pipeline::LoadModels("/nonexistent-project");
  if (!models.ok()) Die("loading models", models.status());
  medlake::pipeline::RunOptions ro;
  ro.selection = {"normalized.patient"};
  ro.full_refresh = full_refresh;
  auto t = std::chrono::steady_clock::now();
  auto runs = medlake::pipeline::RunModels(session, *models, ro);
  if (!runs.ok()) Die("building normalized.patient", runs.status());
  for (const auto& r : *runs) {
    if (r.outcome != medlake::pipeline::ModelRun::Outcome::kBuilt) {
      Die("building " + r.model, medlake::Internal(r.reason));
    }
  }
  std::printf("normalized.patient built in %.1f s\n", Seconds(t));
}

void Measure(medlake::engine::LakeSession& session, const std::string& label, const std::string& truth,
             const medlake::pipeline::PatientIndexOptions& options) {
  auto t = std::chrono::steady_clock::now();
  auto report = medlake::pipeline::UpdatePatientIndex(session, options);
  double seconds = Seconds(t);
  if (!report.ok()) Die(label, report.status());
  auto q = medlake::pipeline::EvaluatePatientIndex(session, truth);
  if (!q.ok()) Die("evaluating " + label, q.status());
  std::printf("| %-34s | %9lld | %9lld | %8lld | %10lld | %9.5f | %9.5f | %9.5f | %7lld | %8.2f |\n", label.c_str(),
              static_cast<long long>(q->records), static_cast<long long>(report->records_read),
              static_cast<long long>(report->persons_total), static_cast<long long>(report->candidate_pairs),
              q->precision, q->recall, q->f1, static_cast<long long>(report->review_pairs), seconds);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--patients") {
      o.patients = std::atoi(v.c_str());
    } else if (k == "--dir") {
      o.dir = v;
    } else if (k == "--start") {
      o.start = v;
    } else if (k == "--end") {
      o.end = v;
    } else if (k == "--threads") {
      o.threads = std::atoi(v.c_str());
    } else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (o.dir.empty()) o.dir = "/tmp/medlake-pidx-bench-" + std::to_string(o.patients);
  Generate(o, o.dir + "/gen", o.start, o.end);
  const std::string gen = o.dir + "/gen";
  // Step 1: the regional master, primary care and the 19 Madrid city hospitals; step 2 (new
  // records of known residents): the 18 other hospitals, the laboratory and e-prescription.
  std::vector<std::string> step1 = {gen + "/fhir", gen + "/hl7/AP"};
  std::vector<std::string> step2;
  for (int h = 1; h <= 37; ++h) {
    char his[32];
    std::snprintf(his, sizeof his, "/hl7/HIS_H%02d", h);
    (h <= 19 ? step1 : step2).push_back(gen + his);
  }
  step2.push_back(gen + "/hl7/LAB");
  step2.push_back(gen + "/hl7/RECETA");

  const std::string lake_dir = o.dir + "/lake";
  bool fresh = false;
  auto lake = medlake::storage::Lake::Open(lake_dir);
  if (!lake.ok()) {
    lake = medlake::storage::Lake::Create(lake_dir);
    fresh = true;
  }
  if (!lake.ok()) Die("opening the lake", lake.status());
  medlake::engine::LakeSessionOptions so;
  so.threads = 2;
  auto session = medlake::engine::LakeSession::Open(**lake, so);
  if (!session.ok()) Die("opening a session", session.status());
  auto& s = **session;
  const std::string truth = gen + "/truth/source_records.csv";
  std::printf("\npatients %d, events %s..%s, DuckDB threads 2\n\n", o.patients, o.start.c_str(), o.end.c_str());
  if (fresh) {
    Ingest(s, step1);
    BuildPatients(s, false);
  } else {
    // Start again from the first period's state: drop what the index wrote.
    for (const char* t : {"normalized.person_link", "normalized.person_link_review", "normalized.person_id_map"}) {
      Status st = s.Run(std::string("DROP TABLE IF EXISTS ") + t,
                        [](size_t, medlake::engine::StatementOutcome&) { return Status::OK(); });
      if (!st.ok()) Die("dropping", st);
    }
  }
  std::printf("\n| run | records (truth) | records read | persons | pairs scored | precision | recall | F1 | review | seconds |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  medlake::pipeline::PatientIndexOptions incremental;
  Measure(s, fresh ? "full (step 1, EM)" : "full (all data, EM)", truth, incremental);
  Measure(s, "idle (nothing new)", truth, incremental);
  if (fresh) {
    Ingest(s, step2);
    BuildPatients(s, false);
    Measure(s, "incremental (step 2: 5 more sources)", truth, incremental);
  }
  medlake::pipeline::PatientIndexOptions full;
  full.full_rebuild = true;
  Measure(s, "full rebuild (stored weights)", truth, full);
  full.reestimate_weights = true;
  Measure(s, "full rebuild (EM again)", truth, full);

  // Harder: no identifiers on half of the records (undone below by rebuilding normalized.patient).
  Status st = s.Run(
      "UPDATE normalized.patient SET national_id = NULL, health_card_id = NULL, social_security_id = NULL "
      "WHERE hash(source_key) % 2 = 0",
      [](size_t, medlake::engine::StatementOutcome&) { return Status::OK(); });
  if (!st.ok()) Die("withholding identifiers", st);
  Measure(s, "ids withheld from 50% (EM again)", truth, full);
  // Put the identifiers back for the next invocation.
  BuildPatients(s, true);
  return 0;
}
