#include "cli/synth_command.h"

#include <chrono>

#include "core/file_system.h"
#include "core/progress.h"
#include "synth/mllp_sender.h"

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

int SendSynthHl7(const synth::SynthOptions& options, const std::string& host_port, std::FILE* out,
                 std::FILE* err) {
  std::string host;
  int port = 0;
  Status parsed = synth::ParseHostPort(host_port, &host, &port);
  if (!parsed.ok()) {
    std::fprintf(err, "Error: %s\n", parsed.ToString().c_str());
    return 2;
  }
  auto sent = synth::SendHl7Folder(options.out_dir + "/hl7", host, port);
  if (!sent.ok()) {
    std::fprintf(err, "Error: %s\n", sent.status().ToString().c_str());
    return 1;
  }
  std::fprintf(out, "sent %llu HL7 messages to %s: %llu accepted, %llu errors, %llu rejected\n",
               static_cast<unsigned long long>(sent->sent), host_port.c_str(),
               static_cast<unsigned long long>(sent->accepted),
               static_cast<unsigned long long>(sent->errors),
               static_cast<unsigned long long>(sent->rejected));
  return 0;
}

}  // namespace medlake::cli
