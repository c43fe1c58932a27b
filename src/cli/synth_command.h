// cli/synth_command.h: `medlake synth`: generates a synthetic regional health service (HL7 v2,
// FHIR R4 NDJSON, legacy CSV with its contract, ground truth) into a directory. Thin over
// synth/generator.h, which documents the options and the output.
#pragma once

#include <cstdio>
#include <string>

#include "synth/generator.h"

namespace medlake::cli {

// Runs the generator with `options` on the local file system. Draws a progress bar on `err`
// when it is a terminal, then prints a one-line summary (counts, bytes, elapsed time) to
// `out`. Errors go to `err`. Returns the process exit status: 0 on success, 2 for invalid
// options, 1 for any other failure (existing non-empty directory, I/O).
int RunSynthCommand(const synth::SynthOptions& options, std::FILE* out, std::FILE* err);

// After generating, sends the HL7 v2 output to an MLLP listener ("host:port"), waiting for each
// acknowledgment, and prints the counts. Exit status as RunSynthCommand; 1 when sending fails.
int SendSynthHl7(const synth::SynthOptions& options, const std::string& host_port, std::FILE* out,
                 std::FILE* err);

}  // namespace medlake::cli
