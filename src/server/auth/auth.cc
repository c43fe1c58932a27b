#include "server/auth/auth.h"

#include "core/crypto.h"
#include "core/logging.h"
#include "security/governance_hooks.h"

namespace medlake::server {

Authenticator::Authenticator(const storage::Lake& lake, engine::LakeSessionOptions session_options,
                             std::unique_ptr<security::SecurityStore> store,
                             std::shared_ptr<security::AuditLog> audit, std::string mock_secret)
    : lake_(lake),
      session_options_(std::move(session_options)),
      store_(std::move(store)),
      audit_(std::move(audit)),
      mock_secret_(std::move(mock_secret)) {}

Result<std::unique_ptr<Authenticator>> Authenticator::Open(const storage::Lake& lake,
                                                           engine::LakeSessionOptions session_options) {
  MEDLAKE_ASSIGN_OR_RETURN(auto store, security::SecurityStore::Open(lake.catalog_path()));
  MEDLAKE_ASSIGN_OR_RETURN(auto audit, security::AuditLog::Open(lake.root() + "/audit"));
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

void Authenticator::AuditLoginFailure(const std::string& user, const std::string& client, const std::string& reason) {
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
  return engine::LakeSession::Open(lake_, session_options);
}

}  // namespace medlake::server
