// ingest/csv_loader.h: `medlake ingest csv --contract FILE PATH...`: CSV extracts of legacy
// applications into raw.<table> (typed per the source contract, ingest/csv/README.md), each row
// with lineage and its original bytes; rows that break the contract into raw.quarantine.
//
// A file whose header does not match the contract is not loaded: it is reported as schema drift
// (one quarantine record with the header line and the differences), and can be loaded once the
// contract is updated (it is not recorded as loaded).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "ingest/csv/contract.h"
#include "ingest/file_ingest.h"

namespace medlake::ingest {

// The CREATE TABLE statement of the contract's raw table.
Result<std::string> CsvRawTableDdl(const csv::SourceContract& contract);

Result<IngestSummary> IngestCsvFiles(engine::LakeSession& session, const std::string& contract_path,
                                     const std::vector<std::string>& paths, const IngestOptions& options);

}  // namespace medlake::ingest
