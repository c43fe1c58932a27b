// server/auth/session_pool.h: SQL sessions reused across HTTP requests.
//
// Part of the server module. Opening a session costs a DuckDB instance, a SecurityController
// (SQLite reads) and a "login" audit record: a few milliseconds, too much per REST or FHIR
// request. The pool keeps idle sessions per (user, purpose) and lends one per request; the
// session's audit records name the request's client address (SecurityController::SetClient).
// A session is not returned to the pool when the request changed its purpose (SET
// medlake.purpose), ran under break-the-glass, or left temporary tables or views behind (what a
// privilege or the glass let it copy must not outlive them); idle sessions older than five
// minutes are dropped too, so every pooled session is recent.
//
// Thread-safety: Acquire() from any thread; a lease belongs to one thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/auth/auth.h"

namespace medlake::server {

class SessionPool;

// One borrowed session; returns it to the pool when destroyed.
class SessionLease {
 public:
  SessionLease(SessionPool* pool, std::string key, std::unique_ptr<engine::LakeSession> session)
      : pool_(pool), key_(std::move(key)), session_(std::move(session)) {}
  ~SessionLease();
  SessionLease(SessionLease&&) = default;
  SessionLease& operator=(SessionLease&&) = delete;
  engine::LakeSession& session() { return *session_; }
  security::SecurityController& controller();
  // Do not return the session to the pool (e.g. the client went away mid-query).
  void Discard() { discard_ = true; }

 private:
  SessionPool* pool_;
  std::string key_;
  std::unique_ptr<engine::LakeSession> session_;
  bool discard_ = false;
};

class SessionPool {
 public:
  // `auth` must outlive the pool. At most `max_idle_per_key` idle sessions are kept per key.
  SessionPool(Authenticator& auth, size_t max_idle_per_key = 4) : auth_(auth), max_idle_(max_idle_per_key) {}
  // A session of `user` (authenticated) with `purpose` ("" for none), its statements recorded
  // as coming from `client`.
  Result<SessionLease> Acquire(const std::string& user, const std::string& purpose, const std::string& client);
  size_t idle() const;
  // Drops every idle session (a security change makes them reload anyway; this frees memory).
  void Clear();

 private:
  friend class SessionLease;
  void Release(const std::string& key, std::unique_ptr<engine::LakeSession> session, bool discard);

  static constexpr std::chrono::minutes kMaxAge{5};
  Authenticator& auth_;
  size_t max_idle_;
  mutable std::mutex mu_;
  struct Idle {
    std::unique_ptr<engine::LakeSession> session;
    std::chrono::steady_clock::time_point opened;
  };
  std::map<std::string, std::vector<Idle>> idle_;  // guarded by mu_
  std::map<const engine::LakeSession*, std::chrono::steady_clock::time_point> opened_;  // guarded by mu_: leased ones
};

// The user an HTTP Authorization header names: "Bearer <medlake token>" or "Basic <base64
// user:password>" (checked against the user's SCRAM verifier). Unauthenticated otherwise, with
// the same message for every failure; failures are audited with `client`.
Result<std::string> AuthenticateHttp(Authenticator& auth, std::optional<std::string_view> authorization,
                                     const std::string& client);

}  // namespace medlake::server
