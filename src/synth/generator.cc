#include "synth/generator.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "synth/csv_writer.h"
#include "synth/faults.h"
#include "synth/fhir_writer.h"
#include "synth/history.h"
#include "synth/hl7_writer.h"
#include "synth/population.h"
#include "synth/synth_output.h"

namespace medlake::synth {

Result<SynthFormats> ParseSynthFormats(std::string_view text) {
  SynthFormats f{false, false, false, false};
  size_t start = 0;
  bool any = false;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos)
      comma = text.size();
    const std::string_view item = text.substr(start, comma - start);
    if (item == "hl7") {
      f.hl7 = true;
    } else if (item == "fhir") {
      f.fhir = true;
    } else if (item == "csv") {
      f.csv = true;
    } else if (item == "fhir-bundles") {
      f.fhir_bundles = true;
    } else {
      return InvalidArgument("unknown format \"" + std::string(item) +
                             "\" (expected hl7, fhir, csv, fhir-bundles)");
    }
    any = true;
    start = comma + 1;
  }
  if (!any)
    return InvalidArgument("no output format given");
  return f;
}

namespace {

struct Plan {
  Region region;
  Window window;
  SynthOptions options;
};

struct BatchRange {
  uint64_t first = 0;
  uint64_t count = 0;
};

bool RecordEnabled(const Region& region, const SynthFormats& f, int source) {
  const SourceKind kind = region.sources[static_cast<size_t>(source)].kind;
  if (kind == SourceKind::kFhirGateway)
    return f.fhir;
  if (kind == SourceKind::kLegacyLabCsv)
    return f.csv;
  return f.hl7;
}

void AppendSourceRecords(const Plan& plan, const PatientHistory& h, BatchOutput* out) {
  for (const SourceRecord& r : h.records) {
    if (!RecordEnabled(plan.region, plan.options.formats, r.source))
      continue;
    const SourceSystem& src = plan.region.sources[static_cast<size_t>(r.source)];
    std::string& s = out->source_records;
    AppendCsvField(&s, src.code);
    s += ',';
    AppendCsvField(&s, r.local_id);
    s += ',';
    s += h.person.person_id;
    s += r.duplicate ? ",true," : ",false,";
    if (r.duplicate && r.merged_at) {
      for (const SourceRecord& p : h.records) {
        if (p.source == r.source && !p.duplicate)
          AppendCsvField(&s, p.local_id);
      }
    }
    s += ',';
    AppendCsvField(&s, r.discrepancy);
    s += '\n';
    ++out->source_record_rows;
    out->Count("truth/source_records/" + src.code);
  }
}

BatchOutput GenerateBatch(const Plan& plan, const BatchRange& range) {
  BatchOutput out;
  out.first_patient = range.first;
  out.patients = range.count;
  const uint64_t file_number = range.first / plan.options.patients_per_file;
  out.file_number = file_number;
  for (uint64_t i = range.first; i < range.first + range.count; ++i) {
    const PatientHistory h = GeneratePatientHistory(plan.region, plan.window, plan.options.seed, i);
    FaultInjector faults(plan.options.error_rate, plan.options.seed, i);
    if (plan.options.formats.fhir || plan.options.formats.fhir_bundles) {
      RenderFhir(plan.region, h, {plan.options.formats.fhir, plan.options.formats.fhir_bundles},
                 file_number, &faults, &out);
    }
    if (plan.options.formats.hl7)
      RenderHl7(plan.region, h, file_number, &faults, &out, plan.options.hl7_file_per_message);
    if (plan.options.formats.csv) {
      RenderLegacyLabCsv(plan.region, h, plan.options.seed, file_number, &faults, &out);
    }
    AppendSourceRecords(plan, h, &out);
    out.Count("population/persons");
    if (h.person.death)
      out.Count("population/deaths");
    if (h.person.birth >= plan.window.start)
      out.Count("population/births");
    out.Count("population/moves", h.person.addresses.size() - 1);
    out.Count("clinical/encounters", h.encounters.size());
    out.Count("clinical/conditions", h.conditions.size());
    out.Count("clinical/observations", h.observations.size());
    out.Count("clinical/lab_orders", h.lab_orders.size());
    out.Count("clinical/medication_requests", h.medications.size());
    out.Count("clinical/immunizations", h.immunizations.size());
    out.Count("clinical/allergies", h.allergies.size());
  }
  return out;
}

// Generates batches on `threads` workers and hands them to `sink` in order. At most
// 2 * threads batches are in memory at once.
Status RunPipeline(const Plan& plan, const std::vector<BatchRange>& batches, int threads,
                   const std::function<Status(BatchOutput)>& sink) {
  if (threads <= 1) {
    for (const BatchRange& r : batches)
      MEDLAKE_RETURN_IF_ERROR(sink(GenerateBatch(plan, r)));
    return Status::OK();
  }
  std::mutex mu;
  std::condition_variable cv;
  size_t next = 0;                      // next batch to start (guarded by mu)
  size_t written = 0;                   // batches handed to the sink (guarded by mu)
  bool stop = false;                    // guarded by mu
  std::map<size_t, BatchOutput> ready;  // guarded by mu
  const size_t window = static_cast<size_t>(threads) * 2;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (;;) {
        size_t mine;
        {
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [&] { return stop || next >= batches.size() || next < written + window; });
          if (stop || next >= batches.size())
            return;
          mine = next++;
        }
        BatchOutput out = GenerateBatch(plan, batches[mine]);
        {
          std::lock_guard<std::mutex> lock(mu);
          ready.emplace(mine, std::move(out));
        }
        cv.notify_all();
      }
    });
  }
  Status status;
  for (size_t b = 0; b < batches.size() && status.ok(); ++b) {
    BatchOutput out;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return ready.count(b) > 0; });
      out = std::move(ready[b]);
      ready.erase(b);
    }
    status = sink(std::move(out));
    {
      std::lock_guard<std::mutex> lock(mu);
      written = b + 1;
      if (!status.ok())
        stop = true;
    }
    cv.notify_all();
  }
  for (auto& w : workers)
    w.join();
  return status;
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

Result<SynthSummary> RunSynth(const SynthOptions& options, FileSystem* fs,
                              const SynthProgress& progress) {
  if (options.patients < 1 || options.patients > kMaxPatients) {
    return InvalidArgument("--patients must be between 1 and " + std::to_string(kMaxPatients));
  }
  if (!(options.error_rate >= 0.0 && options.error_rate <= 1.0)) {
    return InvalidArgument("--error-rate must be between 0 and 1");
  }
  if (options.out_dir.empty())
    return InvalidArgument("--out is required");
  if (options.patients_per_file < 1)
    return InvalidArgument("--patients-per-file must be >= 1");
  if (options.batch_size < 1)
    return InvalidArgument("batch size must be >= 1");
  if (options.threads < 0 || options.threads > 64) {
    return InvalidArgument("--threads must be between 0 and 64");
  }
  if (!options.formats.hl7 && !options.formats.fhir && !options.formats.csv &&
      !options.formats.fhir_bundles) {
    return InvalidArgument("no output format selected");
  }
  const std::optional<Date> start = ParseIsoDate(options.start);
  const std::optional<Date> end = ParseIsoDate(options.end);
  if (!start)
    return InvalidArgument("--start is not a YYYY-MM-DD date");
  if (!end)
    return InvalidArgument("--end is not a YYYY-MM-DD date");
  if (*end < *start)
    return InvalidArgument("--end is before --start");
  if (YmdFromDate(*start).year < 1950 || YmdFromDate(*end).year > 2100) {
    return InvalidArgument("--start/--end must lie within 1950..2100");
  }
  MEDLAKE_ASSIGN_OR_RETURN(bool exists, fs->Exists(options.out_dir));
  if (exists) {
    MEDLAKE_ASSIGN_OR_RETURN(auto entries, fs->ListDirectory(options.out_dir));
    if (!entries.empty()) {
      return AlreadyExists("output directory " + options.out_dir + " is not empty");
    }
  }

  Plan plan;
  plan.region = BuildRegion(options.seed);
  plan.window = {*start, *end};
  plan.options = options;

  MEDLAKE_ASSIGN_OR_RETURN(auto writer, OutputWriter::Open(fs, options.out_dir));
  if (options.formats.fhir || options.formats.fhir_bundles) {
    BatchOutput region_out;
    RenderFhirRegion(plan.region, {options.formats.fhir, options.formats.fhir_bundles}, &region_out);
    MEDLAKE_RETURN_IF_ERROR(writer->Append(std::move(region_out)));
  }
  if (options.formats.csv) {
    MEDLAKE_RETURN_IF_ERROR(
        writer->WriteWholeFile(std::string(kLegacyLabContractPath), LegacyLabContract()));
  }

  // Batches never straddle a file boundary, so every batch writes to one file number.
  std::vector<BatchRange> batches;
  for (uint64_t first = 0; first < options.patients;) {
    const uint64_t file_end = (first / options.patients_per_file + 1) * options.patients_per_file;
    uint64_t last = std::min({first + options.batch_size, file_end, options.patients});
    batches.push_back({first, last - first});
    first = last;
  }
  uint64_t done = 0;
  MEDLAKE_RETURN_IF_ERROR(RunPipeline(plan, batches, options.threads, [&](BatchOutput b) {
    done += b.patients;
    Status s = writer->Append(std::move(b));
    if (s.ok() && progress)
      progress(done, options.patients);
    return s;
  }));

  std::string extra;
  extra += "\"generator\": \"medlake synth\",\n";
  extra += "  \"seed\": " + std::to_string(options.seed) + ",\n";
  extra += "  \"patients\": " + std::to_string(options.patients) + ",\n";
  extra += "  \"start\": " + Quoted(FormatIsoDate(*start)) + ",\n";
  extra += "  \"end\": " + Quoted(FormatIsoDate(*end)) + ",\n";
  std::string formats;
  if (options.formats.hl7)
    formats += "\"hl7\"";
  if (options.formats.fhir)
    formats += std::string(formats.empty() ? "" : ", ") + "\"fhir\"";
  if (options.formats.csv)
    formats += std::string(formats.empty() ? "" : ", ") + "\"csv\"";
  if (options.formats.fhir_bundles)
    formats += std::string(formats.empty() ? "" : ", ") + "\"fhir-bundles\"";
  extra += "  \"formats\": [" + formats + "],\n";
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.6f", options.error_rate);
  extra += "  \"error_rate\": " + std::string(rate) + ",\n";
  extra += "  \"patients_per_file\": " + std::to_string(options.patients_per_file) + ",\n";
  extra += std::string("  \"hl7_file_per_message\": ") + (options.hl7_file_per_message ? "true" : "false") + ",\n";
  extra += "  \"region\": {\"hospitals\": " + std::to_string(plan.region.hospitals.size()) +
           ", \"primary_care_centres\": " + std::to_string(plan.region.centres.size()) +
           ", \"practitioners\": " + std::to_string(plan.region.practitioners.size()) + "}";
  MEDLAKE_RETURN_IF_ERROR(writer->Finish(extra));

  SynthSummary summary;
  summary.patients = options.patients;
  for (const auto& [path, stats] : writer->files()) {
    ++summary.files;
    summary.bytes += stats.bytes;
  }
  for (const auto& [key, n] : writer->counts()) {
    if (key.rfind("hl7/", 0) == 0)
      summary.hl7_messages += n;
    if (key.rfind("fhir/", 0) == 0)
      summary.fhir_resources += n;
    if (key.rfind("csv/", 0) == 0)
      summary.csv_rows += n;
  }
  summary.faults = writer->faults();
  return summary;
}

}  // namespace medlake::synth
