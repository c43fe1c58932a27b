#include "server/auth/auth.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/logging.h"
#include "security/governance_hooks.h"

namespace medlake::server {

// Keeps `keep` session engines started (LakeSession::StartEngine), made by a thread of its own.
class Authenticator::SpareEngines {
 public:
  SpareEngines(const storage::Lake& lake, engine::LakeSessionOptions options, size_t keep)
      : lake_(lake), options_(std::move(options)), keep_(keep) {
    options_.access.reset();
    thread_ = std::thread([this] { Loop(); });
  }
  ~SpareEngines() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  // A ready engine, or null when none is (the caller starts one itself).
  std::unique_ptr<engine::LakeSession::Engine> Take() {
    std::unique_ptr<engine::LakeSession::Engine> engine;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ready_.empty()) return nullptr;
      engine = std::move(ready_.back());
      ready_.pop_back();
    }
    cv_.notify_all();
    return engine;
  }
  size_t ready() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ready_.size();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stopping_ || ready_.size() < keep_; });
      if (stopping_) return;
      lock.unlock();
      auto engine = engine::LakeSession::StartEngine(lake_, options_, /*untrusted=*/true);
      lock.lock();
      if (engine.ok()) {
        ready_.push_back(std::move(*engine));
        continue;
      }
      // Sessions still open (each starts its own engine); try again later.
      Log(LogLevel::kWarn, "server.spare_engine_failed", {LogField::Error("error", engine.status().ToString())});
      cv_.wait_for(lock, std::chrono::seconds(5), [&] { return stopping_; });
    }
  }

  const storage::Lake& lake_;
  engine::LakeSessionOptions options_;
  const size_t keep_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<engine::LakeSession::Engine>> ready_;  // guarded by mu_
  bool stopping_ = false;                                            // guarded by mu_
  std::thread thread_;
};

Authenticator::~Authenticator() = default;

void Authenticator::KeepSpareEngines() {
  std::call_once(spares_started_, [&] {
    spares_ = std::make_unique<SpareEngines>(lake_, session_options_, kSpareEngines);
    spares_running_.store(true, std::memory_order_release);
  });
}

int64_t Authenticator::sessions_from_spares() const { return sessions_from_spares_.load(); }

size_t Authenticator::spare_engines_ready() const {
  // (spares_ is set once, under call_once; a thread that did not call it sees it through the flag)
  return spares_running_.load(std::memory_order_acquire) ? spares_->ready() : 0;
}

Authenticator::Authenticator(const storage::Lake& lake, engine::LakeSessionOptions session_options,
                             std::unique_ptr<security::SecurityStore> store,
                             std::shared_ptr<security::AuditLog> audit, std::string mock_secret)
    : lake_(lake),
      session_options_(std::move(session_options)),
      store_(std::move(store)),
      audit_(std::move(audit)),
      mock_secret_(std::move(mock_secret)) {}

Result<std::unique_ptr<Authenticator>> Authenticator::Open(const storage::Lake& lake,
                                                           engine::LakeSessionOptions session_options,
                                                           int audit_sync_interval_ms) {
  if (audit_sync_interval_ms < 0) return InvalidArgument("the audit sync interval cannot be negative");
  MEDLAKE_ASSIGN_OR_RETURN(auto store, security::SecurityStore::Open(lake.catalog_path()));
  security::AuditLogOptions audit_options;
  audit_options.sync_interval_ms = audit_sync_interval_ms;
  MEDLAKE_ASSIGN_OR_RETURN(auto audit, security::AuditLog::Open(lake.root() + "/audit", audit_options));
  MEDLAKE_ASSIGN_OR_RETURN(std::string secret, RandomBytes(32));
  return std::make_unique<Authenticator>(lake, std::move(session_options), std::move(store),
                                         std::shared_ptr<security::AuditLog>(std::move(audit)), std::move(secret));
}

Result<Authenticator::ScramCredentials> Authenticator::ScramFor(const std::string& user) {
  std::optional<security::PrincipalRecord> principal;
  {
    std::lock_guard<std::mutex> lock(mu_);
    MEDLAKE_ASSIGN_OR_RETURN(principal, store_->FindPrincipal(user));
  }
  ScramCredentials c;
  if (principal && !principal->disabled && !principal->password_verifier.empty() &&
      (principal->kind == security::PrincipalKind::kUser ||
       principal->kind == security::PrincipalKind::kService)) {
    auto parsed = security::ParseScramVerifier(principal->password_verifier);
    if (parsed.ok()) {
      c.verifier = std::move(*parsed);
      c.real = true;
      return c;
    }
  }
  // The mock: a salt that is stable for the name (as a real one would be) and keys nobody knows.
  Sha256Digest salt = HmacSha256(mock_secret_, "salt:" + user);
  Sha256Digest keys = HmacSha256(mock_secret_, "keys:" + user);
  c.verifier.iterations = 4096;
  c.verifier.salt.assign(reinterpret_cast<const char*>(salt.data()), 16);
  c.verifier.stored_key.assign(reinterpret_cast<const char*>(keys.data()), keys.size());
  c.verifier.server_key = c.verifier.stored_key;
  c.real = false;
  return c;
}

Result<std::string> Authenticator::VerifyToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto principal = store_->VerifyToken(token);
  if (!principal.ok()) {
    if (principal.status().code() == StatusCode::kInternal || principal.status().code() == StatusCode::kIOError) {
      return principal.status();
    }
    return Unauthenticated("invalid, expired or revoked token");
  }
  return principal;
}

namespace {

// The address of a client string "<front end> <address>:<port>" (IPv4; the whole text when it
// has another shape).
std::string ClientAddress(const std::string& client) {
  size_t space = client.rfind(' ');
  std::string address = space == std::string::npos ? client : client.substr(space + 1);
  size_t colon = address.rfind(':');
  if (colon != std::string::npos) address.resize(colon);
  return address;
}

// Drops failure times older than `oldest`.
void Expire(std::deque<int64_t>& times, int64_t oldest) {
  while (!times.empty() && times.front() < oldest) times.pop_front();
}

// Addresses tracked at most; past it, addresses without recent failures are forgotten first.
constexpr size_t kMaxTrackedAddresses = 100'000;

}  // namespace

void Authenticator::SetLoginThrottle(int max_failures, int64_t window_ms) {
  std::lock_guard<std::mutex> lock(throttle_mu_);
  max_failures_ = max_failures;
  failure_window_ms_ = window_ms;
}

Status Authenticator::AdmitLogin(const std::string& client) {
  const int64_t now = SystemClock::Default().NowMillis();
  std::lock_guard<std::mutex> lock(throttle_mu_);
  auto it = failures_.find(ClientAddress(client));
  if (it == failures_.end()) return Status::OK();
  Expire(it->second, now - failure_window_ms_);
  if (static_cast<int>(it->second.size()) < max_failures_) return Status::OK();
  int64_t retry_s = (it->second.front() + failure_window_ms_ - now) / 1000 + 1;
  return ResourceExhausted("too many failed logins from this address; try again in " + std::to_string(retry_s) + " s");
}

void Authenticator::AuditLoginFailure(const std::string& user, const std::string& client, const std::string& reason) {
  {
    const int64_t now = SystemClock::Default().NowMillis();
    std::lock_guard<std::mutex> lock(throttle_mu_);
    if (failures_.size() >= kMaxTrackedAddresses) {
      for (auto i = failures_.begin(); i != failures_.end();) {
        Expire(i->second, now - failure_window_ms_);
        i = i->second.empty() ? failures_.erase(i) : std::next(i);
      }
    }
    if (failures_.size() < kMaxTrackedAddresses) {
      auto& times = failures_[ClientAddress(client)];
      Expire(times, now - failure_window_ms_);
      times.push_back(now);
      // Past the limit only the newest max_failures_ times matter.
      while (static_cast<int>(times.size()) > std::max(max_failures_, 1)) times.pop_front();
      if (static_cast<int>(times.size()) == max_failures_) {
        Log(LogLevel::kWarn, "login_throttled", {LogField("client", LogId(client))});
      }
    }
  }
  security::AuditRecord record;
  record.actor = user.substr(0, 64);
  record.client = client;
  record.action = "login";
  record.outcome = "denied";
  record.error = reason;
  Status st = audit_->Append(record);
  if (!st.ok()) Log(LogLevel::kError, "audit_failed_login_not_recorded", {LogField::Error("error", st.ToString())});
}

Result<std::unique_ptr<engine::LakeSession>> Authenticator::OpenSession(const std::string& user,
                                                                        const std::string& purpose,
                                                                        const std::string& client) {
  security::SecurityControllerOptions options;
  options.lake_root = lake_.root();
  options.catalog_path = lake_.catalog_path();
  options.audit = audit_;
  MEDLAKE_RETURN_IF_ERROR(security::WireGovernance(&options));
  security::SessionIdentity identity;
  identity.actor = user;
  identity.user = user;
  identity.client = client;
  identity.purpose = purpose;
  MEDLAKE_ASSIGN_OR_RETURN(auto controller, security::SecurityController::Open(options, identity));
  engine::LakeSessionOptions session_options = session_options_;
  session_options.access = std::move(controller);
  KeepSpareEngines();
  if (auto engine = spares_->Take()) {
    sessions_from_spares_.fetch_add(1);
    return engine::LakeSession::Open(lake_, session_options, std::move(engine));
  }
  return engine::LakeSession::Open(lake_, session_options);
}

}  // namespace medlake::server
