// ingest/fhir_loader.h: `medlake ingest fhir`: FHIR R4 bulk NDJSON files and Bundles of any type
// (or single resources) into raw.fhir_resources; what fails the resource checks into
// raw.quarantine.
//
// A file named *.ndjson or *.jsonl is read line by line in bounded memory; any other file is one
// JSON document (a Bundle, split into its entries, or a single resource), read whole (limit:
// documents up to 1 GiB).
#pragma once

#include "core/status.h"
#include "ingest/file_ingest.h"

namespace medlake::ingest {

// The FileLoader for FHIR files (see file_ingest.h).
Status LoadFhirFile(FileContext& ctx);

// Loads FHIR files into the raw layer.
Result<IngestSummary> IngestFhirFiles(engine::LakeSession& session, const std::vector<std::string>& paths,
                                      const IngestOptions& options);

}  // namespace medlake::ingest
