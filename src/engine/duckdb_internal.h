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

// A result of rows built outside DuckDB (a key lookup answered without running a plan): the
// chunks, owned from here on, handed out in order by Next(); a SELECT's result.
std::unique_ptr<QueryResult> QueryResultOfChunks(std::vector<ColumnInfo> columns,
                                                 std::vector<duckdb_data_chunk> chunks);

// Reads row `row` of `vector` (whose type is `type`) as a Value.
Value ReadValue(duckdb_vector vector, duckdb_logical_type type, idx_t row);

}  // namespace medlake::engine::internal
