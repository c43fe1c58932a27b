// synth/generator.h: `medlake synth`, the deterministic generator of a synthetic regional
// health service, as a library call.
//
// RunSynth generates `patients` residents of a Madrid-like region and writes what its source
// systems would send (HL7 v2 files, FHIR R4 bulk NDJSON, a legacy CSV extract with its
// contract), the ground truth (truth/source_records.csv, truth/faults.csv,
// truth/csv_quirks.csv) and manifest.json with counts per file and per message/resource type.
// Layout and formats: src/synth/README.md.
//
// Determinism: the output depends only on the options (not on `threads`, the machine or the
// clock): patient i's data is drawn from a stream derived from (seed, i), batches are written in
// patient order, and nothing reads the wall clock.
//
// Memory: bounded by threads * 2 batches of `batch_size` patients plus one write buffer per
// open file; independent of `patients`.
//
// Thread-safety: RunSynth may be called from any thread; concurrent calls must use distinct
// output directories.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/file_system.h"
#include "core/status.h"

namespace medlake::synth {

struct SynthFormats {
  bool hl7 = true;
  bool fhir = true;          // bulk NDJSON, one file per resource type
  bool csv = true;
  bool fhir_bundles = false;  // one FHIR transaction Bundle per patient (not a default: doubles FHIR output)
};

struct SynthOptions {
  uint64_t patients = 1000;            // --patients, 1 .. 500,000,000
  uint64_t seed = 1;                   // --seed
  std::string out_dir;                 // --out: must not exist or be empty
  SynthFormats formats;                // --formats hl7,fhir,csv
  double error_rate = 0.0;             // --error-rate: probability that a record is faulty, [0, 1]
  std::string start = "2015-01-01";    // --start (YYYY-MM-DD), first day of generated events
  std::string end = "2025-12-31";      // --end (YYYY-MM-DD), last day, inclusive
  uint64_t patients_per_file = 10000;  // --patients-per-file: HL7 and CSV files roll over
  // --hl7-file-per-message: each HL7 message in a file of its own,
  // hl7/<SOURCE>/<NNNNNN>/<MSH-10>.hl7, instead of many per file.
  bool hl7_file_per_message = false;
  int threads = 2;                     // --threads: generator threads (0 or 1: generate inline)
  uint64_t batch_size = 256;           // patients per unit of work (tests may lower it)
};

struct SynthSummary {
  uint64_t patients = 0;
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t hl7_messages = 0;
  uint64_t fhir_resources = 0;
  uint64_t csv_rows = 0;
  uint64_t faults = 0;
};

// Parses a comma-separated list of "hl7", "fhir", "csv", "fhir-bundles". InvalidArgument on an unknown or empty
// list.
Result<SynthFormats> ParseSynthFormats(std::string_view text);

// Called after each written batch with (patients done, patients total), on the calling thread.
using SynthProgress = std::function<void(uint64_t done, uint64_t total)>;

// Runs the generator. Returns InvalidArgument for bad options (counts, rate, dates),
// AlreadyExists when out_dir exists and is not empty, IOError when writing fails. `fs` must
// outlive the call; `progress` may be empty.
Result<SynthSummary> RunSynth(const SynthOptions& options, FileSystem* fs,
                              const SynthProgress& progress = {});

}  // namespace medlake::synth
