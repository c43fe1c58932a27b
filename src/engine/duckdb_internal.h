// engine/duckdb_internal.h: private to the engine module. Holds the DuckDB handles behind the
// public wrappers of engine/database.h and the helpers that read DuckDB vectors.
#pragma once

#include <duckdb.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/database.h"
#include "engine/value.h"

namespace medlake::engine::internal {

// Maps a DuckDB error type + message to a Status.
Status StatusFromDuckDb(duckdb_error_type type, const char* message, std::string_view context);
// For errors reported only as text (prepare, extract): the code is guessed from DuckDB's
// "<Kind> Error: ..." prefix.
Status StatusFromDuckDbMessage(const char* message, std::string_view context);

// SQL spelling of a logical type ("DECIMAL(18,3)", "STRUCT(a INTEGER)", "VARCHAR[]").
std::string LogicalTypeName(duckdb_logical_type type);

}  // namespace medlake::engine::internal

namespace medlake::engine {

// A chunk behind DataChunk: DuckDB's, or one built outside DuckDB (internal::NewBuiltChunk).
struct DataChunk::Impl {
  duckdb_data_chunk chunk = nullptr;
  std::vector<duckdb_logical_type> types;  // owned
  std::vector<duckdb_vector> vectors;
  // For a built chunk, its column types: a freed one is kept as a spare of the thread that frees
  // it (internal::NewBuiltChunk), not destroyed. Empty for DuckDB's chunks.
  std::vector<duckdb_type> built_types;
  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    for (auto& t : types) duckdb_destroy_logical_type(&t);
    if (chunk) duckdb_destroy_data_chunk(&chunk);
  }
};

}  // namespace medlake::engine

namespace medlake::engine::internal {

// An empty chunk of `types` (simple types only: no DECIMAL, ENUM, LIST, ...) for rows built
// outside DuckDB: a spare of this thread's when it has one of those types, else a new one. Each
// thread keeps up to 8 MB of spares (of chunks up to 2 MB; all threads together 128 MB): a new
// chunk sets up vectors of duckdb_vector_size() rows per column, too much to pay again for each
// one-row answer to a point query, or for each table of a patient's record. A column's validity
// is all valid (duckdb_vector_get_validity gives null) until duckdb_vector_ensure_validity_writable.
std::unique_ptr<DataChunk::Impl> NewBuiltChunk(const std::vector<duckdb_type>& types);

// Bytes of vectors the spare built chunks hold: this thread's, and all threads' together.
struct SpareChunkBytes {
  size_t thread = 0;
  size_t process = 0;
};
SpareChunkBytes SpareChunkBytesNow();

// A result of rows built outside DuckDB (a key lookup answered without running a plan): its
// columns (shared with whoever made them) and chunks (from NewBuiltChunk, their sizes set),
// owned from here on, handed out in order by Next(); a SELECT's result.
std::unique_ptr<QueryResult> QueryResultOfChunks(std::shared_ptr<const std::vector<ColumnInfo>> columns,
                                                 std::vector<std::unique_ptr<DataChunk::Impl>> chunks);

// Reads row `row` of `vector` (whose type is `type`) as a Value.
Value ReadValue(duckdb_vector vector, duckdb_logical_type type, idx_t row);

}  // namespace medlake::engine::internal
