#include "cli/ingest_command.h"

#include "cli/catalog_command.h"

#include "cli/sql_command.h"
#include "engine/lake_session.h"
#include "ingest/fhir_loader.h"
#include "ingest/csv_loader.h"
#include "ingest/hl7_loader.h"

namespace medlake::cli {

int RunIngestCommand(const IngestCommandOptions& options, std::FILE* out, std::FILE* err) {
  auto lake = OpenOrCreateLake(options.lake, err);
  if (!lake.ok()) {
    std::fprintf(err, "Error: %s\n", lake.status().ToString().c_str());
    return 1;
  }
  auto session = engine::LakeSession::Open(**lake);
  if (!session.ok()) {
    std::fprintf(err, "Error: %s\n", session.status().ToString().c_str());
    return 1;
  }
  Result<ingest::IngestSummary> summary = Unimplemented("ingest " + options.kind);
  if (options.kind == "fhir") {
    summary = ingest::IngestFhirFiles(**session, options.paths, options.ingest);
  } else if (options.kind == "hl7") {
    summary = ingest::IngestHl7Files(**session, options.paths, options.ingest);
  } else if (options.kind == "csv") {
    summary = ingest::IngestCsvFiles(**session, options.contract, options.paths, options.ingest);
  } else {
    std::fprintf(err, "Error: ingest %s is not available yet\n", options.kind.c_str());
    return 2;
  }
  if (!summary.ok()) {
    std::fprintf(err, "Error: %s\n", summary.status().ToString().c_str());
    return 1;
  }
  std::fprintf(out,
               "ingest %s: %lld files loaded, %lld skipped as already loaded; %lld received, %lld "
               "accepted, %lld quarantined\n",
               options.kind.c_str(), static_cast<long long>(summary->files),
               static_cast<long long>(summary->files_skipped), static_cast<long long>(summary->received),
               static_cast<long long>(summary->accepted), static_cast<long long>(summary->quarantined));
  if (summary->accepted + summary->quarantined > 0) {
    std::vector<storage::TableIdentifier> raw;
    auto tables = (*session)->catalog().ListTables("raw");
    if (tables.ok()) raw = *tables;
    auto line = ClassifyWrittenTables(**session, **lake, raw, /*propagate=*/false);
    if (line.ok()) {
      std::fprintf(out, "%s\n", line->c_str());
    } else {
      std::fprintf(err, "Warning: classification: %s\n", line.status().ToString().c_str());
    }
  }
  return 0;
}

}  // namespace medlake::cli
