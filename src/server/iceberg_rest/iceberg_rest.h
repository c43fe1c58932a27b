// server/iceberg_rest/iceberg_rest.h: the Apache Iceberg REST catalog API over the lake's catalog,
// so that other engines (Spark, Trino, PyIceberg, DuckDB, iceberg-js) can list, load, create,
// commit to, rename and drop lake tables.
//
// Part of the server module (see README.md in this folder). The routes follow the Iceberg REST
// catalog OpenAPI document (open-api/rest-catalog-open-api.yaml of apache/iceberg): JSON shapes,
// status codes and the error model {"error": {"message", "type", "code"}}. They are mounted under
// a path prefix ("/iceberg" by default: "/iceberg/v1/config", "/iceberg/v1/namespaces", ...).
//
// Every request is authenticated (Authorization: Bearer <medlake token>, or Basic; see
// AuthenticateHttp) and runs on a session leased from the server's SessionPool, so that its
// privilege checks (ReadAccess, CheckWrite, the catalog.* views) and its audit record come from
// the same SecurityController as SQL. Commits use the storage layer's protocol: a new
// metadata file created exclusively, then the compare-and-swap of the catalog pointer.
//
// Thread-safety: the registered handlers may run on many connection threads at once; each
// request uses its own leased session.
#pragma once

#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "server/auth/session_pool.h"
#include "server/http/http_server.h"

namespace medlake::server::iceberg_rest {

// What the routes need. Not owned: everything must outlive the router the routes are added to.
struct IcebergRestContext {
  Authenticator* auth = nullptr;    // required: verifies tokens and passwords
  SessionPool* sessions = nullptr;  // required: one leased session per request
  const Clock* clock = nullptr;     // null: SystemClock::Default() (metadata timestamps)
  // Path prefix of every route; no trailing slash. Clients use "<server>/iceberg" as their URI.
  std::string path_prefix = "/iceberg";
  // Lifetime of tokens that POST /v1/oauth/tokens issues for a user name and password (1-3650).
  int oauth_token_days = 1;
};

// Adds the Iceberg REST catalog routes (listed in README.md) to `router`. `context` is captured by
// reference and must outlive `router`. InvalidArgument when the context lacks `auth` or
// `sessions`, or the prefix is malformed; AlreadyExists when a route is registered already.
Status RegisterIcebergRestRoutes(http::Router& router, IcebergRestContext& context);

}  // namespace medlake::server::iceberg_rest
