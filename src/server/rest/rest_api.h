// server/rest/rest_api.h: the REST/JSON API of `medlake serve --http` (under /api/v1).
//
// Part of the server module (see ../README.md and docs/serve.md). Every request authenticates
// (Authorization: Bearer <token>, or Basic user:password) and runs through a pooled SQL session
// of that user, so grants, row filters, masks, purpose of use (header X-Medlake-Purpose) and the
// audit apply exactly as in psql or the CLI. Catalog, lineage, quality and audit endpoints are
// queries over the governance views and tables (catalog.*, lineage.edges, quality.results,
// audit.log), so they show only what the user may see.
//
//   GET  /api/v1                          index: version, user, links
//   GET  /api/v1/openapi.json             the OpenAPI 3.0 description of this API
//   POST /api/v1/sql                      run SQL; results streamed as JSON, NDJSON or CSV
//   GET  /api/v1/namespaces               namespaces (catalog.schemas)
//   GET  /api/v1/namespaces/{ns}/tables   tables of a namespace (catalog.tables)
//   GET  /api/v1/tables/{ns}/{table}      one table: description, owner, tags, columns
//   GET  /api/v1/tables/{ns}/{table}/snapshots   its Iceberg snapshots
//   GET  /api/v1/lineage?table=ns.t       lineage edges into and out of a table
//   GET  /api/v1/quality?table=ns.t       data quality results (latest first)
//   GET  /api/v1/audit?from_seq=N&limit=M audit records (auditors only)
//   POST /api/v1/ingest/{fhir|hl7}        load the request body into the raw layer
#pragma once

#include <string>

#include "core/status.h"
#include "server/auth/session_pool.h"
#include "server/http/http_server.h"
#include "storage/lake.h"

namespace medlake::server {

struct RestApiContext {
  Authenticator* auth = nullptr;
  SessionPool* pool = nullptr;
  const storage::Lake* lake = nullptr;
  std::string version;  // medlake's version, for the index
  size_t max_upload_bytes = 256u << 20;
};

// Adds the routes above to `router`. `ctx` must outlive the router.
Status RegisterRestRoutes(http::Router& router, RestApiContext& ctx);

// The user of a request and a session for them (shared with the FHIR and Iceberg front ends).
struct RequestUser {
  std::string user;
  std::string purpose;
  std::string client;  // "http <peer>"
};
Result<RequestUser> AuthenticateRequest(Authenticator& auth, const http::HttpRequest& request);

// Runs `sql` (one statement) in `lease` and returns its rows as a JSON array of objects
// (column name -> value). For small, bounded results (catalog listings).
Result<std::string> QueryJsonObjects(engine::LakeSession& session, const std::string& sql);

// A SQL string literal: quotes doubled, NUL refused.
Result<std::string> SqlLiteral(std::string_view value);

}  // namespace medlake::server
