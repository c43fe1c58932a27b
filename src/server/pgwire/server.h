// server/pgwire/server.h: the PostgreSQL wire protocol (v3) front end of `medlake serve`.
//
// Part of server/pgwire (see README.md). Each connection is one session on its own thread:
// SSLRequest/TLS, SCRAM-SHA-256 against medlake users (server/auth), then simple and extended
// query protocols over a LakeSession with the user's security layer. Results stream chunk by
// chunk (DuckDB's 2,048-row chunks, flushed to the socket every `flush_bytes`), never
// materialized. Catalog queries of psql and BI tools are answered by a per-session catalog shim
// (see CatalogResponder) that knows only what the user may see.
//
// Thread-safety: Start/Stop/port/stats from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <string>

#include "core/status.h"
#include "core/tls.h"
#include "engine/database.h"
#include "engine/lake_session.h"
#include "server/auth/auth.h"
#include "server/net/tcp.h"

namespace medlake::server::pgwire {

// Answers the catalog queries of psql and BI tools (pg_catalog, information_schema, version()).
class CatalogResponder {
 public:
  virtual ~CatalogResponder() = default;
  // True when `sql` (one statement) is a catalog query this responder answers.
  virtual bool Handles(std::string_view sql) = 0;
  virtual Result<std::unique_ptr<engine::QueryResult>> Run(std::string_view sql) = 0;
  // The session ran `SET name = value` (so SHOW and current_setting() agree).
  virtual void SettingChanged(const std::string& name, const std::string& value) = 0;
  // Stops a running catalog query (CancelRequest); callable from any thread.
  virtual void Interrupt() = 0;
};
// Makes the responder of a new session (nullptr: none; every query goes to the lake session).
using CatalogResponderFactory =
    std::function<Result<std::unique_ptr<CatalogResponder>>(engine::LakeSession& session, const std::string& user)>;

struct PgServerOptions {
  net::ListenerOptions listener;               // name "pgwire" is set by Start
  std::shared_ptr<TlsServerContext> tls;       // null: SSLRequest is answered 'N'
  bool require_tls = false;                    // refuse clients that do not start TLS
  std::string server_version = "15.0";         // reported as server_version (psql adapts to it)
  size_t flush_bytes = 256 * 1024;             // result bytes buffered before a socket write
  // The whole startup (TLS, authentication) must be done within this; then the socket closes.
  std::chrono::milliseconds startup_timeout{30000};
  CatalogResponderFactory catalog;
};

struct PgServerStats {
  uint64_t sessions = 0;          // authenticated sessions opened
  uint64_t auth_failures = 0;
  uint64_t queries = 0;           // statements run
  uint64_t query_errors = 0;
  uint64_t rows_sent = 0;
  uint64_t cancels = 0;
  uint64_t active_sessions = 0;
};

class PgServer {
 public:
  // `auth` must outlive the server.
  static Result<std::unique_ptr<PgServer>> Start(Authenticator& auth, PgServerOptions options);
  ~PgServer();
  int port() const { return listener_->port(); }
  void Stop();
  PgServerStats stats() const;

  // Internal (used by sessions).
  struct Counters {
    std::atomic<uint64_t> sessions{0}, auth_failures{0}, queries{0}, query_errors{0}, rows_sent{0}, cancels{0},
        active{0};
  };
  Counters& counters() { return counters_; }
  const PgServerOptions& options() const { return options_; }
  Authenticator& auth() { return auth_; }
  bool stopping() const { return listener_ && listener_->stopping(); }
  // `interrupt` stops what the session is running; it must stay callable until unregistered.
  void RegisterCancelKey(int32_t pid, int32_t secret, std::function<void()> interrupt);
  void UnregisterCancelKey(int32_t pid);
  void Cancel(int32_t pid, int32_t secret);

  PgServer(Authenticator& auth, PgServerOptions options);

 private:
  Authenticator& auth_;
  PgServerOptions options_;
  std::unique_ptr<net::TcpListener> listener_;
  Counters counters_;
  std::mutex cancel_mu_;
  std::map<int32_t, std::pair<int32_t, std::function<void()>>> cancel_keys_;  // guarded by cancel_mu_
  // Stop(): after the grace period every session's running statement is interrupted.
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopped_ = false;
};

// Maps a Status from the engine or security layer to a SQLSTATE code.
std::string SqlStateFor(const Status& status);

}  // namespace medlake::server::pgwire
