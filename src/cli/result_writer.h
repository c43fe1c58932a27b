// cli/result_writer.h: prints query results in the formats of `medlake sql --format`.
//
//   table   aligned columns for people (psql-like), NULL shown as NULL, row count footer
//   csv     RFC 4180 with a header row; NULL is an empty field
//   json    one JSON array of objects per result
//   ndjson  one JSON object per row
//
// Results are consumed chunk by chunk. The table format buffers at most kTableWidthRows rows to
// size its columns and streams the rest with those widths, so no format holds a whole result.
//
// Thread-safety: a writer belongs to one thread.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "engine/database.h"

namespace medlake::cli {

enum class OutputFormat { kTable, kCsv, kJson, kNdjson };

// Parses "table", "csv", "json", "ndjson". InvalidArgument otherwise.
Result<OutputFormat> ParseOutputFormat(std::string_view name);

inline constexpr size_t kTableWidthRows = 1000;

// Writes `result` to `out` in `format`. Errors raised while streaming (a failing cast on a late
// row) are returned after whatever was already written; the caller reports them.
Status WriteResult(engine::QueryResult& result, OutputFormat format, std::FILE* out);

}  // namespace medlake::cli
