// server/rest/sql_stream.h: `POST /api/v1/sql`: the request's SQL, run in the caller's session,
// with the last statement's rows streamed back (server/http/json_stream.h formats).
#pragma once

#include <string>

#include "engine/lake_session.h"
#include "server/http/http_server.h"
#include "server/http/json_stream.h"

namespace medlake::server {

struct SqlRequest {
  std::string sql;
  http::ResultFormat format = http::ResultFormat::kJson;
  int64_t max_rows = -1;
};

// The SQL and format of a request: a JSON body {"sql": "...", "format": "...", "max_rows": n} or
// a text/plain (or application/sql) body with ?format= / Accept choosing the format.
// InvalidArgument for an empty statement or an unknown format.
Result<SqlRequest> ParseSqlRequest(const http::HttpRequest& request);

// Runs every statement in order; the first failure stops (its error is the response). The last
// statement's rows are streamed; when it returns none, the response is a JSON object
// {"statement": "<command tag>", "rows_changed": n, "message": "..."}.
Status StreamSql(engine::LakeSession& session, const SqlRequest& request, http::HttpResponseWriter& out);

}  // namespace medlake::server
