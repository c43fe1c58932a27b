// cli/ingest_command.h: `medlake ingest hl7|fhir|csv PATH...`.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "ingest/file_ingest.h"

namespace medlake::cli {

struct IngestCommandOptions {
  std::string lake;
  std::string kind;  // "hl7", "fhir", "csv"
  std::vector<std::string> paths;
  std::string contract;  // csv: the source contract file
  ingest::IngestOptions ingest;
};

// Loads the files and prints a summary line to `out`. Exit status 0 when the load ran (records
// may have been quarantined), 1 when it failed, 2 for usage errors.
int RunIngestCommand(const IngestCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace medlake::cli
