// server/fhir/fhir_api.h: the FHIR R4 API over the lake's normalized layer (issue 8, item 4).
//
// Part of the server module (see README.md in this folder for routes, ids, search parameters and
// limits). RegisterFhirRoutes() mounts the routes on an http::Router; `medlake serve --http`
// serves them. Every request except GET metadata is authenticated (AuthenticateHttp: Bearer
// token or Basic), runs on a pooled SQL session of that user with the purpose of use from the
// X-Medlake-Purpose header, and reads the normalized tables through it: grants, row filters,
// column masks, purpose requirements and the audit apply exactly as for SQL. Nothing runs on a
// trusted session. Errors are OperationOutcome resources with the HTTP status of
// http::HttpStatusForCode().
//
// Bulk $export runs on background threads owned by FhirApiContext (at most
// `max_running_exports` at a time), writes NDJSON files under `export_dir/<job id>/` and serves
// them only to the user who asked.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "server/auth/auth.h"
#include "server/auth/session_pool.h"
#include "server/http/http_server.h"

namespace medlake::server::fhir {

namespace internal {
class ExportManager;
}  // namespace internal

struct FhirApiOptions {
  // The public URL of the FHIR base as clients reach it, without a trailing slash, e.g.
  // "https://lake.example.org/fhir". Used in fullUrl, paging links and export URLs.
  std::string base_url = "http://127.0.0.1:8080/fhir";
  // The path the routes are mounted under (no trailing slash): "/fhir" gives /fhir/metadata.
  std::string path_prefix = "/fhir";
  // Folder of bulk export output (created on first use, mode 0700); e.g. "<lake>/exports".
  std::string export_dir;
  size_t default_count = 50;    // _count when the client gives none
  size_t max_count = 1000;      // larger _count values are lowered to this
  int max_running_exports = 2;  // export jobs running at once (each holds a SQL session)
  int max_queued_exports = 8;   // further kick-offs wait; beyond that 429
  int max_kept_exports = 64;    // finished jobs kept (with their files); the oldest are removed
  // Time source for CapabilityStatement.date and export transactionTime; null: the system clock.
  // Must outlive the context.
  const Clock* clock = nullptr;
};

// What the FHIR routes need: the authenticator and session pool of the server, the options, and
// the export jobs. Construct once, call RegisterFhirRoutes(), keep it alive as long as the
// router may call its handlers. The destructor cancels running exports and waits for them.
//
// Thread-safety: handlers run concurrently on connection threads; the context is safe for that.
class FhirApiContext {
 public:
  // `auth` and `pool` must outlive the context.
  FhirApiContext(Authenticator& auth, SessionPool& pool, FhirApiOptions options);
  ~FhirApiContext();
  FhirApiContext(const FhirApiContext&) = delete;
  FhirApiContext& operator=(const FhirApiContext&) = delete;

  Authenticator& auth() { return auth_; }
  SessionPool& pool() { return pool_; }
  const FhirApiOptions& options() const { return options_; }
  // Sets the public base URL once the listener's port is known (port 0 picks one at start).
  // Call before the port is announced to anyone: requests read it without a lock.
  void SetBaseUrl(std::string base_url) { options_.base_url = std::move(base_url); }
  const Clock& clock() const { return *clock_; }
  internal::ExportManager& exports() { return *exports_; }

 private:
  Authenticator& auth_;
  SessionPool& pool_;
  FhirApiOptions options_;
  const Clock* clock_;
  std::unique_ptr<internal::ExportManager> exports_;
};

// Registers every FHIR route on `router` under `ctx.options().path_prefix`:
//   GET  metadata                              CapabilityStatement (no authentication)
//   GET  {type}/{id}                           read
//   GET  {type}?params, POST {type}/_search    search (searchset Bundle, paging links)
//   GET  Patient/{id}/$everything              the person's Patient and all linked records
//   GET|POST $export, Patient/$export          bulk export kick-off (Prefer: respond-async)
//   GET|POST Group/{id}/$export                501: the lake has no Group resources
//   GET|DELETE $export-status/{job}            export status / cancel and delete
//   GET  $export-file/{job}/{file}             one NDJSON output file
// InvalidArgument for a malformed prefix or base URL; AlreadyExists when a route is already
// registered on `router`. `ctx` must outlive the router's use of the handlers.
Status RegisterFhirRoutes(http::Router& router, FhirApiContext& ctx);

}  // namespace medlake::server::fhir
