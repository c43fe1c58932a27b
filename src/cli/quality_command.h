// cli/quality_command.h: `medlake quality [--model NS.TABLE] [--history]`: the data quality
// scorecard of the last run of each model, per source, plus what ingestion quarantined.
#pragma once

#include <cstdio>
#include <string>

#include "cli/result_writer.h"

namespace medlake::cli {

struct QualityCommandOptions {
  std::string lake;
  std::string model;     // only this model ("" = all)
  bool history = false;  // also list every run's failing rules, newest first
  OutputFormat format = OutputFormat::kTable;
};

// The SQL the command runs (for tests and docs): scorecard per source, failing rules of the
// latest run, quarantine by kind and reason; `history` adds the failing rules of every run.
std::string QualityReportSql(const QualityCommandOptions& options);

// Prints the report. Exit status 0, or 1 when the lake cannot be read; a lake without quality
// results prints a note.
int RunQualityCommand(const QualityCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace medlake::cli
