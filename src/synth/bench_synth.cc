// bench_synth: measures `medlake synth` throughput, peak memory and output size per patient.
//
//   medlake_synth_bench [patients] [out_dir] [threads] [formats]
//
// Prints one line of key=value pairs (patients/second, peak RSS in MiB, bytes per patient).
// The output directory must not exist or be empty; it is left in place for inspection.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "synth/generator.h"

#include "core/file_system.h"

int main(int argc, char** argv) {
  medlake::synth::SynthOptions options;
  options.patients = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000;
  options.out_dir = argc > 2 ? argv[2] : "/tmp/medlake-synth-bench";
  options.threads = argc > 3 ? std::atoi(argv[3]) : 2;
  if (argc > 4) {
    auto formats = medlake::synth::ParseSynthFormats(argv[4]);
    if (!formats.ok()) {
      std::fprintf(stderr, "%s\n", formats.status().ToString().c_str());
      return 2;
    }
    options.formats = *formats;
  }
  options.seed = 20240601;
  const auto t0 = std::chrono::steady_clock::now();
  auto summary = medlake::synth::RunSynth(options, &medlake::LocalFileSystem::Default());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!summary.ok()) {
    std::fprintf(stderr, "%s\n", summary.status().ToString().c_str());
    return 1;
  }
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "patients=%llu threads=%d seconds=%.2f patients_per_second=%.0f peak_rss_mib=%.1f "
      "bytes=%llu bytes_per_patient=%.0f hl7_messages=%llu fhir_resources=%llu csv_rows=%llu\n",
      static_cast<unsigned long long>(summary->patients), options.threads, secs,
      static_cast<double>(summary->patients) / secs, static_cast<double>(usage.ru_maxrss) / 1024.0,
      static_cast<unsigned long long>(summary->bytes),
      static_cast<double>(summary->bytes) / static_cast<double>(summary->patients),
      static_cast<unsigned long long>(summary->hl7_messages),
      static_cast<unsigned long long>(summary->fhir_resources),
      static_cast<unsigned long long>(summary->csv_rows));
  return 0;
}
