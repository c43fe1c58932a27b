#include "cli/synth_command.h"

#include <chrono>

#include "core/file_system.h"
#include "core/progress.h"

namespace medlake::cli {

int RunSynthCommand(const synth::SynthOptions& options, std::FILE* out, std::FILE* err) {
  ProgressBar bar("synth", options.patients, err);
  const auto started = std::chrono::steady_clock::now();
  auto summary = synth::RunSynth(options, &LocalFileSystem::Default(),
                                 [&bar](uint64_t done, uint64_t) { bar.Set(done); });
  bar.Finish();
  if (!summary.ok()) {
    std::fprintf(err, "Error: %s\n", summary.status().ToString().c_str());
    return summary.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(out,
               "generated %llu patients into %s: %llu HL7 messages, %llu FHIR resources, "
               "%llu CSV rows, %llu faults, %llu files, %.1f MiB in %.1f s\n",
               static_cast<unsigned long long>(summary->patients), options.out_dir.c_str(),
               static_cast<unsigned long long>(summary->hl7_messages),
               static_cast<unsigned long long>(summary->fhir_resources),
               static_cast<unsigned long long>(summary->csv_rows),
               static_cast<unsigned long long>(summary->faults),
               static_cast<unsigned long long>(summary->files),
               static_cast<double>(summary->bytes) / (1024.0 * 1024.0), seconds);
  return 0;
}

}  // namespace medlake::cli
