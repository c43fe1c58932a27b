#include "cli/user_session.h"

#include <cstdlib>

#include "security/governance_hooks.h"

namespace medlake::cli {

std::string DefaultOwnerName() {
  const char* env = std::getenv("USER");
  std::string name = env ? env : "";
  if (!name.empty() && security::ValidatePrincipalName(name).ok()) return name;
  return "owner";
}

Result<std::shared_ptr<security::SecurityController>> OpenController(const storage::Lake& lake,
                                                                     const UserOptions& who) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string owner, security::LakeOwner(lake.catalog_path(), DefaultOwnerName()));
  security::SecurityControllerOptions options;
  options.lake_root = lake.root();
  options.catalog_path = lake.catalog_path();
  MEDLAKE_RETURN_IF_ERROR(security::WireGovernance(&options));
  security::SessionIdentity identity;
  identity.actor = owner;
  identity.user = who.user.empty() ? owner : who.user;
  identity.client = "cli";
  identity.purpose = who.purpose;
  return security::SecurityController::Open(options, identity);
}

Result<std::unique_ptr<engine::LakeSession>> OpenUserSession(const storage::Lake& lake, const UserOptions& who,
                                                             engine::LakeSessionOptions options) {
  MEDLAKE_ASSIGN_OR_RETURN(auto controller, OpenController(lake, who));
  options.access = std::move(controller);
  return engine::LakeSession::Open(lake, options);
}

Status AuthorizeJob(const storage::Lake& lake, const UserOptions& who, const std::string& command_line) {
  MEDLAKE_ASSIGN_OR_RETURN(auto controller, OpenController(lake, who));
  MEDLAKE_ASSIGN_OR_RETURN(auto principal, controller->store().GetPrincipal(controller->identity().user));
  security::AuditRecord record;
  record.action = "job";
  record.statement = command_line;
  Status st = principal.admin ? Status::OK()
                              : PermissionDenied("permission denied: `" + command_line + "` is for admins, not user " +
                                                 principal.name);
  record.outcome = st.ok() ? "ok" : "denied";
  record.error = st.ok() ? "" : st.message();
  MEDLAKE_RETURN_IF_ERROR(controller->Audit(record));
  return st;
}

}  // namespace medlake::cli
