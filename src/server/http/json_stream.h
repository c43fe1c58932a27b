// server/http/json_stream.h: streams an engine::QueryResult as an HTTP response body in JSON,
// NDJSON or CSV.
//
// Part of server/http (see README.md). Rows are read chunk by chunk with QueryResult::Next()
// (never FetchAll) and written through HttpResponseWriter, which sends them as chunked transfer
// coding in ~64 KiB pieces, so a result of any size streams in bounded memory.
//
// Formats:
//   json    {"columns":[{"name":"id","type":"BIGINT"},...],"rows":[[1,"a"],...],"row_count":2}
//           (+ "truncated":true when max_rows cut the result; + "rows_changed":n for DML)
//   ndjson  one object per row, keys are column names: {"id":1,"name":"a"}\n (application/x-ndjson)
//   csv     RFC 4180: a header line of column names, CRLF line ends, fields quoted when they hold
//           a comma, quote, CR or LF; NULL is an empty field, the empty string is "" (text/csv)
// Values: integers and floating point as JSON numbers (non-finite doubles as the strings "inf",
// "-inf", "nan"), DECIMAL/HUGEINT as exact JSON numbers, booleans as true/false, NULL as null,
// dates and timestamps as DuckDB's text ("2024-01-31", "2024-01-31 12:00:00.5"), LIST/ARRAY as
// arrays, STRUCT/MAP as objects, everything else (UUID, INTERVAL, BLOB with \xHH escapes, ...)
// as DuckDB's text in a string. CSV writes the same text forms. Strings are emitted as valid
// UTF-8 (invalid bytes become U+FFFD in JSON).
//
// Errors while streaming (a cast failing on row 10,000, a file gone) end the body with a marker,
// then the function returns the error:
//   json    ...,"row_count":n,"error":{"code":500,"status":"Internal","message":"..."}}
//   ndjson  a last line {"error":{"code":...,"status":...,"message":...}}
//   csv     a last line: #error,<code>,<status>,"<message>"
// ServeHttpConnection then either replaces the whole response by a JSON error (when none of it
// had reached the client yet) or cuts the chunked body short, so HTTP clients see a failed
// transfer as well. Messages of 5xx errors are generic, as in every error response.
//
// Thread-safety: functions are reentrant; the result and writer belong to the calling thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/status.h"
#include "engine/database.h"
#include "server/http/http_server.h"

namespace medlake::server::http {

enum class ResultFormat { kJson, kNdjson, kCsv };

// "json", "ndjson" (or "jsonl"), "csv", ASCII case ignored. InvalidArgument otherwise.
Result<ResultFormat> ResultFormatFromName(std::string_view name);
// The first media type of an Accept header that names a format (application/json,
// application/x-ndjson or application/ndjson or application/jsonl, text/csv), in the client's
// order (q-values are not weighed). nullopt when none does (the caller picks its default).
std::optional<ResultFormat> ResultFormatFromAccept(std::string_view accept);
// The Content-Type sent with a format.
std::string_view ResultContentType(ResultFormat format);

struct ResultStreamOptions {
  ResultFormat format = ResultFormat::kJson;
  // Rows to send at most; negative means all. Reading stops there (the rest is not computed).
  int64_t max_rows = -1;
  // Extra response headers (Content-Type is set from the format).
  HttpHeaders headers;
};

struct ResultStreamSummary {
  int64_t rows = 0;        // rows written
  bool truncated = false;  // max_rows stopped the stream before the end of the result
};

// Sends `result` as a 200 response in `options.format`: Begin(), the rows, Finish(). For a HEAD
// request (or any response without a body) the result is not read. Returns the error of the
// result (after writing the marker described above) or the writer's IOError when the client is
// gone; FailedPrecondition if `out` already started a response. `result` and `out` are borrowed
// for the call.
Result<ResultStreamSummary> StreamQueryResult(engine::QueryResult& result,
                                              const ResultStreamOptions& options,
                                              HttpResponseWriter& out);

}  // namespace medlake::server::http
