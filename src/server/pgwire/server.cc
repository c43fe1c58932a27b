#include "server/pgwire/server.h"

#include "server/pgwire/session.h"

#include <thread>

namespace medlake::server::pgwire {

PgServer::PgServer(Authenticator& auth, PgServerOptions options) : auth_(auth), options_(std::move(options)) {}

PgServer::~PgServer() { Stop(); }

Result<std::unique_ptr<PgServer>> PgServer::Start(Authenticator& auth, PgServerOptions options) {
  options.listener.name = "pgwire";
  auto server = std::make_unique<PgServer>(auth, options);
  PgServer* self = server.get();
  MEDLAKE_ASSIGN_OR_RETURN(
      server->listener_,
      net::TcpListener::Start(
          options.listener, [self](net::TcpStream& stream) { ServeConnection(*self, stream); },
          [](net::TcpStream& stream) { RefuseConnection(stream); }));
  return server;
}

void PgServer::Stop() {
  if (!listener_) return;
  // The listener waits `grace` for sessions to finish; a statement still running then is
  // interrupted (its client gets 57014), so the stop is bounded.
  std::thread interrupter([this] {
    std::unique_lock<std::mutex> lock(stop_mu_);
    if (stop_cv_.wait_for(lock, options_.listener.grace, [this] { return stopped_; })) return;
    std::lock_guard<std::mutex> keys(cancel_mu_);
    for (auto& [pid, key] : cancel_keys_) key.second();
  });
  listener_->Stop();
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopped_ = true;
  }
  stop_cv_.notify_all();
  interrupter.join();
}

PgServerStats PgServer::stats() const {
  PgServerStats s;
  s.sessions = counters_.sessions.load();
  s.auth_failures = counters_.auth_failures.load();
  s.queries = counters_.queries.load();
  s.query_errors = counters_.query_errors.load();
  s.rows_sent = counters_.rows_sent.load();
  s.cancels = counters_.cancels.load();
  s.active_sessions = counters_.active.load();
  return s;
}

void PgServer::RegisterCancelKey(int32_t pid, int32_t secret, std::function<void()> interrupt) {
  std::lock_guard<std::mutex> lock(cancel_mu_);
  cancel_keys_[pid] = {secret, std::move(interrupt)};
}

void PgServer::UnregisterCancelKey(int32_t pid) {
  std::lock_guard<std::mutex> lock(cancel_mu_);
  cancel_keys_.erase(pid);
}

void PgServer::Cancel(int32_t pid, int32_t secret) {
  std::lock_guard<std::mutex> lock(cancel_mu_);
  auto it = cancel_keys_.find(pid);
  // A wrong secret is ignored silently, as PostgreSQL does: nothing to learn from probing.
  if (it == cancel_keys_.end() || it->second.first != secret) return;
  counters_.cancels.fetch_add(1);
  it->second.second();
}

std::string SqlStateFor(const Status& status) {
  const std::string& m = status.message();
  auto has = [&](const char* s) { return m.find(s) != std::string::npos; };
  switch (status.code()) {
    case StatusCode::kOk: return "00000";
    case StatusCode::kInvalidArgument:
      if (has("Parser Error") || has("syntax error")) return "42601";
      if (has("Referenced column") || (has("column") && has("not found"))) return "42703";
      if (has("Conversion Error") || has("Could not convert")) return "22P02";
      if (has("Out of Range")) return "22003";
      if (has("Binder Error")) return "42803";
      if (has("invalid byte sequence")) return "22021";
      if (has("parameter")) return "08P01";
      return "22023";
    case StatusCode::kNotFound:
      if (has("prepared statement")) return "26000";
      if (has("portal")) return "34000";
      if (has("configuration parameter")) return "42704";
      if (has("Function") || has("function")) return "42883";
      if (has("Schema") || has("schema") || has("namespace")) return "3F000";
      return "42P01";
    case StatusCode::kAlreadyExists:
      if (has("prepared statement")) return "42P05";
      if (has("portal")) return "42P03";
      return "42P07";
    case StatusCode::kPermissionDenied: return "42501";
    case StatusCode::kUnauthenticated: return "28000";
    case StatusCode::kFailedPrecondition:
      return has("can only be used in transaction blocks") ? "25P01" : "55000";
    case StatusCode::kAborted:
      return has("nterrupt") ? "57014" : "40001";  // a cancelled query, or a commit conflict to retry
    case StatusCode::kResourceExhausted: return "53200";
    case StatusCode::kUnimplemented: return "0A000";
    case StatusCode::kIOError: return "58030";
    default: return "XX000";
  }
}

}  // namespace medlake::server::pgwire
