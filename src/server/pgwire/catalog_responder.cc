#include "server/pgwire/catalog_responder.h"

#include <cctype>
#include <map>
#include <mutex>

#include "core/logging.h"
#include "server/pgcatalog/catalog_shim.h"

namespace medlake::server::pgwire {
namespace {

class ShimResponder final : public CatalogResponder {
 public:
  ShimResponder(engine::LakeSession& session, std::string user, std::string server_version)
      : session_(session), user_(std::move(user)), server_version_(std::move(server_version)) {}

  bool Handles(std::string_view sql) override {
    if (!MayBeCatalogQuery(sql)) return false;
    if (Status built = EnsureShim(); !built.ok()) {
      // The lake session then answers (or explains) it, as DuckDB would: say so, once.
      if (!warned_) {
        warned_ = true;
        Log(LogLevel::kWarn, "pgwire.catalog_shim_failed", {LogField::Error("error", built.ToString())});
      }
      return false;
    }
    return shim_->IsCatalogQuery(sql);
  }

  Result<std::unique_ptr<engine::QueryResult>> Run(std::string_view sql) override {
    MEDLAKE_RETURN_IF_ERROR(EnsureShim());
    return shim_->Run(sql);
  }

  void Interrupt() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (shim_) shim_->Interrupt();
  }

  void SettingChanged(const std::string& name, const std::string& value) override {
    settings_[name] = value;
    if (shim_) (void)shim_->SetSetting(name, value);
  }

 private:
  // The lake catalog's state: a new table, a schema change or a changed grant rebuilds the shim.
  // The access epoch moves with every commit to the catalog database and every security change,
  // so no query is needed to tell.
  Result<std::string> CatalogVersion() {
    engine::AccessController* access = session_.access();
    if (access == nullptr) return FailedPrecondition("the catalog shim needs a session with an access controller");
    MEDLAKE_RETURN_IF_ERROR(access->BeginStatement());
    MEDLAKE_ASSIGN_OR_RETURN(std::string epoch, access->AccessEpoch());
    if (epoch.empty()) return Status(StatusCode::kUnimplemented, "no access epoch");
    return epoch;
  }

  Status EnsureShim() {
    auto version = CatalogVersion();
    if (shim_ && version.ok() && *version == version_) return Status::OK();
    std::map<std::pair<std::string, std::string>, pgcatalog::ShimTable> tables;
    std::vector<std::string> namespaces;
    auto collect = [&](const std::string& sql, const std::function<void(const std::vector<engine::Value>&)>& row) {
      return session_.Run(sql, [&](size_t, engine::StatementOutcome& o) -> Status {
        if (!o.rows) return Status::OK();
        MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
        for (const auto& r : rows) row(r);
        return Status::OK();
      });
    };
    auto text = [](const engine::Value& v) { return v.is_null() ? std::string() : v.ToText(); };
    MEDLAKE_RETURN_IF_ERROR(collect("SELECT ns FROM catalog.schemas ORDER BY ns",
                                    [&](const auto& r) { namespaces.push_back(text(r[0])); }));
    MEDLAKE_RETURN_IF_ERROR(
        collect("SELECT ns, table_name, description FROM catalog.tables ORDER BY ns, table_name", [&](const auto& r) {
          auto& t = tables[{text(r[0]), text(r[1])}];
          t.namespace_name = text(r[0]);
          t.name = text(r[1]);
          t.comment = text(r[2]);
        }));
    MEDLAKE_RETURN_IF_ERROR(collect(
        "SELECT ns, table_name, column_name, type, description FROM catalog.columns ORDER BY ns, table_name, field_id",
        [&](const auto& r) {
          auto it = tables.find({text(r[0]), text(r[1])});
          if (it == tables.end()) return;
          pgcatalog::ShimColumn c;
          c.name = text(r[2]);
          c.type = text(r[3]);
          c.comment = text(r[4]);
          it->second.columns.push_back(std::move(c));
        }));
    // What the user may do with each of them (has_table_privilege() and friends).
    engine::AccessController* access = session_.access();
    if (access == nullptr) return FailedPrecondition("the catalog shim needs a session with an access controller");
    std::vector<pgcatalog::ShimTable> list;
    for (auto& [k, t] : tables) {
      MEDLAKE_ASSIGN_OR_RETURN(t.privileges, access->PrivilegesOn(t.namespace_name, t.name));
      list.push_back(std::move(t));
    }
    pgcatalog::ShimOptions options;
    options.user = user_;
    options.server_version = server_version_;
    options.namespaces = namespaces;
    for (const std::string& ns : namespaces) {
      MEDLAKE_ASSIGN_OR_RETURN(options.namespace_privileges[ns], access->PrivilegesOn(ns, ""));
    }
    MEDLAKE_ASSIGN_OR_RETURN(engine::ObjectPrivileges lake, access->PrivilegesOn("", ""));
    options.may_create_schemas = lake.ownership;
    MEDLAKE_ASSIGN_OR_RETURN(auto shim, pgcatalog::CatalogShim::Build(list, options));
    {
      std::lock_guard<std::mutex> lock(mu_);  // Interrupt() may look at shim_ from another thread
      shim_ = std::move(shim);
    }
    for (const auto& [name, value] : settings_) (void)shim_->SetSetting(name, value);
    version_ = version.ok() ? *version : std::string();  // no epoch: rebuilt every time
    return Status::OK();
  }

  engine::LakeSession& session_;
  std::string user_;
  std::string server_version_;
  std::mutex mu_;  // guards shim_ replacement against Interrupt()
  std::unique_ptr<pgcatalog::CatalogShim> shim_;
  std::string version_;
  std::map<std::string, std::string> settings_;
  bool warned_ = false;  // the shim's failure was logged
};

}  // namespace

bool MayBeCatalogQuery(std::string_view sql) {
  std::string lower(sql);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const char* kWords[] = {"pg_",          "information_schema", "version(",     "current_schema",
                                 "current_setting", "current_user",    "session_user", "current_database",
                                 "format_type",  "has_",               "obj_description", "col_description",
                                 "set_config",   "::reg",              "show "};
  for (const char* w : kWords) {
    if (lower.find(w) != std::string::npos) return true;
  }
  return false;
}

CatalogResponderFactory MakeCatalogShimFactory(std::string server_version) {
  return [server_version](engine::LakeSession& session,
                          const std::string& user) -> Result<std::unique_ptr<CatalogResponder>> {
    return std::unique_ptr<CatalogResponder>(std::make_unique<ShimResponder>(session, user, server_version));
  };
}

}  // namespace medlake::server::pgwire
