#include "server/server.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "security/store.h"
#include "server/pgwire/catalog_responder.h"

namespace medlake::server {

Server::Server(const storage::Lake& lake, ServerOptions options) : lake_(lake), options_(std::move(options)) {}

Server::~Server() { Stop(); }

Result<std::unique_ptr<Server>> Server::Start(const storage::Lake& lake, ServerOptions options) {
  if (options.pg_port < 0 && options.http_port < 0) return InvalidArgument("no front end to start");
  auto server = std::make_unique<Server>(lake, std::move(options));
  Server& s = *server;
  MEDLAKE_ASSIGN_OR_RETURN(s.auth_, Authenticator::Open(lake, s.options_.session, s.options_.audit_sync_interval_ms));
  s.auth_->SetLoginThrottle(s.options_.max_failed_logins, int64_t{s.options_.failed_login_window_s} * 1000);
  s.pool_ = std::make_unique<SessionPool>(*s.auth_);
  // The first client need not wait for DuckDB to start either.
  s.auth_->KeepSpareEngines();

  s.metrics_.Declare("medlake_build_info", "gauge", "medlake version (label) of this server");
  s.metrics_.Add("medlake_build_info", {{"version", s.options_.version}}, 1);
  if (s.options_.pg_port >= 0) {
    pgwire::PgServerOptions pg;
    pg.listener.bind_address = s.options_.bind_address;
    pg.listener.port = s.options_.pg_port;
    pg.listener.max_connections = s.options_.max_connections;
    pg.tls = s.options_.tls;
    pg.require_tls = s.options_.require_tls;
    pg.catalog = pgwire::MakeCatalogShimFactory(pg.server_version);
    MEDLAKE_ASSIGN_OR_RETURN(s.pg_, pgwire::PgServer::Start(*s.auth_, pg));
    pgwire::PgServer* p = s.pg_.get();
    auto gauge = [&](const std::string& name, const std::string& type, const std::string& help,
                     std::function<double()> read) {
      s.metrics_.Declare(name, type, help);
      s.metrics_.Callback(name, std::move(read));
    };
    gauge("medlake_pgwire_sessions_active", "gauge", "pgwire sessions open now",
          [p] { return static_cast<double>(p->stats().active_sessions); });
    gauge("medlake_pgwire_sessions_total", "counter", "pgwire sessions authenticated",
          [p] { return static_cast<double>(p->stats().sessions); });
    gauge("medlake_pgwire_auth_failures_total", "counter", "pgwire logins refused",
          [p] { return static_cast<double>(p->stats().auth_failures); });
    gauge("medlake_pgwire_statements_total", "counter", "statements run over pgwire",
          [p] { return static_cast<double>(p->stats().queries); });
    gauge("medlake_pgwire_statement_errors_total", "counter", "statements over pgwire that failed",
          [p] { return static_cast<double>(p->stats().query_errors); });
    gauge("medlake_pgwire_rows_sent_total", "counter", "result rows sent over pgwire",
          [p] { return static_cast<double>(p->stats().rows_sent); });
    gauge("medlake_pgwire_cancels_total", "counter", "queries cancelled by CancelRequest",
          [p] { return static_cast<double>(p->stats().cancels); });
  }
  if (s.options_.http_port >= 0) MEDLAKE_RETURN_IF_ERROR(s.StartHttp());
  return server;
}

Status Server::Ready() const {
  if (stopping_.load()) return Status(StatusCode::kUnimplemented, "shutting down");
  struct stat st {};
  if (::stat(lake_.warehouse_path().c_str(), &st) != 0) return IOError("warehouse directory is not reachable");
  MEDLAKE_ASSIGN_OR_RETURN(auto store, security::SecurityStore::Open(lake_.catalog_path()));
  MEDLAKE_RETURN_IF_ERROR(store->ListPrincipals().status());
  MEDLAKE_RETURN_IF_ERROR(auth_->audit()->Head().status());
  return Status::OK();
}

Status Server::StartHttp() {
  rest_.auth = auth_.get();
  rest_.pool = pool_.get();
  rest_.lake = &lake_;
  rest_.version = options_.version;
  metrics_.Declare("medlake_http_requests_total", "counter", "HTTP requests answered, by method, route and status");
  metrics_.Declare("medlake_http_request_duration_seconds", "histogram", "HTTP request durations, by route",
                   {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
  metrics_.Declare("medlake_http_response_bytes_total", "counter", "HTTP response bytes, by route");
  metrics_.Declare("medlake_http_sessions_idle", "gauge", "pooled SQL sessions waiting for HTTP requests");
  SessionPool* pool = pool_.get();
  metrics_.Callback("medlake_http_sessions_idle", [pool] { return static_cast<double>(pool->idle()); });

  MEDLAKE_RETURN_IF_ERROR(router_.Add("GET", "/health", [](const http::HttpRequest&, http::HttpResponseWriter& out) {
    return out.SendJson(200, "{\"status\":\"ok\"}");
  }));
  MEDLAKE_RETURN_IF_ERROR(router_.Add("GET", "/ready", [this](const http::HttpRequest&, http::HttpResponseWriter& out) {
    Status st = Ready();
    nlohmann::json j = {{"status", st.ok() ? "ready" : "not ready"}};
    if (!st.ok()) j["reason"] = st.message();
    return out.SendJson(st.ok() ? 200 : 503, j.dump());
  }));
  MEDLAKE_RETURN_IF_ERROR(router_.Add("GET", "/metrics", [this](const http::HttpRequest&, http::HttpResponseWriter& out) {
    http::HttpHeaders headers;
    headers.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return out.Send(200, std::move(headers), metrics_.Render());
  }));
  MEDLAKE_RETURN_IF_ERROR(RegisterRestRoutes(router_, rest_));
  fhir::FhirApiOptions fhir_options;
  fhir_options.export_dir = lake_.root() + "/exports";
  fhir_ = std::make_unique<fhir::FhirApiContext>(*auth_, *pool_, fhir_options);
  MEDLAKE_RETURN_IF_ERROR(fhir::RegisterFhirRoutes(router_, *fhir_));
  iceberg_.auth = auth_.get();
  iceberg_.sessions = pool_.get();
  MEDLAKE_RETURN_IF_ERROR(iceberg_rest::RegisterIcebergRestRoutes(router_, iceberg_));

  http_options_.shutdown = &http_shutdown_;
  http_options_.on_request = [this](std::string_view method, std::string_view route, int status, double seconds,
                                    uint64_t bytes) {
    std::string r = route.empty() ? "unmatched" : std::string(route);
    metrics_.Add("medlake_http_requests_total",
                 {{"method", std::string(method)}, {"route", r}, {"status", std::to_string(status)}});
    metrics_.Observe("medlake_http_request_duration_seconds", {{"route", r}}, seconds);
    metrics_.Add("medlake_http_response_bytes_total", {{"route", r}}, static_cast<double>(bytes));
  };
  net::ListenerOptions listener;
  listener.name = "http";
  listener.bind_address = options_.bind_address;
  listener.port = options_.http_port;
  listener.max_connections = options_.max_connections;
  std::shared_ptr<TlsServerContext> tls = options_.tls;
  MEDLAKE_ASSIGN_OR_RETURN(
      http_, net::TcpListener::Start(
                 listener,
                 [this, tls](net::TcpStream& stream) {
                   // Idle keep-alive connections are closed after a minute.
                   stream.SetReadTimeout(std::chrono::seconds(60));
                   if (tls && !stream.StartTls(*tls).ok()) return;
                   http::ServeHttpConnection(net::Borrow(stream), router_, http_options_);
                 },
                 [](net::TcpStream& stream) {
                   const std::string body =
                       "{\"error\":{\"code\":503,\"status\":\"Unavailable\",\"message\":\"too many connections\"}}";
                   (void)stream.Write("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                      "Content-Length: " + std::to_string(body.size()) +
                                      "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" + body);
                 }));
  std::string base = options_.public_http_url;
  if (base.empty()) {
    base = std::string(options_.tls ? "https" : "http") + "://" +
           (options_.bind_address == "0.0.0.0" ? std::string("localhost") : options_.bind_address) + ":" +
           std::to_string(http_->port());
  }
  fhir_->SetBaseUrl(base + "/fhir");
  return Status::OK();
}

void Server::Stop() {
  if (stopping_.exchange(true)) return;
  http_shutdown_.RequestStop();
  if (http_) http_->Stop();
  if (pg_) pg_->Stop();
  if (pool_) pool_->Clear();
  if (auth_ && auth_->audit()) {
    // What the background sync has not reached yet becomes durable before the server says it stopped.
    Status flushed = auth_->audit()->Flush();
    if (!flushed.ok()) Log(LogLevel::kError, "server.audit_sync_failed", {LogField::Error("error", flushed.ToString())});
  }
}

std::string Server::Summary() const {
  std::string out;
  if (pg_) {
    auto s = pg_->stats();
    out += "pgwire stopped: " + std::to_string(s.sessions) + " sessions, " + std::to_string(s.queries) +
           " statements (" + std::to_string(s.query_errors) + " failed), " + std::to_string(s.rows_sent) +
           " rows sent\n";
  }
  if (http_) {
    auto s = http_->stats();
    out += "http stopped: " + std::to_string(s.accepted) + " connections (" + std::to_string(s.refused) +
           " refused)\n";
  }
  return out;
}

}  // namespace medlake::server
