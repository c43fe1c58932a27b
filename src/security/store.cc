#include "security/store.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>

#include "core/civil_date.h"
#include "core/crypto.h"
#include "storage/sqlite_db.h"

namespace medlake::security {
namespace {

using nlohmann::json;
using storage::SqliteStatement;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS medlake_principals (
  name TEXT PRIMARY KEY, kind TEXT NOT NULL, admin INTEGER NOT NULL DEFAULT 0,
  auditor INTEGER NOT NULL DEFAULT 0, owner INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0, password_verifier TEXT, attributes TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL, created_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS medlake_memberships (
  role TEXT NOT NULL, member TEXT NOT NULL, PRIMARY KEY (role, member));
CREATE TABLE IF NOT EXISTS medlake_grants (
  principal TEXT NOT NULL, privilege TEXT NOT NULL, ns TEXT NOT NULL, table_name TEXT NOT NULL,
  column_name TEXT NOT NULL, grant_option INTEGER NOT NULL DEFAULT 0, granted_by TEXT NOT NULL,
  granted_at TEXT NOT NULL, PRIMARY KEY (principal, privilege, ns, table_name, column_name));
CREATE TABLE IF NOT EXISTS medlake_policies (
  name TEXT PRIMARY KEY, definition TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS medlake_tokens (
  id TEXT PRIMARY KEY, principal TEXT NOT NULL, secret_sha256 TEXT NOT NULL, created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL, revoked_at TEXT, comment TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS medlake_break_glass (
  id INTEGER PRIMARY KEY AUTOINCREMENT, principal TEXT NOT NULL, reason TEXT NOT NULL,
  started_at TEXT NOT NULL, expires_at TEXT NOT NULL);
)sql";

std::string FormatMicros(int64_t micros) {
  int64_t secs = micros / 1'000'000;
  if (micros < 0 && micros % 1'000'000) --secs;
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y, m, d;
  CivilFromDays(days, &y, &m, &d);
  int64_t ms = ((micros % 1'000'000) + 1'000'000) % 1'000'000 / 1000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60), static_cast<long long>(ms));
  return buf;
}

PrincipalKind KindFromName(const std::string& s) {
  if (s == "role") return PrincipalKind::kRole;
  if (s == "group") return PrincipalKind::kGroup;
  if (s == "service") return PrincipalKind::kService;
  return PrincipalKind::kUser;
}

std::string Text(const SqliteStatement& s, int col) { return s.ColumnText(col).value_or(""); }

PrincipalRecord ReadPrincipal(const SqliteStatement& s) {
  PrincipalRecord p;
  p.name = Text(s, 0);
  p.kind = KindFromName(Text(s, 1));
  p.admin = s.ColumnInt64(2) != 0;
  p.auditor = s.ColumnInt64(3) != 0;
  p.owner = s.ColumnInt64(4) != 0;
  p.disabled = s.ColumnInt64(5) != 0;
  p.password_verifier = Text(s, 6);
  json attrs = json::parse(Text(s, 7), nullptr, false);
  if (attrs.is_object()) {
    for (auto& [k, v] : attrs.items()) {
      std::vector<std::string> values;
      if (v.is_array()) {
        for (auto& x : v) {
          if (x.is_string()) values.push_back(x.get<std::string>());
        }
      }
      p.attributes[k] = std::move(values);
    }
  }
  p.created_at = Text(s, 8);
  p.created_by = Text(s, 9);
  return p;
}

std::string AttributesJson(const PrincipalRecord& p) {
  json out = json::object();
  for (const auto& [k, v] : p.attributes) out[k] = v;
  return out.dump();
}

json PolicyToJson(const PolicyRecord& p) {
  static const char* kKinds[] = {"row_filter", "mask", "require_purpose"};
  return json{{"kind", kKinds[static_cast<int>(p.kind)]}, {"ns", p.ns}, {"table", p.table},
              {"tag", p.tag}, {"column", p.column}, {"expression", p.expression},
              {"mask", MaskKindName(p.mask)}, {"mask_arg", p.mask_arg}, {"field_id", p.field_id}, {"purposes", p.purposes},
              {"to", p.to}, {"except", p.except}};
}

Result<PolicyRecord> PolicyFromJson(const std::string& name, const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return DataLoss("policy " + name + ": unreadable definition");
  PolicyRecord p;
  p.name = name;
  std::string kind = j.value("kind", "");
  p.kind = kind == "mask" ? PolicyKind::kMask
           : kind == "require_purpose" ? PolicyKind::kRequirePurpose
                                       : PolicyKind::kRowFilter;
  p.ns = j.value("ns", "");
  p.table = j.value("table", "");
  p.tag = j.value("tag", "");
  p.column = j.value("column", "");
  p.expression = j.value("expression", "");
  std::string mask = j.value("mask", "redact");
  for (MaskKind k : {MaskKind::kRedact, MaskKind::kHash, MaskKind::kPartial, MaskKind::kYear, MaskKind::kNull}) {
    if (MaskKindName(k) == mask) p.mask = k;
  }
  p.mask_arg = j.value("mask_arg", 0);
  p.field_id = j.value("field_id", 0);
  auto list = [&](const char* key) {
    std::vector<std::string> out;
    if (j.contains(key) && j[key].is_array()) {
      for (auto& x : j[key]) {
        if (x.is_string()) out.push_back(x.get<std::string>());
      }
    }
    return out;
  };
  p.purposes = list("purposes");
  p.to = list("to");
  p.except = list("except");
  return p;
}

}  // namespace

std::string PrincipalKindName(PrincipalKind kind) {
  switch (kind) {
    case PrincipalKind::kUser: return "user";
    case PrincipalKind::kRole: return "role";
    case PrincipalKind::kGroup: return "group";
    case PrincipalKind::kService: return "service";
  }
  return "user";
}

std::string PrivilegeName(Privilege p) {
  switch (p) {
    case Privilege::kUsage: return "USAGE";
    case Privilege::kSelect: return "SELECT";
    case Privilege::kInsert: return "INSERT";
    case Privilege::kModify: return "MODIFY";
    case Privilege::kOwnership: return "OWNERSHIP";
  }
  return "SELECT";
}

Result<Privilege> ParsePrivilege(const std::string& upper) {
  for (Privilege p : {Privilege::kUsage, Privilege::kSelect, Privilege::kInsert, Privilege::kModify,
                      Privilege::kOwnership}) {
    if (PrivilegeName(p) == upper) return p;
  }
  return InvalidArgument("unknown privilege " + upper +
                         " (known: USAGE, SELECT, INSERT, MODIFY, OWNERSHIP, ALL)");
}

std::string MaskKindName(MaskKind k) {
  switch (k) {
    case MaskKind::kRedact: return "redact";
    case MaskKind::kHash: return "hash";
    case MaskKind::kPartial: return "partial";
    case MaskKind::kYear: return "year";
    case MaskKind::kNull: return "null";
  }
  return "redact";
}

Status ValidatePrincipalName(const std::string& name) {
  if (name.empty() || name.size() > 63) return InvalidArgument("principal names have 1 to 63 characters");
  if (!(name[0] >= 'a' && name[0] <= 'z')) {
    return InvalidArgument("principal name '" + name + "' must start with a lowercase letter");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '@' || c == '-';
    if (!ok) return InvalidArgument("principal name '" + name + "' may hold only a-z, 0-9, _ . @ -");
  }
  if (name == "public") return InvalidArgument("'public' is the implicit role of everyone");
  return Status::OK();
}

SecurityStore::SecurityStore(std::unique_ptr<storage::SqliteDb> db, const Clock* clock)
    : db_(std::move(db)), clock_(clock) {}
SecurityStore::~SecurityStore() = default;

Result<std::unique_ptr<SecurityStore>> SecurityStore::Open(const std::string& catalog_path,
                                                           const Clock* clock) {
  MEDLAKE_ASSIGN_OR_RETURN(auto db, storage::SqliteDb::Open(catalog_path, /*create=*/false));
  MEDLAKE_RETURN_IF_ERROR(db->Execute(kSchema));
  return std::make_unique<SecurityStore>(std::move(db), clock ? clock : &SystemClock::Default());
}

Result<int64_t> SecurityStore::DataVersion() { return db_->DataVersion(); }

std::string SecurityStore::Now() const { return FormatMicros(clock_->NowMicros()); }

Status SecurityStore::Transaction(const std::function<Status()>& body) {
  MEDLAKE_RETURN_IF_ERROR(db_->Execute("BEGIN IMMEDIATE"));
  Status st = body();
  if (!st.ok()) {
    (void)db_->Execute("ROLLBACK");
    return st;
  }
  return db_->Execute("COMMIT");
}

Status SecurityStore::CreatePrincipal(const PrincipalRecord& p) {
  MEDLAKE_RETURN_IF_ERROR(ValidatePrincipalName(p.name));
  MEDLAKE_ASSIGN_OR_RETURN(auto existing, FindPrincipal(p.name));
  if (existing) return AlreadyExists(PrincipalKindName(existing->kind) + " " + p.name + " already exists");
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO medlake_principals (name, kind, admin, auditor, owner, disabled, "
      "password_verifier, attributes, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?)"));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, p.name));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(2, PrincipalKindName(p.kind)));
  MEDLAKE_RETURN_IF_ERROR(s->BindInt64(3, p.admin));
  MEDLAKE_RETURN_IF_ERROR(s->BindInt64(4, p.auditor));
  MEDLAKE_RETURN_IF_ERROR(s->BindInt64(5, p.owner));
  MEDLAKE_RETURN_IF_ERROR(s->BindInt64(6, p.disabled));
  if (p.password_verifier.empty()) {
    MEDLAKE_RETURN_IF_ERROR(s->BindNull(7));
  } else {
    MEDLAKE_RETURN_IF_ERROR(s->BindText(7, p.password_verifier));
  }
  MEDLAKE_RETURN_IF_ERROR(s->BindText(8, AttributesJson(p)));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(9, p.created_at.empty() ? Now() : p.created_at));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(10, p.created_by));
  return s->Run();
}

constexpr const char* kPrincipalColumns =
    "name, kind, admin, auditor, owner, disabled, password_verifier, attributes, created_at, created_by";

Result<std::optional<PrincipalRecord>> SecurityStore::FindPrincipal(const std::string& name) {
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(std::string("SELECT ") + kPrincipalColumns +
                                                " FROM medlake_principals WHERE name = ?"));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, name));
  MEDLAKE_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<PrincipalRecord>();
  return std::optional<PrincipalRecord>(ReadPrincipal(*s));
}

Result<PrincipalRecord> SecurityStore::GetPrincipal(const std::string& name) {
  MEDLAKE_ASSIGN_OR_RETURN(auto p, FindPrincipal(name));
  if (!p) return NotFound("no user, role or group named " + name);
  return *p;
}

Result<std::vector<PrincipalRecord>> SecurityStore::ListPrincipals() {
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(std::string("SELECT ") + kPrincipalColumns +
                                                " FROM medlake_principals ORDER BY name"));
  std::vector<PrincipalRecord> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadPrincipal(*s));
  }
  return out;
}

Result<std::optional<PrincipalRecord>> SecurityStore::Owner() {
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(std::string("SELECT ") + kPrincipalColumns +
                                                " FROM medlake_principals WHERE owner = 1 LIMIT 1"));
  MEDLAKE_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<PrincipalRecord>();
  return std::optional<PrincipalRecord>(ReadPrincipal(*s));
}

Status SecurityStore::UpdatePrincipal(const PrincipalRecord& p) {
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "UPDATE medlake_principals SET admin = ?, auditor = ?, disabled = ?, password_verifier = ?, "
      "attributes = ? WHERE name = ?"));
  MEDLAKE_RETURN_IF_ERROR(s->BindInt64(1, p.admin));
  MEDLAKE_RETURN_IF_ERROR(s->BindInt64(2, p.auditor));
  MEDLAKE_RETURN_IF_ERROR(s->BindInt64(3, p.disabled));
  if (p.password_verifier.empty()) {
    MEDLAKE_RETURN_IF_ERROR(s->BindNull(4));
  } else {
    MEDLAKE_RETURN_IF_ERROR(s->BindText(4, p.password_verifier));
  }
  MEDLAKE_RETURN_IF_ERROR(s->BindText(5, AttributesJson(p)));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(6, p.name));
  MEDLAKE_RETURN_IF_ERROR(s->Run());
  if (db_->Changes() == 0) return NotFound("no user, role or group named " + p.name);
  return Status::OK();
}

Status SecurityStore::DropPrincipal(const std::string& name) {
  MEDLAKE_ASSIGN_OR_RETURN(PrincipalRecord p, GetPrincipal(name));
  if (p.owner) return FailedPrecondition("the lake owner " + name + " cannot be dropped");
  MEDLAKE_ASSIGN_OR_RETURN(auto policies, Policies());
  for (const auto& pol : policies) {
    for (const auto* list : {&pol.to, &pol.except}) {
      if (std::find(list->begin(), list->end(), name) != list->end()) {
        return FailedPrecondition("policy " + pol.name + " names " + name + ": drop or recreate it first");
      }
    }
  }
  return Transaction([&]() -> Status {
    for (const char* sql : {"DELETE FROM medlake_principals WHERE name = ?",
                            "DELETE FROM medlake_memberships WHERE role = ?1 OR member = ?1",
                            "DELETE FROM medlake_grants WHERE principal = ?",
                            "DELETE FROM medlake_tokens WHERE principal = ?",
                            "DELETE FROM medlake_break_glass WHERE principal = ?"}) {
      MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(sql));
      MEDLAKE_RETURN_IF_ERROR(s->BindText(1, name));
      MEDLAKE_RETURN_IF_ERROR(s->Run());
    }
    return Status::OK();
  });
}

Status SecurityStore::AddMember(const std::string& role, const std::string& member) {
  MEDLAKE_ASSIGN_OR_RETURN(PrincipalRecord r, GetPrincipal(role));
  MEDLAKE_RETURN_IF_ERROR(GetPrincipal(member).status());
  if (r.kind == PrincipalKind::kUser || r.kind == PrincipalKind::kService) {
    return InvalidArgument(role + " is a " + PrincipalKindName(r.kind) + ", not a role or group");
  }
  if (role == member) return InvalidArgument("a role cannot be a member of itself");
  MEDLAKE_ASSIGN_OR_RETURN(auto above, EffectiveRoles(role));
  if (above.count(member)) return InvalidArgument("granting " + role + " to " + member + " would make a cycle");
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT OR IGNORE INTO medlake_memberships (role, member) VALUES (?, ?)"));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, role));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(2, member));
  return s->Run();
}

Status SecurityStore::RemoveMember(const std::string& role, const std::string& member) {
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare("DELETE FROM medlake_memberships WHERE role = ? AND member = ?"));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, role));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(2, member));
  MEDLAKE_RETURN_IF_ERROR(s->Run());
  if (db_->Changes() == 0) return NotFound(member + " is not a member of " + role);
  return Status::OK();
}

Result<std::set<std::string>> SecurityStore::EffectiveRoles(const std::string& name) {
  std::set<std::string> out{name, "public"};
  std::vector<std::string> todo{name};
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT role FROM medlake_memberships WHERE member = ?"));
  while (!todo.empty()) {
    std::string m = todo.back();
    todo.pop_back();
    MEDLAKE_RETURN_IF_ERROR(s->Reset());
    MEDLAKE_RETURN_IF_ERROR(s->BindText(1, m));
    while (true) {
      MEDLAKE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      std::string role = Text(*s, 0);
      if (out.insert(role).second) todo.push_back(role);
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> SecurityStore::ListMemberships() {
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT role, member FROM medlake_memberships ORDER BY 1, 2"));
  std::vector<std::pair<std::string, std::string>> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.emplace_back(Text(*s, 0), Text(*s, 1));
  }
  return out;
}

Status SecurityStore::AddGrant(const GrantRecord& g) {
  if (g.principal != "public") MEDLAKE_RETURN_IF_ERROR(GetPrincipal(g.principal).status());
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO medlake_grants (principal, privilege, ns, table_name, column_name, grant_option, "
      "granted_by, granted_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (principal, privilege, ns, "
      "table_name, column_name) DO UPDATE SET grant_option = max(grant_option, excluded.grant_option)"));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, g.principal));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(2, PrivilegeName(g.privilege)));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(3, g.ns));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(4, g.table));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(5, g.column));
  MEDLAKE_RETURN_IF_ERROR(s->BindInt64(6, g.grant_option));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(7, g.granted_by));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(8, g.granted_at.empty() ? Now() : g.granted_at));
  return s->Run();
}

Result<int64_t> SecurityStore::RemoveGrant(const GrantRecord& g, bool grant_option_only) {
  std::string sql = grant_option_only ? "UPDATE medlake_grants SET grant_option = 0"
                                      : "DELETE FROM medlake_grants";
  sql += " WHERE principal = ? AND privilege = ? AND ns = ? AND table_name = ? AND column_name = ?";
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(sql));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, g.principal));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(2, PrivilegeName(g.privilege)));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(3, g.ns));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(4, g.table));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(5, g.column));
  MEDLAKE_RETURN_IF_ERROR(s->Run());
  return db_->Changes();
}

Result<std::vector<GrantRecord>> SecurityStore::Grants(const std::set<std::string>& principals) {
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "SELECT principal, privilege, ns, table_name, column_name, grant_option, granted_by, granted_at "
      "FROM medlake_grants ORDER BY principal, ns, table_name, column_name, privilege"));
  std::vector<GrantRecord> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    GrantRecord g;
    g.principal = Text(*s, 0);
    if (!principals.empty() && !principals.count(g.principal)) continue;
    auto priv = ParsePrivilege(Text(*s, 1));
    if (!priv.ok()) continue;
    g.privilege = *priv;
    g.ns = Text(*s, 2);
    g.table = Text(*s, 3);
    g.column = Text(*s, 4);
    g.grant_option = s->ColumnInt64(5) != 0;
    g.granted_by = Text(*s, 6);
    g.granted_at = Text(*s, 7);
    out.push_back(std::move(g));
  }
  return out;
}

Status SecurityStore::ForgetObject(const std::string& ns, const std::string& table) {
  std::string sql = table.empty() ? "DELETE FROM medlake_grants WHERE ns = ?"
                                  : "DELETE FROM medlake_grants WHERE ns = ? AND table_name = ?";
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(sql));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, ns));
  if (!table.empty()) MEDLAKE_RETURN_IF_ERROR(s->BindText(2, table));
  return s->Run();
}

Status SecurityStore::RenameTableReferences(const std::string& ns, const std::string& table,
                                            const std::string& new_table) {
  MEDLAKE_ASSIGN_OR_RETURN(auto policies, Policies());
  return Transaction([&]() -> Status {
    MEDLAKE_ASSIGN_OR_RETURN(auto g, db_->Prepare(
        "UPDATE medlake_grants SET table_name = ? WHERE ns = ? AND table_name = ?"));
    MEDLAKE_RETURN_IF_ERROR(g->BindText(1, new_table));
    MEDLAKE_RETURN_IF_ERROR(g->BindText(2, ns));
    MEDLAKE_RETURN_IF_ERROR(g->BindText(3, table));
    MEDLAKE_RETURN_IF_ERROR(g->Run());
    for (auto p : policies) {
      if (!p.tag.empty() || p.ns != ns || p.table != table) continue;
      p.table = new_table;
      MEDLAKE_ASSIGN_OR_RETURN(auto u, db_->Prepare("UPDATE medlake_policies SET definition = ? WHERE name = ?"));
      MEDLAKE_RETURN_IF_ERROR(u->BindText(1, PolicyToJson(p).dump()));
      MEDLAKE_RETURN_IF_ERROR(u->BindText(2, p.name));
      MEDLAKE_RETURN_IF_ERROR(u->Run());
    }
    return Status::OK();
  });
}

Status SecurityStore::CreatePolicy(const PolicyRecord& p) {
  MEDLAKE_RETURN_IF_ERROR(ValidatePrincipalName(p.name).WithContext("policy name"));
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO medlake_policies (name, definition, created_by, created_at) VALUES (?,?,?,?)"));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, p.name));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(2, PolicyToJson(p).dump()));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(3, p.created_by));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(4, p.created_at.empty() ? Now() : p.created_at));
  Status st = s->Run();
  if (st.code() == StatusCode::kAlreadyExists) return AlreadyExists("policy " + p.name + " already exists");
  return st;
}

Status SecurityStore::DropPolicy(const std::string& name) {
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare("DELETE FROM medlake_policies WHERE name = ?"));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, name));
  MEDLAKE_RETURN_IF_ERROR(s->Run());
  if (db_->Changes() == 0) return NotFound("no policy named " + name);
  return Status::OK();
}

Result<std::vector<PolicyRecord>> SecurityStore::Policies() {
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "SELECT name, definition, created_by, created_at FROM medlake_policies ORDER BY name"));
  std::vector<PolicyRecord> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    MEDLAKE_ASSIGN_OR_RETURN(PolicyRecord p, PolicyFromJson(Text(*s, 0), Text(*s, 1)));
    p.created_by = Text(*s, 2);
    p.created_at = Text(*s, 3);
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::string> SecurityStore::CreateToken(const std::string& principal, int64_t valid_days,
                                               const std::string& comment) {
  MEDLAKE_RETURN_IF_ERROR(GetPrincipal(principal).status());
  if (valid_days <= 0 || valid_days > 3650) return InvalidArgument("a token is valid for 1 to 3650 days");
  MEDLAKE_ASSIGN_OR_RETURN(std::string id, RandomHex(8));
  MEDLAKE_ASSIGN_OR_RETURN(std::string secret, RandomHex(24));
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO medlake_tokens (id, principal, secret_sha256, created_at, expires_at, comment) "
      "VALUES (?,?,?,?,?,?)"));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, id));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(2, principal));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(3, HexEncode(Sha256(secret))));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(4, Now()));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(5, FormatMicros(clock_->NowMicros() + valid_days * 86'400'000'000LL)));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(6, comment));
  MEDLAKE_RETURN_IF_ERROR(s->Run());
  return "mlk_" + id + "_" + secret;
}

Result<std::string> SecurityStore::VerifyToken(const std::string& token) {
  const Status denied = PermissionDenied("invalid, expired or revoked token");
  if (token.size() != 4 + 16 + 1 + 48 || token.rfind("mlk_", 0) != 0 || token[20] != '_') return denied;
  std::string id = token.substr(4, 16);
  std::string secret = token.substr(21);
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "SELECT principal, secret_sha256, expires_at, revoked_at FROM medlake_tokens WHERE id = ?"));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, id));
  MEDLAKE_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return denied;
  if (!ConstantTimeEquals(HexEncode(Sha256(secret)), Text(*s, 1))) return denied;
  if (s->ColumnText(3).has_value() || Text(*s, 2) <= Now()) return denied;
  std::string principal = Text(*s, 0);
  MEDLAKE_ASSIGN_OR_RETURN(auto p, FindPrincipal(principal));
  if (!p || p->disabled) return denied;
  return principal;
}

Status SecurityStore::RevokeToken(const std::string& id) {
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "UPDATE medlake_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, Now()));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(2, id));
  MEDLAKE_RETURN_IF_ERROR(s->Run());
  if (db_->Changes() == 0) return NotFound("no active token with id " + id);
  return Status::OK();
}

Result<std::vector<TokenRecord>> SecurityStore::Tokens() {
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "SELECT id, principal, created_at, expires_at, revoked_at, comment FROM medlake_tokens ORDER BY created_at"));
  std::vector<TokenRecord> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(TokenRecord{Text(*s, 0), Text(*s, 1), Text(*s, 2), Text(*s, 3), Text(*s, 4), Text(*s, 5)});
  }
  return out;
}

Result<BreakGlassRecord> SecurityStore::StartBreakGlass(const std::string& principal,
                                                        const std::string& reason, int minutes) {
  if (minutes <= 0 || minutes > 720) return InvalidArgument("break-the-glass lasts 1 to 720 minutes");
  BreakGlassRecord r;
  r.principal = principal;
  r.reason = reason;
  r.started_at = Now();
  r.expires_at = FormatMicros(clock_->NowMicros() + minutes * 60'000'000LL);
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "INSERT INTO medlake_break_glass (principal, reason, started_at, expires_at) VALUES (?,?,?,?)"));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, r.principal));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(2, r.reason));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(3, r.started_at));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(4, r.expires_at));
  MEDLAKE_RETURN_IF_ERROR(s->Run());
  MEDLAKE_ASSIGN_OR_RETURN(auto id, db_->Prepare("SELECT last_insert_rowid()"));
  MEDLAKE_ASSIGN_OR_RETURN(bool row, id->Step());
  if (row) r.id = id->ColumnInt64(0);
  return r;
}

Result<std::optional<BreakGlassRecord>> SecurityStore::ActiveBreakGlass(const std::string& principal) {
  MEDLAKE_ASSIGN_OR_RETURN(auto s, db_->Prepare(
      "SELECT id, principal, reason, started_at, expires_at FROM medlake_break_glass "
      "WHERE principal = ? AND started_at <= ?2 AND expires_at > ?2 ORDER BY expires_at DESC LIMIT 1"));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(1, principal));
  MEDLAKE_RETURN_IF_ERROR(s->BindText(2, Now()));
  MEDLAKE_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<BreakGlassRecord>();
  return std::optional<BreakGlassRecord>(
      BreakGlassRecord{s->ColumnInt64(0), Text(*s, 1), Text(*s, 2), Text(*s, 3), Text(*s, 4)});
}

}  // namespace medlake::security
