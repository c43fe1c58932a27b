// cli/run_command.h: `medlake run [MODEL...] [--full-refresh] [--project DIR]`.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace medlake::cli {

struct RunCommandOptions {
  std::string lake;
  std::string project;  // empty: <lake>/project
  std::vector<std::string> models;
  bool full_refresh = false;
};

// Runs the models (pipeline::RunModels) and prints one line per model to `out`. Exit status 0
// when no model failed (a model skipped for lack of source data is not a failure), 1 when one
// failed or the run could not start (message on `err`).
int RunRunCommand(const RunCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace medlake::cli
