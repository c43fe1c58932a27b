// ingest/raw_tables.h: the raw layer's tables (ARCHITECTURE.md section 2) and their SQL.
//
//   raw.hl7_messages    one row per HL7 v2 message, payload byte-exact (BLOB)
//   raw.fhir_resources  one row per FHIR resource, payload as received (JSON text)
//   raw.quarantine      one row per rejected message, line, resource or chunk, with the reason
//   raw.ingested_files  one row per loaded file: the idempotency registry of file loads
// CSV extracts get raw.<source>_<table> tables built from their contracts (ingest/csv).
// Every row carries lineage: when it was received, the load batch, the source kind, the origin
// (file path or peer), the byte offset or line, and the SHA-256 of its bytes.
// Formats are described in docs/formats/raw_tables.md.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/lake_session.h"

namespace medlake::ingest {

inline constexpr const char* kRawNamespace = "raw";

// The CREATE TABLE IF NOT EXISTS statements of the fixed raw tables.
const std::vector<std::string>& RawTableDdl();

// Creates the raw namespace and tables when they are missing. Safe to call every time.
Status EnsureRawTables(engine::LakeSession& session);

// Records, once, the lineage edge `external:<kind>` -> `table` (e.g. "external:hl7" ->
// "raw.hl7_messages") in lineage.edges (docs/formats/pipeline_models.md, "Lineage").
Status RecordIngestLineage(engine::LakeSession& session, const std::string& kind, const std::string& table);

}  // namespace medlake::ingest
