// ingest/file_ingest.h: file loads into the raw layer (`medlake ingest hl7|fhir|csv PATH...`).
//
// Paths may be files or directories (walked recursively, sorted, hidden files skipped). Each
// file is hashed (SHA-256 of its bytes); a file whose hash is in raw.ingested_files is skipped
// unless `force`. Records are parsed by the format's loader; accepted ones go to the format's raw
// table, rejected ones to raw.quarantine with the reason, the location and the raw bytes, so that
// accepted + quarantined = received for every file. Rows are committed in micro-batches (one
// snapshot each), and the file is recorded in raw.ingested_files after its rows.
//
// Thread-safety: one thread (the session's).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "engine/lake_session.h"
#include "ingest/raw_batch_writer.h"

namespace medlake::ingest {

struct IngestOptions {
  bool force = false;           // load files already loaded
  int64_t batch_rows = 50'000;  // rows per snapshot
  bool progress = true;         // progress bar on a terminal (stderr)
  std::string source = "file";  // lineage: source kind
};

struct IngestSummary {
  int64_t files = 0;
  int64_t files_skipped = 0;  // already loaded
  int64_t received = 0;
  int64_t accepted = 0;
  int64_t quarantined = 0;
  int64_t bytes = 0;
};

// What a loader sees for one file.
struct FileContext {
  std::string path;          // as given (absolute)
  std::string content_hash;  // SHA-256 hex of the whole file
  std::string batch_id;      // this load's id (UUID)
  int64_t received_micros = 0;
  RawBatchWriter* accepted = nullptr;     // the format's raw table
  RawBatchWriter* quarantine = nullptr;   // raw.quarantine
  IngestSummary* summary = nullptr;       // counts to update (received/accepted/quarantined)
  const IngestOptions* options = nullptr;
};

// A format's loader: reads `ctx.path`, appends every record to `ctx.accepted` or `ctx.quarantine`.
// A non-OK Status means the file as a whole could not be read (I/O error); it stops the load.
using FileLoader = std::function<Status(FileContext& ctx)>;

// Loads `paths` with `loader` into `table` ("raw.x"). `kind` names the format in lineage and in
// raw.ingested_files ("hl7", "fhir", "csv:<source>").
Result<IngestSummary> IngestFiles(engine::LakeSession& session, const std::vector<std::string>& paths,
                                  const std::string& kind, const std::string& table,
                                  const FileLoader& loader, const IngestOptions& options,
                                  const std::vector<std::string>& extensions = {},
                                  const Clock& clock = SystemClock::Default());

// Appends the lineage columns every raw table starts with: received_at, batch_id, source, origin,
// byte_offset (in that order; docs/formats/raw_tables.md).
Status AppendLineage(FileContext& ctx, engine::RowBatch& row, int64_t byte_offset);

// Appends one quarantine row (column order of raw.quarantine).
Status AppendQuarantine(FileContext& ctx, const std::string& kind, int64_t byte_offset,
                        int64_t line_number, const std::string& location,
                        const std::string& reason_code, const std::string& reason,
                        std::string_view payload);

// Lists the regular files under `paths` (recursively for directories), sorted; NotFound for a
// path that does not exist. Inside directories only files whose name ends with one of
// `extensions` are taken (all when empty); files named explicitly are always taken.
Result<std::vector<std::string>> ExpandPaths(const std::vector<std::string>& paths,
                                             const std::vector<std::string>& extensions = {});

}  // namespace medlake::ingest
