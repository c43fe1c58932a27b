#include "cli/user_session.h"

#include <cstdlib>

#include "governance/metadata_store.h"
#include "governance/statements.h"

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
  // The governance catalog: tags for tag-bound policies, its statements (COMMENT ON, SET TAGS)
  // and its views (catalog.tables, catalog.columns, ...), filtered to what the user may see.
  MEDLAKE_ASSIGN_OR_RETURN(std::shared_ptr<governance::MetadataStore> meta,
                           governance::MetadataStore::OpenCatalog(lake.catalog_path()));
  options.tags = [meta](const std::string& ns, const std::string& t) { return meta->TableAndColumnTags(ns, t); };
  options.extensions = [meta](std::string_view sql) -> Result<std::optional<security::ExtensionStatement>> {
    MEDLAKE_ASSIGN_OR_RETURN(auto st, governance::ParseGovernanceStatement(sql));
    if (!st) return std::optional<security::ExtensionStatement>();
    security::ExtensionStatement ext;
    ext.ns = st->object.ns;
    ext.table = st->object.table;
    ext.action = "catalog";
    ext.run = [meta, s = *st](const std::string& actor) { return governance::ExecuteGovernanceStatement(s, *meta, actor); };
    return std::optional<security::ExtensionStatement>(std::move(ext));
  };
  options.views = [meta](const std::string& ns, const std::string& name,
                         const security::VisibilityCheck& visible) -> Result<std::optional<std::string>> {
    if (ns != governance::kCatalogViewNamespace) return std::optional<std::string>();
    MEDLAKE_ASSIGN_OR_RETURN(std::string sql, governance::CatalogTableSql(*meta, name, [&](const storage::TableIdentifier& id) {
                               return visible(id.ns, id.name);
                             }));
    return std::optional<std::string>(std::move(sql));
  };
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
