// server/auth/auth.h: who a network client is, and the SQL session it gets.
//
// Part of the server module (see ../README.md). Every front end (pgwire, REST, FHIR, Iceberg REST)
// authenticates here and opens its sessions here, so they all get the same security layer as the
// CLI: a SecurityController (guard, grants, policies, purpose of use) in front of a LakeSession,
// writing to the one audit log the server shares between its sessions (group commit).
//
// Failed logins are audited ("login", outcome "denied") with the name that was tried and the
// client address, never the secret. Unknown users, disabled users and users without a password
// all fail the same way, after the same work (a SCRAM exchange against a mock verifier), so a
// client cannot probe for names.
//
// Failed logins are also counted per client address: an address with too many failures within
// a window (default 20 in 10 minutes) is refused before any credential is checked, until its
// failures age out of the window ("too many failed logins"; HTTP 429, pgwire SQLSTATE 28000),
// which bounds online password guessing. Addresses, not user names, are throttled, so a
// guesser cannot lock a user out.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"
#include "engine/lake_session.h"
#include "security/access_controller.h"
#include "security/audit/audit_log.h"
#include "security/scram.h"
#include "security/store.h"
#include "storage/lake.h"

namespace medlake::server {

class Authenticator {
 public:
  // How many session engines are kept started ahead of time.
  static constexpr size_t kSpareEngines = 2;

  // `lake` must outlive the authenticator. `session_options` are the defaults of every SQL
  // session (threads, memory limit); their `access` is set per session. `audit_sync_interval_ms`
  // is the audit log's security::AuditLogOptions::sync_interval_ms (0: every record durable
  // before its statement's result is sent).
  static Result<std::unique_ptr<Authenticator>> Open(const storage::Lake& lake,
                                                     engine::LakeSessionOptions session_options,
                                                     int audit_sync_interval_ms = 0);

  // The SCRAM verifier to check `user`'s proof against. `real` is false when the user cannot log
  // in with a password (unknown, disabled, role/group, no password): the exchange runs against a
  // mock verifier whose proof can never match.
  struct ScramCredentials {
    security::ScramVerifier verifier;
    bool real = false;
  };
  Result<ScramCredentials> ScramFor(const std::string& user);

  // The principal a bearer token (`mlk_<id>_<secret>`) belongs to; Unauthenticated when the token
  // is unknown, expired, revoked, or its principal disabled.
  Result<std::string> VerifyToken(const std::string& token);

  // Appends a denied "login" record (best effort: an audit failure is logged, not returned,
  // because the client is refused anyway) and counts the failure against the client's address.
  // `client` is "<front end> <address>:<port>".
  void AuditLoginFailure(const std::string& user, const std::string& client, const std::string& reason);
  // ResourceExhausted when `client`'s address is throttled for failed logins; call before
  // checking credentials.
  Status AdmitLogin(const std::string& client);
  // Failures allowed per address within `window_ms` (tests and `medlake serve` settings).
  void SetLoginThrottle(int max_failures, int64_t window_ms);

  // A SQL session for an authenticated `user` (writes its "login" record). `client` is e.g.
  // "pgwire 127.0.0.1:5000"; `purpose` may be empty. The session's DuckDB is one started ahead
  // of time when one is ready (kSpareEngines are kept by a thread of their own from the first
  // call or KeepSpareEngines on; starting DuckDB is most of opening a session), else one started now.
  Result<std::unique_ptr<engine::LakeSession>> OpenSession(const std::string& user, const std::string& purpose,
                                                           const std::string& client);

  const storage::Lake& lake() const { return lake_; }
  std::shared_ptr<security::AuditLog> audit() const { return audit_; }

  // Starts the thread that keeps kSpareEngines started (OpenSession does on its first call).
  void KeepSpareEngines();
  // Sessions opened from an engine started ahead of time (see OpenSession), and the engines
  // ready now.
  int64_t sessions_from_spares() const;
  size_t spare_engines_ready() const;

  Authenticator(const storage::Lake& lake, engine::LakeSessionOptions session_options,
                std::unique_ptr<security::SecurityStore> store, std::shared_ptr<security::AuditLog> audit,
                std::string mock_secret);
  ~Authenticator();

 private:
  class SpareEngines;
  const storage::Lake& lake_;
  engine::LakeSessionOptions session_options_;
  std::mutex mu_;
  std::unique_ptr<security::SecurityStore> store_;  // guarded by mu_
  std::shared_ptr<security::AuditLog> audit_;
  std::string mock_secret_;  // per process: mock salts are stable per name within a run
  std::mutex throttle_mu_;
  int max_failures_ = 20;
  int64_t failure_window_ms_ = 10 * 60 * 1000;
  std::map<std::string, std::deque<int64_t>> failures_;  // address -> failure times; throttle_mu_
  // Started by KeepSpareEngines; last, so that its thread stops before the rest goes.
  std::once_flag spares_started_;
  std::atomic<bool> spares_running_{false};  // spares_ is set
  std::atomic<int64_t> sessions_from_spares_{0};
  std::unique_ptr<SpareEngines> spares_;
};

}  // namespace medlake::server
