#include "security/governance_hooks.h"

#include "governance/metadata_store.h"
#include "governance/statements.h"

namespace medlake::security {

Status WireGovernance(SecurityControllerOptions* options) {
  // The governance catalog: tags for tag-bound policies, its statements (COMMENT ON, SET TAGS)
  // and its views (catalog.tables, catalog.columns, ...), filtered to what the user may see.
  MEDLAKE_ASSIGN_OR_RETURN(std::shared_ptr<governance::MetadataStore> meta,
                           governance::MetadataStore::OpenCatalog(options->catalog_path));
  options->tags = [meta](const std::string& ns, const std::string& t) { return meta->TableAndColumnTags(ns, t); };
  options->extensions = [meta](std::string_view sql) -> Result<std::optional<ExtensionStatement>> {
    MEDLAKE_ASSIGN_OR_RETURN(auto st, governance::ParseGovernanceStatement(sql));
    if (!st) return std::optional<ExtensionStatement>();
    ExtensionStatement ext;
    ext.ns = st->object.ns;
    ext.table = st->object.table;
    ext.action = "catalog";
    if (st->kind == governance::GovernanceStatement::Kind::kSetTags ||
        st->kind == governance::GovernanceStatement::Kind::kUnsetTags) {
      ext.tags = st->values;
    }
    ext.run = [meta, s = *st](const std::string& actor) { return governance::ExecuteGovernanceStatement(s, *meta, actor); };
    return std::optional<ExtensionStatement>(std::move(ext));
  };
  options->views = [meta](const std::string& ns, const std::string& name,
                         const VisibilityCheck& visible) -> Result<std::optional<std::string>> {
    if (ns != governance::kCatalogViewNamespace) return std::optional<std::string>();
    MEDLAKE_ASSIGN_OR_RETURN(std::string sql, governance::CatalogTableSql(*meta, name, [&](const storage::TableIdentifier& id) {
                               return visible(id.ns, id.name);
                             }));
    return std::optional<std::string>(std::move(sql));
  };
  return Status::OK();
}

}  // namespace medlake::security
