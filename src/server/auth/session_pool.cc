#include "server/auth/session_pool.h"

#include "core/crypto.h"

namespace medlake::server {
namespace {

std::string PoolKey(const std::string& user, const std::string& purpose) { return user + '\n' + purpose; }

}  // namespace

security::SecurityController& SessionLease::controller() {
  return *static_cast<security::SecurityController*>(session_->access());
}

SessionLease::~SessionLease() {
  if (!session_ || !pool_) return;
  pool_->Release(key_, std::move(session_), discard_);
}

Result<SessionLease> SessionPool::Acquire(const std::string& user, const std::string& purpose,
                                          const std::string& client) {
  std::string key = PoolKey(user, purpose);
  std::unique_ptr<engine::LakeSession> session;
  auto opened = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(key);
    while (it != idle_.end() && !it->second.empty() && !session) {
      Idle idle = std::move(it->second.back());
      it->second.pop_back();
      if (std::chrono::steady_clock::now() - idle.opened < kMaxAge) {
        session = std::move(idle.session);
        opened = idle.opened;
      }
    }
  }
  if (!session) {
    MEDLAKE_ASSIGN_OR_RETURN(session, auth_.OpenSession(user, purpose, client));
  } else {
    static_cast<security::SecurityController*>(session->access())->SetClient(client);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    opened_[session.get()] = opened;
  }
  return SessionLease(this, key, std::move(session));
}

void SessionPool::Release(const std::string& key, std::unique_ptr<engine::LakeSession> session, bool discard) {
  std::chrono::steady_clock::time_point opened;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = opened_.find(session.get());
    if (it == opened_.end()) return;
    opened = it->second;
    opened_.erase(it);
  }
  if (discard) return;
  auto* controller = static_cast<security::SecurityController*>(session->access());
  // A request that changed the session's purpose leaves it out of the pool: its key would lie.
  if (controller == nullptr || PoolKey(controller->identity().user, controller->identity().purpose) != key) return;
  // Rows read under break-the-glass, or copied into temporary objects, must not outlive the
  // request that was allowed to read them.
  if (controller->break_glass()) return;
  // Only statements other than plain SELECTs can have made temporary objects; the catalog
  // query (which renders every view's SQL) runs only after such a request.
  if (session->ran_other_than_queries()) {
    auto temps = session->connection().Query(
        "SELECT (SELECT count(*) FROM duckdb_tables() WHERE temporary) + "
        "(SELECT count(*) FROM duckdb_views() WHERE temporary AND NOT internal)",
        /*streaming=*/false);
    if (!temps.ok()) return;
    auto rows = (*temps)->FetchAll();
    if (!rows.ok() || rows->empty() || rows->front().empty() || rows->front()[0].ToText() != "0") return;
    session->ForgetStatementKinds();
  }
  if (std::chrono::steady_clock::now() - opened >= kMaxAge) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto& list = idle_[key];
  if (list.size() < max_idle_) list.push_back(Idle{std::move(session), opened});
}

size_t SessionPool::idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [k, v] : idle_) n += v.size();
  return n;
}

void SessionPool::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.clear();
}

Result<std::string> AuthenticateHttp(Authenticator& auth, std::optional<std::string_view> authorization,
                                     const std::string& client) {
  const Status refused = Unauthenticated("missing or invalid credentials: send Authorization: Bearer <token>");
  if (!authorization) return refused;
  MEDLAKE_RETURN_IF_ERROR(auth.AdmitLogin(client));
  std::string_view h = *authorization;
  auto starts = [&](std::string_view p) {
    if (h.size() < p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(h[i])) != std::tolower(static_cast<unsigned char>(p[i]))) return false;
    }
    return true;
  };
  if (starts("bearer ")) {
    std::string token(h.substr(7));
    while (!token.empty() && token.front() == ' ') token.erase(token.begin());
    auto user = auth.VerifyToken(token);
    if (user.ok()) return user;
    // A medlake token's id (mlk_<16 hex>) finds it in the audit; anything else sent as a bearer
    // token (a password, another system's token) is recorded as malformed, none of it kept.
    std::string id = "malformed";
    if (token.size() > 21 && token.rfind("mlk_", 0) == 0 && token[20] == '_' &&
        token.find_first_not_of("0123456789abcdef", 4) == 20) {
      id = token.substr(0, 20);
    }
    auth.AuditLoginFailure("token:" + id, client, "invalid, expired or revoked token");
    return refused;
  }
  if (starts("basic ")) {
    auto decoded = Base64Decode(std::string(h.substr(6)));
    size_t colon = decoded.ok() ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) return refused;
    std::string user = decoded->substr(0, colon);
    std::string password = decoded->substr(colon + 1);
    MEDLAKE_ASSIGN_OR_RETURN(auto creds, auth.ScramFor(user));
    // Derived for unknown users too (against the mock salt): the same work either way.
    auto derived = security::DeriveScramVerifier(password, creds.verifier.salt, creds.verifier.iterations);
    bool ok = creds.real && derived.ok() && ConstantTimeEquals(derived->stored_key, creds.verifier.stored_key);
    if (ok) return user;
    auth.AuditLoginFailure(user, client, "wrong password, or no such user with a password");
    return refused;
  }
  return refused;
}

}  // namespace medlake::server
