// server/server.h: the network front ends of `medlake serve`, started and stopped together.
//
// Part of the server module (see README.md). One process serves one lake: the PostgreSQL wire
// protocol (server/pgwire) and HTTP (REST API, FHIR R4 API, Iceberg REST catalog, /health,
// /ready, /metrics) share one Authenticator, one audit log (group commit) and one metrics
// registry. Listeners bind to loopback unless told otherwise; TLS applies to both when given.
//
// Thread-safety: Start/Stop from one thread; the rest from any.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "core/status.h"
#include "core/tls.h"
#include "engine/lake_session.h"
#include "server/auth/auth.h"
#include "server/auth/session_pool.h"
#include "server/fhir/fhir_api.h"
#include "server/iceberg_rest/iceberg_rest.h"
#include "server/http/http_server.h"
#include "server/net/tcp.h"
#include "server/pgwire/server.h"
#include "server/rest/metrics.h"
#include "server/rest/rest_api.h"
#include "storage/lake.h"

namespace medlake::server {

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  int pg_port = -1;    // -1: off; 0: any free port
  int http_port = -1;  // -1: off; 0: any free port
  std::shared_ptr<TlsServerContext> tls;  // null: plain TCP
  bool require_tls = false;               // pgwire: refuse plain connections (HTTPS is TLS-only when tls is set)
  size_t max_connections = 256;           // per listener
  engine::LakeSessionOptions session;     // threads, memory limit per SQL session
  std::string version;                    // medlake's version (REST index, metrics)
  std::string public_http_url;            // base URL for links (FHIR bundles); default from bind/port
  // Failed logins allowed per client address within the window before it is refused for the
  // rest of the window (server/auth/auth.h).
  int max_failed_logins = 20;
  int failed_login_window_s = 600;
  // Audit durability (security::AuditLogOptions::sync_interval_ms, docs/formats/audit_log.md):
  // statement and login records are written before a result is sent and synced to disk by a
  // background thread within this many ms; 0 syncs each statement's record before its result.
  int audit_sync_interval_ms = 10;
};

class Server {
 public:
  // `lake` must outlive the server.
  static Result<std::unique_ptr<Server>> Start(const storage::Lake& lake, ServerOptions options);
  ~Server();
  int pg_port() const { return pg_ ? pg_->port() : -1; }
  int http_port() const { return http_ ? http_->port() : -1; }
  // Graceful: stops accepting, lets requests and queries in progress finish (up to the
  // listeners' grace period), closes idle connections. Idempotent.
  void Stop();
  // One line per front end with its counters, for the log at exit.
  std::string Summary() const;
  Metrics& metrics() { return metrics_; }

  Server(const storage::Lake& lake, ServerOptions options);

 private:
  Status StartHttp();
  Status Ready() const;  // why the server would not serve a request now

  const storage::Lake& lake_;
  ServerOptions options_;
  Metrics metrics_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<SessionPool> pool_;
  std::unique_ptr<pgwire::PgServer> pg_;
  http::Router router_;
  http::HttpShutdownSignal http_shutdown_;
  http::HttpServerOptions http_options_;
  RestApiContext rest_;
  std::unique_ptr<fhir::FhirApiContext> fhir_;  // outlives the listener (export threads)
  iceberg_rest::IcebergRestContext iceberg_;
  std::unique_ptr<net::TcpListener> http_;
  std::atomic<bool> stopping_{false};
};

}  // namespace medlake::server
