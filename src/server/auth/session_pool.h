// server/auth/session_pool.h: SQL sessions reused across HTTP requests.
//
// Part of the server module. Opening a session costs a DuckDB instance, a SecurityController
// (SQLite reads) and a "login" audit record: a few milliseconds, too much per REST or FHIR
// request. The pool keeps idle sessions per (user, purpose) and lends one per request; the
// session's audit records name the request's client address (SecurityController::SetClient).
// A session whose purpose was changed by the request (SET medlake.purpose) or whose last
// statement failed to be audited is not returned to the pool. Temporary tables a request creates
// stay with the session and may be seen by a later request of the same user: the REST API says so.
//
// Thread-safety: Acquire() from any thread; a lease belongs to one thread.
#pragma once

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
  void Release(const std::string& key, std::unique_ptr<engine::LakeSession> session);

  Authenticator& auth_;
  size_t max_idle_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<engine::LakeSession>>> idle_;  // guarded by mu_
};

// The user an HTTP Authorization header names: "Bearer <medlake token>" or "Basic <base64
// user:password>" (checked against the user's SCRAM verifier). Unauthenticated otherwise, with
// the same message for every failure; failures are audited with `client`.
Result<std::string> AuthenticateHttp(Authenticator& auth, std::optional<std::string_view> authorization,
                                     const std::string& client);

}  // namespace medlake::server
