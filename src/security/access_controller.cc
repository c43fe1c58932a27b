#include "security/access_controller.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <glob.h>

#include "core/crypto.h"
#include "engine/lake_statement.h"
#include "engine/sql_lexer.h"
#include "security/scram.h"
#include "storage/catalog.h"
#include "storage/iceberg/table_metadata.h"
#include "storage/table.h"

namespace medlake::security {
namespace {

using engine::QuoteIdentifier;
using engine::QuoteString;
using engine::WriteKind;

const std::set<std::string>& PurposeSet() {
  static const std::set<std::string> kSet(KnownPurposes().begin(), KnownPurposes().end());
  return kSet;
}

std::string Join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// The mask key: 32 random bytes (hex) in <root>/keys/mask.key, made once (mode 0600).
Result<std::string> LoadMaskKey(const std::string& root) {
  std::string dir = root + "/keys";
  ::mkdir(dir.c_str(), 0700);
  std::string path = dir + "/mask.key";
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char buf[128];
      ssize_t n = ::read(fd, buf, sizeof buf);
      ::close(fd);
      if (n == 64) return std::string(buf, 64);
      if (n == 0 && attempt == 0) {  // another process is writing it
        ::usleep(100000);
        continue;
      }
      return DataLoss("mask key " + path + " is damaged");
    }
    MEDLAKE_ASSIGN_OR_RETURN(std::string key, RandomHex(32));
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return IOError("cannot write " + tmp + ": " + std::strerror(errno));
    bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
    ::close(fd);
    // link() fails when another process created the key first; then use theirs.
    if (ok && ::link(tmp.c_str(), path.c_str()) == 0) {
      ::unlink(tmp.c_str());
      return key;
    }
    ::unlink(tmp.c_str());
  }
  return IOError("cannot create the mask key in " + dir);
}

int MaskStrength(MaskKind k) {
  switch (k) {
    case MaskKind::kNull: return 5;
    case MaskKind::kRedact: return 4;
    case MaskKind::kHash: return 3;
    case MaskKind::kPartial: return 2;
    case MaskKind::kYear: return 1;
  }
  return 0;
}

std::string MaskExpression(MaskKind kind, int arg, const std::string& type) {
  const bool text = type == "VARCHAR";
  const std::string null_of_type = "CAST(NULL AS " + type + ")";
  switch (kind) {
    case MaskKind::kNull: return null_of_type;
    case MaskKind::kRedact:
      return text ? "CASE WHEN {col} IS NULL THEN NULL ELSE '****' END" : null_of_type;
    case MaskKind::kHash: return "medlake_keyed_hash(CAST({col} AS VARCHAR))";
    case MaskKind::kPartial: {
      // The last n characters after a fixed '*****' (the length is not shown either), computed
      // by a native function (engine/mask_functions.h) equal to
      // CASE WHEN length(v) > n THEN '*****' || right(v, n) WHEN v IS NULL THEN NULL ELSE '*****' END
      // at about a third of its cost.
      std::string v = text ? "{col}" : "CAST({col} AS VARCHAR)";
      return "medlake_mask_partial(" + v + ", " + std::to_string(arg) + ")";
    }
    case MaskKind::kYear:
      // Native (engine/mask_functions.h): CAST(date_trunc('year', d) AS DATE) at a fifth of its cost.
      if (type == "DATE") return "medlake_year_start({col})";
      if (type.rfind("TIMESTAMP", 0) == 0) return "CAST(date_trunc('year', {col}) AS " + type + ")";
      if (text) return "CASE WHEN {col} IS NULL THEN NULL ELSE left({col}, 4) END";
      return null_of_type;
  }
  return null_of_type;
}

std::string ListLiteral(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + QuoteString(values[i]);
  return out + "]::VARCHAR[]";
}

// A row filter that is only "column in a user attribute's values": `col IN user.attr` or
// `list_contains(user.attr, col)`, in outer parentheses or not. {column, attribute}; nullopt for
// any other expression.
std::optional<std::pair<std::string, std::string>> ValueSetForm(const std::string& expression) {
  auto tokens = engine::TokenizeSql(expression);
  if (!tokens.ok()) return std::nullopt;
  std::vector<engine::SqlToken> t = *tokens;
  while (t.size() >= 2 && t.front().IsSymbol("(") && t.back().IsSymbol(")")) {
    // Only when the outer pair encloses everything: `(a) OR (b)` is no such pair.
    int depth = 0;
    bool encloses = true;
    for (size_t i = 0; i + 1 < t.size(); ++i) {
      depth += t[i].IsSymbol("(") ? 1 : t[i].IsSymbol(")") ? -1 : 0;
      if (depth == 0) encloses = false;
    }
    if (!encloses) break;
    t = std::vector<engine::SqlToken>(t.begin() + 1, t.end() - 1);
  }
  auto user_attr = [&](size_t i) {
    return t[i].IsKeyword("USER") && t[i + 1].IsSymbol(".") && t[i + 2].IsIdentifier();
  };
  // A column name; not a word DuckDB may read as a value of its own (current_date, user, ...).
  auto column = [&](size_t i) {
    static const std::set<std::string> kNotColumns = {"USER", "NOT", "NULL", "TRUE", "FALSE", "SESSION_USER",
                                                      "LOCALTIME", "LOCALTIMESTAMP", "DEFAULT"};
    return t[i].kind == engine::SqlToken::Kind::kQuotedIdentifier ||
           (t[i].kind == engine::SqlToken::Kind::kWord && !kNotColumns.count(t[i].upper) &&
            t[i].upper.rfind("CURRENT_", 0) != 0);
  };
  if (t.size() == 5 && column(0) && t[1].IsKeyword("IN") && user_attr(2)) {
    return std::make_pair(t[0].text, t[4].text);
  }
  if (t.size() == 8 && t[0].IsKeyword("LIST_CONTAINS") && t[1].IsSymbol("(") && user_attr(2) && t[5].IsSymbol(",") &&
      column(6) && t[7].IsSymbol(")")) {
    return std::make_pair(t[6].text, t[4].text);
  }
  return std::nullopt;
}

std::string ValuesSql(const std::vector<std::string>& columns,
                      const std::vector<std::vector<std::string>>& rows) {
  std::string names;
  for (size_t i = 0; i < columns.size(); ++i) names += (i ? ", " : "") + QuoteIdentifier(columns[i]);
  if (rows.empty()) {
    std::string nulls;
    for (size_t i = 0; i < columns.size(); ++i) nulls += (i ? ", " : "") + std::string("NULL::VARCHAR");
    return "SELECT * FROM (VALUES (" + nulls + ")) AS t(" + names + ") WHERE false";
  }
  std::string values;
  for (const auto& r : rows) {
    std::string row;
    for (size_t i = 0; i < r.size(); ++i) row += (i ? ", " : "") + QuoteString(r[i]);
    values += (values.empty() ? "(" : ", (") + row + ")";
  }
  return "SELECT * FROM (VALUES " + values + ") AS t(" + names + ")";
}

std::string Bool(bool b) { return b ? "true" : "false"; }

}  // namespace

const std::vector<std::string>& KnownPurposes() {
  static const std::vector<std::string> kPurposes = {"treatment", "management", "research"};
  return kPurposes;
}

Status InitializeSecurity(const std::string& catalog_path, const std::string& owner, const Clock* clock) {
  MEDLAKE_ASSIGN_OR_RETURN(auto store, SecurityStore::Open(catalog_path, clock));
  MEDLAKE_ASSIGN_OR_RETURN(auto existing, store->Owner());
  if (existing) {
    if (existing->name == owner) return Status::OK();
    return AlreadyExists("the lake already has an owner: " + existing->name);
  }
  PrincipalRecord p;
  p.name = owner;
  p.kind = PrincipalKind::kUser;
  p.admin = p.auditor = p.owner = true;
  p.created_by = owner;
  return store->CreatePrincipal(p);
}

Result<std::string> LakeOwner(const std::string& catalog_path, const std::string& fallback_owner) {
  MEDLAKE_ASSIGN_OR_RETURN(auto store, SecurityStore::Open(catalog_path));
  MEDLAKE_ASSIGN_OR_RETURN(auto existing, store->Owner());
  if (existing) return existing->name;
  Status st = InitializeSecurity(catalog_path, fallback_owner);
  if (!st.ok() && st.code() != StatusCode::kAlreadyExists) return st;
  MEDLAKE_ASSIGN_OR_RETURN(existing, store->Owner());
  if (!existing) return Internal("the lake has no owner");
  return existing->name;
}

SecurityController::SecurityController(SecurityControllerOptions options, SessionIdentity identity,
                                       std::unique_ptr<SecurityStore> store,
                                       std::shared_ptr<AuditLog> audit, std::string mask_key)
    : options_(std::move(options)),
      identity_(std::move(identity)),
      store_(std::move(store)),
      audit_(std::move(audit)),
      mask_key_(std::move(mask_key)) {}

Result<std::shared_ptr<SecurityController>> SecurityController::Open(
    const SecurityControllerOptions& options, const SessionIdentity& identity) {
  MEDLAKE_ASSIGN_OR_RETURN(auto store, SecurityStore::Open(options.catalog_path, options.clock));
  std::shared_ptr<AuditLog> audit = options.audit;
  if (!audit) {
    MEDLAKE_ASSIGN_OR_RETURN(auto own, AuditLog::Open(options.lake_root + "/audit", options.clock));
    audit = std::move(own);
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::string key, LoadMaskKey(options.lake_root));
  SessionIdentity id = identity;
  if (id.user.empty()) id.user = id.actor;
  auto controller = std::make_shared<SecurityController>(options, id, std::move(store), std::move(audit),
                                                         std::move(key));
  AuditRecord login;
  login.action = "login";
  Status st = controller->Load();
  if (st.ok() && id.actor != id.user) {
    auto actor = controller->store_->FindPrincipal(id.actor);
    if (!actor.ok()) {
      st = actor.status();
    } else if (!*actor || !(*actor)->admin || (*actor)->disabled) {
      st = PermissionDenied("only an admin may act as another user");
    }
  }
  if (st.ok() && !id.purpose.empty() && !PurposeSet().count(id.purpose)) {
    st = InvalidArgument("unknown purpose of use '" + id.purpose + "' (known: " + Join(KnownPurposes()) + ")");
  }
  if (st.ok()) st = controller->PurposeAllowed(id.purpose);
  login.outcome = st.ok() ? "ok" : st.code() == StatusCode::kPermissionDenied ? "denied" : "error";
  if (!st.ok()) login.error = st.message();
  MEDLAKE_RETURN_IF_ERROR(controller->Audit(std::move(login)));
  MEDLAKE_RETURN_IF_ERROR(st);
  return controller;
}

Status SecurityController::Load() {
  ++loads_;
  auto found = store_->FindPrincipal(identity_.user);
  MEDLAKE_RETURN_IF_ERROR(found.status());
  // One message for unknown and disabled users: no probing for names.
  if (!*found || (*found)->disabled || (*found)->kind == PrincipalKind::kRole ||
      (*found)->kind == PrincipalKind::kGroup) {
    return PermissionDenied("user " + identity_.user + " does not exist or cannot log in");
  }
  principal_ = **found;
  MEDLAKE_ASSIGN_OR_RETURN(data_version_, store_->DataVersion());
  MEDLAKE_ASSIGN_OR_RETURN(roles_, store_->EffectiveRoles(identity_.user));
  MEDLAKE_ASSIGN_OR_RETURN(grants_, store_->Grants(roles_));
  MEDLAKE_ASSIGN_OR_RETURN(policies_, store_->Policies());
  return Status::OK();
}

Status SecurityController::Audit(AuditRecord record) {
  record.actor = identity_.actor;
  record.acting_as = identity_.actor == identity_.user ? "" : identity_.user;
  record.client = identity_.client;
  record.purpose = identity_.purpose;
  record.break_glass = record.break_glass || break_glass_;
  if (record.outcome.empty()) record.outcome = "ok";
  if (grouping_) {
    grouped_.push_back(std::move(record));
    return Status::OK();
  }
  return audit_->Append(record);
}

Status SecurityController::EndAuditGroup() {
  grouping_ = false;
  std::vector<AuditRecord*> records;
  for (auto& r : grouped_) records.push_back(&r);
  Status st = audit_->AppendAll(records);
  grouped_.clear();
  if (!st.ok()) {
    audit_failed_ = true;
    std::fprintf(stderr, "medlake: AUDIT FAILURE: %s\n", st.message().c_str());
  }
  return st;
}

bool SecurityController::HasPrivilege(const std::string& ns, const std::string& table, Privilege p) const {
  if (principal_.admin) return true;
  for (const auto& g : grants_) {
    if (g.ns != ns || !g.column.empty()) continue;
    const bool on_ns = g.table.empty();
    if (!on_ns && g.table != table) continue;
    if (g.privilege == Privilege::kOwnership) return true;
    if (g.privilege != p) continue;
    // USAGE lives on namespaces; the other privileges on a namespace cover its tables.
    if (p == Privilege::kUsage && !on_ns) continue;
    return true;
  }
  // SELECT, INSERT or MODIFY on a namespace imply USAGE of it.
  if (p == Privilege::kUsage && table.empty()) {
    for (const auto& g : grants_) {
      if (g.ns == ns && g.table.empty() && g.column.empty() && g.privilege != Privilege::kUsage) return true;
    }
  }
  return false;
}

bool SecurityController::HasGrantOption(const std::string& ns, const std::string& table, Privilege p) const {
  if (principal_.admin) return true;
  for (const auto& g : grants_) {
    if (g.ns != ns || !g.column.empty()) continue;
    if (!g.table.empty() && g.table != table) continue;
    if (g.privilege == Privilege::kOwnership) return true;
    if (g.privilege == p && g.grant_option) return true;
  }
  return false;
}

bool SecurityController::PolicyApplies(const PolicyRecord& p) const {
  for (const auto& e : p.except) {
    if (roles_.count(e)) return false;
  }
  if (p.to.empty()) return !principal_.admin;
  for (const auto& t : p.to) {
    if (roles_.count(t)) return true;
  }
  return false;
}

Result<bool> SecurityController::BreakGlassActive() {
  // With no glass broken, nothing changes that until catalog.db does (another connection's
  // commit moves data_version, this session's own security statements reload): the lookup is
  // skipped meanwhile. A broken glass is looked up every time (it expires with the clock).
  const std::string epoch = std::to_string(data_version_) + "/" + std::to_string(loads_);
  if (!break_glass_ && break_glass_until_.empty() && glass_checked_epoch_ == epoch) return false;
  MEDLAKE_ASSIGN_OR_RETURN(auto active, store_->ActiveBreakGlass(identity_.user));
  glass_checked_epoch_ = epoch;
  // The glass is broken for treatment: the user's sessions with another purpose (or none) keep
  // their row filters while it lasts.
  break_glass_ = active.has_value() && identity_.purpose == "treatment";
  break_glass_until_ = active ? active->expires_at : "";
  return break_glass_;
}

std::string SecurityController::SubstituteSessionValues(const std::string& expression) const {
  auto tokens = engine::TokenizeSql(expression);
  if (!tokens.ok()) return expression;
  std::string out;
  size_t copied = 0;
  const auto& t = *tokens;
  for (size_t i = 0; i < t.size(); ++i) {
    std::string replacement;
    size_t last = i;
    if (t[i].IsKeyword("USER") && i + 2 < t.size() && t[i + 1].IsSymbol(".") && t[i + 2].IsIdentifier()) {
      auto it = principal_.attributes.find(t[i + 2].text);
      const std::vector<std::string> none;
      const auto& values = it == principal_.attributes.end() ? none : it->second;
      // Only when the identifier stands alone (start, '(', ',', AND/OR/NOT/WHEN/THEN before it):
      // `a || col IN user.x` must keep its precedence.
      const bool alone = i < 3 || t[i - 3].IsSymbol("(") || t[i - 3].IsSymbol(",") || t[i - 3].IsKeyword("AND") ||
                         t[i - 3].IsKeyword("OR") || t[i - 3].IsKeyword("NOT") || t[i - 3].IsKeyword("WHEN") ||
                         t[i - 3].IsKeyword("THEN") || t[i - 3].IsKeyword("ELSE");
      if (i >= 2 && t[i - 1].IsKeyword("IN") && t[i - 2].IsIdentifier() && !t[i - 2].IsKeyword("NOT") && alone &&
          t[i - 2].begin >= copied) {
        // `col IN user.attr` becomes list_contains(<list>, col): the same rows, and far cheaper
        // for DuckDB than an IN list of many constants.
        out += expression.substr(copied, t[i - 2].begin - copied) + "list_contains(" + ListLiteral(values) + ", " +
               expression.substr(t[i - 2].begin, t[i - 2].end - t[i - 2].begin) + ")";
        copied = t[i + 2].end;
        i += 2;
        continue;
      }
      if (i > 0 && t[i - 1].IsKeyword("IN")) {
        // Any other `... IN user.attr`: a constant tuple.
        replacement = "(";
        for (size_t v = 0; v < values.size(); ++v) replacement += (v ? ", " : "") + QuoteString(values[v]);
        replacement += values.empty() ? "NULL)" : ")";
      } else {
        replacement = ListLiteral(values);
      }
      last = i + 2;
    } else if (t[i].IsKeyword("SESSION") && i + 2 < t.size() && t[i + 1].IsSymbol(".") &&
               t[i + 2].IsKeyword("PURPOSE")) {
      replacement = QuoteString(identity_.purpose);
      last = i + 2;
    } else if (t[i].IsKeyword("CURRENT_USER") && (i == 0 || !t[i - 1].IsSymbol("."))) {
      replacement = QuoteString(identity_.user);
    } else {
      continue;
    }
    out += expression.substr(copied, t[i].begin - copied) + replacement;
    copied = t[last].end;
    i = last;
  }
  return out + expression.substr(copied);
}

Result<engine::TableAccess> SecurityController::ReadAccess(const storage::TableIdentifier& table,
                                                           const std::vector<engine::AccessColumn>& columns) {
  engine::TableAccess access;
  const std::string name = table.ToString();
  reads_.push_back(name);
  if (!principal_.admin) {
    std::set<std::string> granted_columns;
    for (const auto& g : grants_) {
      if (g.ns == table.ns && g.table == table.name && !g.column.empty() && g.privilege == Privilege::kSelect) {
        granted_columns.insert(g.column);
      }
    }
    const bool usage = HasPrivilege(table.ns, "", Privilege::kUsage);
    const bool select = HasPrivilege(table.ns, table.name, Privilege::kSelect);
    if (!usage || (!select && granted_columns.empty())) {
      return PermissionDenied("permission denied: SELECT on " + name + " for user " + identity_.user);
    }
    if (!select) {
      for (const auto& c : columns) {
        if (!granted_columns.count(c.name)) {
          access.hidden_fields.insert(c.field_id);
          access.decisions.push_back("hidden " + name + "." + c.name + " (no column privilege)");
        }
      }
    }
  }
  bool any_tag_policy = false;
  for (const auto& p : policies_) any_tag_policy = any_tag_policy || !p.tag.empty();
  std::map<std::string, std::set<std::string>> tags;
  if (any_tag_policy && options_.tags) {
    MEDLAKE_ASSIGN_OR_RETURN(tags, options_.tags(table.ns, table.name));
  }
  auto table_has_tag = [&](const std::string& tag) {
    for (const auto& [col, set] : tags) {
      if (set.count(tag)) return true;
    }
    return false;
  };
  std::vector<std::string> filters;
  std::map<int, std::pair<const PolicyRecord*, int>> masks;  // field id -> policy, strength
  const bool glass = break_glass_;  // refreshed at the start of every statement (HandleStatement)
  for (const auto& p : policies_) {
    const bool bound_table = p.tag.empty() && p.ns == table.ns && p.table == table.name;
    const bool bound_tag = !p.tag.empty() && table_has_tag(p.tag);
    if ((!bound_table && !bound_tag) || !PolicyApplies(p)) continue;
    if (p.kind == PolicyKind::kRequirePurpose) {
      if (std::find(p.purposes.begin(), p.purposes.end(), identity_.purpose) == p.purposes.end()) {
        return PermissionDenied("reading " + name + " requires a declared purpose of use (one of " +
                                Join(p.purposes) + "; SET medlake.purpose = '...')");
      }
      access.decisions.push_back("purpose " + identity_.purpose + " accepted by " + p.name);
      if (pending_write_) {
        return PermissionDenied("rows of " + name + " read under a purpose of use may not be copied into a lake table");
      }
      continue;
    }
    if (!p.purposes.empty() &&
        std::find(p.purposes.begin(), p.purposes.end(), identity_.purpose) == p.purposes.end()) {
      continue;
    }
    if (p.kind == PolicyKind::kRowFilter) {
      if (glass) {
        if (pending_write_) {
          return PermissionDenied("rows of " + name + " read under break-the-glass may not be copied into a lake table");
        }
        access.decisions.push_back("break_glass lifted row_filter " + p.name + " on " + name);
        continue;
      }
      filters.push_back("(" + SubstituteSessionValues(p.expression) + ")");
      access.decisions.push_back("row_filter " + p.name + " on " + name);
      if (auto set = ValueSetForm(p.expression)) {
        auto it = principal_.attributes.find(set->second);
        access.row_filter_sets.push_back(
            {set->first, it == principal_.attributes.end() ? std::vector<std::string>() : it->second});
      }
      continue;
    }
    if (p.tag.empty() && p.field_id == 0) {
      // A mask known only by a column name that is gone protects nothing: fail closed until an
      // admin fixes the policy. (Masks made since field ids are kept follow renames, and a
      // dropped column is hidden from restricted principals in older snapshots.)
      bool found = false;
      for (const auto& c : columns) found = found || c.name == p.column;
      if (!found) {
        return PermissionDenied("policy " + p.name + " masks column " + p.column + ", which " + name +
                                " no longer has: reads are refused until an admin recreates or drops the policy");
      }
    }
    for (const auto& c : columns) {
      bool hit = !p.tag.empty()  ? (tags.count(c.name) && tags[c.name].count(p.tag))
                 : p.field_id > 0 ? c.field_id == p.field_id
                                  : c.name == p.column;
      if (!hit) continue;
      int strength = MaskStrength(p.mask);
      auto it = masks.find(c.field_id);
      if (it == masks.end() || it->second.second < strength) masks[c.field_id] = {&p, strength};
    }
  }
  // A keyed hash on a table the principal owns would hash plaintexts they chose (rows they
  // wrote before a tag or policy reached the table): there it is a redaction instead. (Other
  // writers cannot write to a table they read under a mask: CheckWrite.)
  const bool writable = !principal_.admin && HasPrivilege(table.ns, table.name, Privilege::kOwnership);
  for (const auto& c : columns) {
    auto it = masks.find(c.field_id);
    if (it == masks.end() || access.hidden_fields.count(c.field_id)) continue;
    const PolicyRecord& p = *it->second.first;
    MaskKind kind = p.mask == MaskKind::kHash && writable ? MaskKind::kRedact : p.mask;
    access.masks[c.field_id] = MaskExpression(kind, p.mask_arg, c.duckdb_type);
    if (kind == MaskKind::kYear && c.duckdb_type == "DATE") access.year_masked_dates.insert(c.field_id);
    if (c.duckdb_type == "VARCHAR" || (kind != MaskKind::kHash && kind != MaskKind::kPartial)) {
      access.masks_keep_type.insert(c.field_id);
    }
    access.decisions.push_back("mask " + MaskKindName(kind) + " " + p.name + " on " + name + "." + c.name +
                               (kind != p.mask ? " (hash redacted: you own the table)" : ""));
  }
  if (!filters.empty()) access.row_filter = Join(filters, " AND ");
  access.row_filter_is_sets = !filters.empty() && access.row_filter_sets.size() == filters.size();
  for (const auto& d : access.decisions) read_decisions_.push_back(d);
  return access;
}

Status SecurityController::CheckWrite(WriteKind kind, const std::string& ns, const std::string& table) {
  auto deny = [&](const std::string& what) {
    return PermissionDenied("permission denied: " + what + " for user " + identity_.user);
  };
  const std::string name = table.empty() ? ns : ns + "." + table;
  pending_write_.reset();
  switch (kind) {
    case WriteKind::kCreateNamespace:
      if (!principal_.admin) return deny("CREATE SCHEMA " + ns + " (admins only)");
      break;
    case WriteKind::kDropNamespace:
      if (!HasPrivilege(ns, "", Privilege::kOwnership)) return deny("DROP SCHEMA " + ns + " (needs OWNERSHIP)");
      break;
    case WriteKind::kCreateTable:
      if (!HasPrivilege(ns, "", Privilege::kOwnership)) {
        return deny("CREATE TABLE in " + ns + " (needs OWNERSHIP of the namespace)");
      }
      break;
    case WriteKind::kDropTable:
    case WriteKind::kAlterTable:
      if (!HasPrivilege(ns, table, Privilege::kOwnership)) {
        return deny(std::string(kind == WriteKind::kDropTable ? "DROP" : "ALTER") + " TABLE " + name +
                    " (needs OWNERSHIP)");
      }
      break;
    case WriteKind::kInsert:
    case WriteKind::kModify: {
      const bool insert = kind == WriteKind::kInsert;
      if (!HasPrivilege(ns, "", Privilege::kUsage) ||
          !HasPrivilege(ns, table, insert ? Privilege::kInsert : Privilege::kModify)) {
        return deny(insert ? "INSERT on " + name : "MODIFY (UPDATE, DELETE, MERGE) on " + name);
      }
      // Writing where one reads through a filter or mask would let chosen values probe what is
      // hidden (e.g. insert a guessed name and join it to its keyed hash).
      MEDLAKE_ASSIGN_OR_RETURN(bool restricted, RestrictedOn(ns, table));
      if (restricted) {
        return deny(std::string(insert ? "INSERT into " : "changing rows of ") + name +
                    " while reading it under a row filter or column mask");
      }
      break;
    }
    case WriteKind::kCall:
      if (!principal_.admin) return deny("CALL medlake." + table + " (admins only)");
      break;
    case WriteKind::kMerge:
      // MERGE's WHEN clauses are text DuckDB runs without medlake's parse-tree checks.
      if (!principal_.admin) return deny("MERGE into " + name + " (admins only for now; use INSERT, UPDATE, DELETE)");
      break;
    case WriteKind::kRenameTable: {
      if (!HasPrivilege(ns, table, Privilege::kOwnership)) return deny("ALTER TABLE " + name + " (needs OWNERSHIP)");
      if (!principal_.admin) {
        for (const auto& p : policies_) {
          if (p.tag.empty() && p.ns == ns && p.table == table) {
            return deny("renaming " + name + ", which policies are bound to (admins only)");
          }
        }
      }
      break;
    }
  }
  pending_write_ = std::make_pair(kind, std::make_pair(ns, table));
  return Status::OK();
}

Result<engine::ObjectPrivileges> SecurityController::PrivilegesOn(const std::string& ns, const std::string& table) {
  engine::ObjectPrivileges p;
  if (ns.empty()) {  // the lake: anyone connected uses it; admins create namespaces
    p.usage = true;
    p.ownership = principal_.admin;
    return p;
  }
  p.usage = HasPrivilege(ns, "", Privilege::kUsage);
  p.ownership = HasPrivilege(ns, table, Privilege::kOwnership);
  if (table.empty() || !p.usage) return p;
  p.select = HasPrivilege(ns, table, Privilege::kSelect);
  if (!p.select) {
    for (const auto& g : grants_) {
      if (g.ns == ns && g.table == table && !g.column.empty() && g.privilege == Privilege::kSelect) {
        p.select_columns.push_back(g.column);
      }
    }
  }
  // CheckWrite refuses writes to a table read under a row filter or column mask.
  MEDLAKE_ASSIGN_OR_RETURN(bool restricted, RestrictedOn(ns, table));
  p.insert = !restricted && HasPrivilege(ns, table, Privilege::kInsert);
  p.modify = !restricted && HasPrivilege(ns, table, Privilege::kModify);
  p.select_grantable = p.select && HasGrantOption(ns, table, Privilege::kSelect);
  p.insert_grantable = p.insert && HasGrantOption(ns, table, Privilege::kInsert);
  p.modify_grantable = p.modify && HasGrantOption(ns, table, Privilege::kModify);
  return p;
}

Status SecurityController::PurposeAllowed(const std::string& purpose) const {
  // A user's `purposes` attribute, when set, lists the purposes they may declare (their role
  // in care decides it, not the user).
  auto it = principal_.attributes.find("purposes");
  if (purpose.empty() || it == principal_.attributes.end()) return Status::OK();
  if (std::find(it->second.begin(), it->second.end(), purpose) != it->second.end()) return Status::OK();
  return PermissionDenied("user " + identity_.user + " may not declare purpose " + purpose + " (allowed: " +
                          Join(it->second) + ")");
}

bool SecurityController::CanSee(const std::string& ns, const std::string& table) const {
  if (!HasPrivilege(ns, "", Privilege::kUsage)) return false;
  if (table.empty() || HasPrivilege(ns, table, Privilege::kSelect)) return true;
  for (const auto& g : grants_) {
    if (g.ns == ns && g.table == table && !g.column.empty() && g.privilege == Privilege::kSelect) return true;
  }
  return false;
}

Result<bool> SecurityController::RestrictedOn(const std::string& ns, const std::string& table) {
  // (Admins are bound only by policies that name them: PolicyApplies.)
  std::map<std::string, std::set<std::string>> tags;
  bool tags_loaded = false;
  for (const auto& p : policies_) {
    if (p.kind == PolicyKind::kRequirePurpose || !PolicyApplies(p)) continue;
    if (p.tag.empty()) {
      if (p.ns == ns && p.table == table) return true;
      continue;
    }
    if (!tags_loaded && options_.tags) {
      MEDLAKE_ASSIGN_OR_RETURN(tags, options_.tags(ns, table));
      tags_loaded = true;
    }
    for (const auto& [col, set] : tags) {
      if (set.count(p.tag)) return true;
    }
  }
  return false;
}

Result<std::optional<std::string>> SecurityController::VirtualTable(const std::string& ns, const std::string& name) {
  if (options_.views && ns != "audit") {
    MEDLAKE_ASSIGN_OR_RETURN(auto view, options_.views(ns, name, [this](const std::string& n, const std::string& t) {
                               return CanSee(n, t);
                             }));
    if (view) return view;
  }
  if (ns != "audit" || name != "log") return std::optional<std::string>();
  if (!principal_.auditor) {
    return PermissionDenied("permission denied: audit.log is readable by auditors only");
  }
  static const char* kColumns =
      "{seq: 'BIGINT', time: 'VARCHAR', actor: 'VARCHAR', acting_as: 'VARCHAR', client: 'VARCHAR', "
      "purpose: 'VARCHAR', action: 'VARCHAR', statement: 'VARCHAR', tables: 'VARCHAR[]', "
      "columns: 'VARCHAR[]', rows: 'BIGINT', outcome: 'VARCHAR', error: 'VARCHAR', "
      "decisions: 'VARCHAR[]', break_glass: 'BOOLEAN', prev_hash: 'VARCHAR', hash: 'VARCHAR'}";
  std::string pattern = audit_->glob();
  glob_t g{};
  bool any = ::glob(pattern.c_str(), 0, nullptr, &g) == 0 && g.gl_pathc > 0;
  ::globfree(&g);
  std::string scan = "read_json(" + QuoteString(pattern) +
                     ", format = 'newline_delimited', ignore_errors = true, columns = " + kColumns + ")";
  std::string sql = "SELECT seq, CAST(time AS TIMESTAMP) AS time, actor, acting_as, client, purpose, action, "
                    "statement, tables, columns, rows, outcome, error, decisions, break_glass, prev_hash, hash FROM ";
  if (!any) return std::optional<std::string>(sql + "(SELECT * FROM " + scan + " LIMIT 0)");
  return std::optional<std::string>(sql + scan);
}

std::vector<std::string> SecurityController::ReadableDirectories() const {
  // Only an auditor's DuckDB can read the audit log's files at all.
  if (principal_.auditor) return {options_.lake_root + "/audit"};
  return {};
}

void SecurityController::RecordStatement(engine::StatementAudit a) {
  // A change to the lake is durable when its statement returns; so is its record.
  const bool wrote = pending_write_.has_value();
  if (a.outcome == "ok" && pending_write_) {
    const auto& [kind, obj] = *pending_write_;
    // The creator of a table owns it; a dropped table's grants go with it.
    if (kind == WriteKind::kCreateTable && !principal_.admin) {
      GrantRecord g{identity_.user, Privilege::kOwnership, obj.first, obj.second, "", true, identity_.actor, ""};
      (void)store_->AddGrant(g);
      (void)Load();
    } else if (kind == WriteKind::kDropTable || kind == WriteKind::kDropNamespace) {
      (void)store_->ForgetObject(obj.first, obj.second);
    } else if (kind == WriteKind::kRenameTable) {
      // Grants and table-bound policies follow the table to its new name.
      auto st = engine::RecognizeLakeStatement(a.statement);
      if (st.ok() && st->alter && !st->alter->new_name.empty()) {
        Status moved = store_->RenameTableReferences(obj.first, obj.second, st->alter->new_name);
        if (!moved.ok()) std::fprintf(stderr, "medlake: grants and policies of %s.%s did not follow the rename: %s\n",
                                      obj.first.c_str(), obj.second.c_str(), moved.message().c_str());
        (void)Load();
      }
    }
  }
  pending_write_.reset();
  AuditRecord r;
  r.action = "statement";
  r.sync_now = wrote;
  std::vector<std::string> secrets;
  r.statement = RedactedStatement(a.statement, &secrets);
  r.tables = std::move(a.tables);
  for (const auto& t : reads_) {
    if (std::find(r.tables.begin(), r.tables.end(), t) == r.tables.end()) r.tables.push_back(t);
  }
  r.columns = std::move(a.columns);
  r.rows = a.rows;
  r.outcome = std::move(a.outcome);
  r.error = Scrub(a.error, secrets);
  r.decisions = std::move(a.decisions);
  for (const auto& d : read_decisions_) {
    if (std::find(r.decisions.begin(), r.decisions.end(), d) == r.decisions.end()) r.decisions.push_back(d);
  }
  reads_.clear();
  read_decisions_.clear();
  Status st = Audit(std::move(r));
  if (!st.ok()) {
    // The statement ran but could not be audited: say so loudly (no PHI: the message is ours),
    // and run nothing more in this session.
    audit_failed_ = true;
    std::fprintf(stderr, "medlake: AUDIT FAILURE: %s\n", st.message().c_str());
  }
}

namespace {
// Whether `text` holds `word` (upper case ASCII) in any case.
bool ContainsWordAnyCase(std::string_view text, std::string_view word) {
  if (word.empty() || text.size() < word.size()) return false;
  for (size_t i = 0; i + word.size() <= text.size(); ++i) {
    size_t j = 0;
    while (j < word.size() && std::toupper(static_cast<unsigned char>(text[i + j])) == word[j]) ++j;
    if (j == word.size()) return true;
  }
  return false;
}
}  // namespace

std::string SecurityController::RedactedStatement(std::string_view sql, std::vector<std::string>* secrets) const {
  // Nothing to take out of a statement that never spells PASSWORD (most of them: no tokenizing).
  if (!ContainsWordAnyCase(sql, "PASSWORD")) return std::string(sql);
  auto tokens = engine::TokenizeSql(sql);
  if (!tokens.ok()) {
    // Cannot tell where a password would be: keep nothing of a statement that mentions one.
    std::string upper(sql);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper.find("PASSWORD") == std::string::npos ? std::string(sql) : "(statement with a password, not kept)";
  }
  std::string out;
  size_t copied = 0;
  for (size_t i = 1; i < tokens->size(); ++i) {
    if (!(*tokens)[i - 1].IsKeyword("PASSWORD") && !((*tokens)[i - 1].IsSymbol("=") && i >= 2 &&
                                                      (*tokens)[i - 2].IsKeyword("PASSWORD"))) {
      continue;
    }
    const auto& t = (*tokens)[i];
    if (t.IsSymbol("=")) continue;
    if (secrets) secrets->push_back(t.text);
    out += std::string(sql.substr(copied, t.begin - copied)) + "'***'";
    copied = t.end;
  }
  return out + std::string(sql.substr(copied));
}

std::string SecurityController::Scrub(std::string text, const std::vector<std::string>& secrets) const {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

Status SecurityController::BeginStatement() {
  if (audit_failed_) return FailedPrecondition("the audit log cannot be written: this session runs nothing more");
  reads_.clear();
  read_decisions_.clear();
  MEDLAKE_ASSIGN_OR_RETURN(int64_t version, store_->DataVersion());
  if (version != data_version_) MEDLAKE_RETURN_IF_ERROR(Load());
  // Break-the-glass is looked up once per statement, not once per table the statement reads.
  return BreakGlassActive().status();
}

Result<std::string> SecurityController::AccessEpoch() {
  // data_version moves with every commit other connections make to catalog.db (table snapshots,
  // grants, policies, tags, users); loads_ with this session's own security statements.
  return std::to_string(data_version_) + "/" + std::to_string(loads_) + "/" + identity_.purpose + "/" +
         (break_glass_ ? "glass:" + break_glass_until_ : "");
}

Result<std::optional<engine::HandledStatement>> SecurityController::HandleStatement(std::string_view sql) {
  // Every statement starts here: pick up grants, policies and users changed by other sessions
  // (a revoked privilege or a disabled user takes effect at the next statement).
  MEDLAKE_RETURN_IF_ERROR(BeginStatement());
  auto parsed = ParseSecurityStatement(sql);
  std::optional<ExtensionStatement> extension;
  if (parsed.ok() && !*parsed && options_.extensions) {
    MEDLAKE_ASSIGN_OR_RETURN(extension, options_.extensions(sql));
    if (!extension) return std::optional<engine::HandledStatement>();
  } else if (parsed.ok() && !*parsed) {
    return std::optional<engine::HandledStatement>();
  }
  AuditRecord record;
  std::vector<std::string> secrets;
  record.statement = RedactedStatement(sql, &secrets);
  engine::HandledStatement out;
  Status st;
  if (!parsed.ok()) {
    st = parsed.status();
    record.action = "identity";
  } else if (extension) {
    record.action = extension->action;
    record.tables.push_back(extension->table.empty() ? extension->ns : extension->ns + "." + extension->table);
    std::string policy_tag;
    for (const auto& t : extension->tags) {
      for (const auto& p : policies_) {
        if (p.tag == t) policy_tag = t;
      }
    }
    if (!HasPrivilege(extension->ns, extension->table, Privilege::kOwnership)) {
      st = PermissionDenied("permission denied: changing catalog metadata of " + record.tables.back() +
                            " needs OWNERSHIP, for user " + identity_.user);
    } else if (!policy_tag.empty() && !principal_.admin) {
      // Tags that policies hinge on decide what others see (and a tag-bound hash on one's own
      // table would be an oracle): admins only.
      st = PermissionDenied("permission denied: tag " + policy_tag + " is used by policies; only admins set or remove it");
    } else {
      auto message = extension->run(identity_.user);
      if (message.ok()) {
        out.message = *message;
      } else {
        st = message.status();
      }
    }
  } else {
    const SecurityStatement& s = **parsed;
    using K = SecurityStatement::Kind;
    record.action = s.kind == K::kGrant || s.kind == K::kRevoke || s.kind == K::kGrantRole || s.kind == K::kRevokeRole
                        ? "grant"
                    : s.kind == K::kCreatePolicy || s.kind == K::kDropPolicy ? "policy"
                    : s.kind == K::kBreakGlass                              ? "break_glass"
                    : s.kind == K::kSetPurpose                              ? "purpose"
                    : s.kind == K::kShow                                    ? "statement"
                                                                            : "identity";
    if (!s.ns.empty()) record.tables.push_back(s.table.empty() ? s.ns : s.ns + "." + s.table);
    auto result = Execute(s, &record.decisions);
    if (result.ok()) {
      out = std::move(*result);
      if (s.kind == K::kBreakGlass) record.break_glass = true;
    } else {
      st = result.status();
    }
  }
  record.outcome = st.ok() ? "ok" : st.code() == StatusCode::kPermissionDenied ? "denied" : "error";
  if (!st.ok()) {
    st = Status(st.code(), Scrub(st.message(), secrets));
    record.error = st.message();
  }
  Status audited = Audit(std::move(record));
  if (!audited.ok()) {
    audit_failed_ = true;
    return audited;
  }
  if (!st.ok()) {
    engine::HandledStatement failed;
    failed.error = st;
    return std::optional<engine::HandledStatement>(std::move(failed));
  }
  return std::optional<engine::HandledStatement>(std::move(out));
}

Result<engine::HandledStatement> SecurityController::Execute(const SecurityStatement& s,
                                                             std::vector<std::string>* decisions) {
  using K = SecurityStatement::Kind;
  engine::HandledStatement out;
  auto admin_only = [&](const std::string& what) -> Status {
    if (principal_.admin) return Status::OK();
    return PermissionDenied("permission denied: " + what + " (admins only) for user " + identity_.user);
  };
  switch (s.kind) {
    case K::kCreatePrincipal: {
      MEDLAKE_RETURN_IF_ERROR(admin_only("CREATE " + PrincipalKindName(s.principal_kind)));
      MEDLAKE_ASSIGN_OR_RETURN(auto existing, store_->FindPrincipal(s.name));
      if (existing && s.if_not_exists) {
        out.message = PrincipalKindName(s.principal_kind) + " " + s.name + " exists";
        return out;
      }
      PrincipalRecord p;
      p.name = s.name;
      p.kind = s.principal_kind;
      p.admin = s.admin.value_or(false);
      p.auditor = s.auditor.value_or(false);
      if ((p.admin || p.auditor || s.password) && (p.kind == PrincipalKind::kRole || p.kind == PrincipalKind::kGroup)) {
        return InvalidArgument("roles and groups have no password, ADMIN or AUDITOR; grant them to users");
      }
      if (s.password) {
        MEDLAKE_ASSIGN_OR_RETURN(p.password_verifier, MakeScramVerifier(*s.password));
      }
      if (s.attributes) p.attributes = *s.attributes;
      p.created_by = identity_.user;
      MEDLAKE_RETURN_IF_ERROR(store_->CreatePrincipal(p));
      out.message = "CREATE " + PrincipalKindName(p.kind) + " " + p.name;
      break;
    }
    case K::kAlterPrincipal: {
      const bool self_password = s.name == identity_.user && s.password && !s.attributes && !s.admin &&
                                 !s.auditor && !s.disabled;
      if (!self_password) MEDLAKE_RETURN_IF_ERROR(admin_only("ALTER USER"));
      MEDLAKE_ASSIGN_OR_RETURN(PrincipalRecord p, store_->GetPrincipal(s.name));
      if (p.owner && ((s.admin && !*s.admin) || (s.disabled && *s.disabled) || (s.auditor && !*s.auditor))) {
        return FailedPrecondition("the lake owner stays an enabled admin and auditor");
      }
      if (s.password) {
        MEDLAKE_ASSIGN_OR_RETURN(p.password_verifier, MakeScramVerifier(*s.password));
      }
      if (s.attributes) p.attributes = *s.attributes;
      if (s.admin) p.admin = *s.admin;
      if (s.auditor) p.auditor = *s.auditor;
      if (s.disabled) p.disabled = *s.disabled;
      MEDLAKE_RETURN_IF_ERROR(store_->UpdatePrincipal(p));
      out.message = "ALTER " + PrincipalKindName(p.kind) + " " + p.name;
      break;
    }
    case K::kDropPrincipal: {
      MEDLAKE_RETURN_IF_ERROR(admin_only("DROP " + PrincipalKindName(s.principal_kind)));
      MEDLAKE_ASSIGN_OR_RETURN(auto existing, store_->FindPrincipal(s.name));
      if (!existing && s.if_exists) {
        out.message = "nothing to drop";
        return out;
      }
      if (s.name == identity_.user) return FailedPrecondition("a user cannot drop itself");
      MEDLAKE_RETURN_IF_ERROR(store_->DropPrincipal(s.name));
      out.message = "DROP " + s.name;
      break;
    }
    case K::kGrantRole:
    case K::kRevokeRole: {
      MEDLAKE_RETURN_IF_ERROR(admin_only("GRANT ROLE"));
      for (const auto& m : s.principals) {
        if (s.kind == K::kGrantRole) {
          MEDLAKE_RETURN_IF_ERROR(store_->AddMember(s.name, m));
        } else {
          MEDLAKE_RETURN_IF_ERROR(store_->RemoveMember(s.name, m));
        }
      }
      out.message = std::string(s.kind == K::kGrantRole ? "GRANT" : "REVOKE") + " ROLE " + s.name;
      break;
    }
    case K::kGrant:
    case K::kRevoke: {
      for (Privilege p : s.privileges) {
        // OWNERSHIP is handed out by admins; the rest by owners or holders of the grant option.
        bool may = p == Privilege::kOwnership ? principal_.admin : HasGrantOption(s.ns, s.table, p);
        if (!may) {
          return PermissionDenied("permission denied: granting " + PrivilegeName(p) + " on " +
                                  (s.table.empty() ? s.ns : s.ns + "." + s.table) + " for user " + identity_.user);
        }
      }
      int64_t changed = 0;
      std::vector<std::string> columns = s.columns.empty() ? std::vector<std::string>{""} : s.columns;
      for (const auto& who : s.principals) {
        for (Privilege p : s.privileges) {
          for (const auto& col : columns) {
            GrantRecord g{who, p, s.ns, s.table, col, s.grant_option, identity_.user, ""};
            if (s.kind == K::kGrant) {
              MEDLAKE_RETURN_IF_ERROR(store_->AddGrant(g));
              ++changed;
            } else {
              MEDLAKE_ASSIGN_OR_RETURN(int64_t n, store_->RemoveGrant(g, s.grant_option_only));
              changed += n;
            }
          }
        }
      }
      out.message = std::string(s.kind == K::kGrant ? "GRANT" : "REVOKE") + " (" + std::to_string(changed) + ")";
      decisions->push_back(out.message);
      break;
    }
    case K::kCreatePolicy: {
      MEDLAKE_RETURN_IF_ERROR(admin_only("CREATE POLICY"));
      PolicyRecord p = s.policy;
      for (const auto& purpose : p.purposes) {
        if (!PurposeSet().count(purpose)) {
          return InvalidArgument("unknown purpose of use '" + purpose + "' (known: " + Join(KnownPurposes()) + ")");
        }
      }
      for (const auto& who : p.to) {
        if (who != "public") MEDLAKE_RETURN_IF_ERROR(store_->GetPrincipal(who).status());
      }
      for (const auto& who : p.except) {
        if (who != "public") MEDLAKE_RETURN_IF_ERROR(store_->GetPrincipal(who).status());
      }
      if (p.tag.empty()) {
        // Bind to the table as it is now: it must exist, and a masked column is kept by field id.
        MEDLAKE_ASSIGN_OR_RETURN(auto catalog, storage::Catalog::Open(options_.catalog_path));
        MEDLAKE_ASSIGN_OR_RETURN(auto table, storage::LakeTable::Load(*catalog, LocalFileSystem::Default(),
                                                                      storage::TableIdentifier{p.ns, p.table}));
        if (!p.column.empty()) {
          MEDLAKE_ASSIGN_OR_RETURN(const storage::iceberg::Schema* schema, storage::iceberg::CurrentSchema(table->metadata()));
          for (const auto& f : schema->fields) {
            if (f.name == p.column) p.field_id = f.id;
          }
          if (p.field_id == 0) return NotFound("table " + p.ns + "." + p.table + " has no column " + p.column);
        }
      }
      p.created_by = identity_.user;
      MEDLAKE_RETURN_IF_ERROR(store_->CreatePolicy(p));
      out.message = "CREATE POLICY " + p.name;
      break;
    }
    case K::kDropPolicy: {
      MEDLAKE_RETURN_IF_ERROR(admin_only("DROP POLICY"));
      Status st = store_->DropPolicy(s.name);
      if (st.code() == StatusCode::kNotFound && s.if_exists) st = Status::OK();
      MEDLAKE_RETURN_IF_ERROR(st);
      out.message = "DROP POLICY " + s.name;
      break;
    }
    case K::kCreateToken: {
      std::string who = s.name.empty() ? identity_.user : s.name;
      if (who != identity_.user) MEDLAKE_RETURN_IF_ERROR(admin_only("CREATE TOKEN FOR another principal"));
      MEDLAKE_ASSIGN_OR_RETURN(std::string token, store_->CreateToken(who, s.days, s.text));
      out.rows_sql = ValuesSql({"principal", "token", "note"},
                               {{who, token, "shown once: store it now; only its hash is kept"}});
      decisions->push_back("token created for " + who);
      break;
    }
    case K::kRevokeToken: {
      MEDLAKE_ASSIGN_OR_RETURN(auto tokens, store_->Tokens());
      auto it = std::find_if(tokens.begin(), tokens.end(), [&](const TokenRecord& t) { return t.id == s.text; });
      if (it == tokens.end() || (it->principal != identity_.user && !principal_.admin)) {
        return NotFound("no active token with id " + s.text);
      }
      MEDLAKE_RETURN_IF_ERROR(store_->RevokeToken(s.text));
      out.message = "REVOKE TOKEN " + s.text;
      break;
    }
    case K::kSetPurpose: {
      if (!s.text.empty() && !PurposeSet().count(s.text)) {
        return InvalidArgument("unknown purpose of use '" + s.text + "' (known: " + Join(KnownPurposes()) + ")");
      }
      MEDLAKE_RETURN_IF_ERROR(PurposeAllowed(s.text));
      identity_.purpose = s.text;
      out.message = s.text.empty() ? "RESET medlake.purpose" : "SET medlake.purpose = " + s.text;
      break;
    }
    case K::kBreakGlass: {
      if (identity_.purpose != "treatment") {
        return PermissionDenied("break-the-glass access is for treatment: SET medlake.purpose = 'treatment' first");
      }
      if (principal_.kind != PrincipalKind::kUser) return PermissionDenied("only users may break the glass");
      std::string reason = s.text;
      reason.erase(0, reason.find_first_not_of(" \t"));
      if (reason.size() < 10) return InvalidArgument("break-the-glass needs a reason of at least 10 characters");
      MEDLAKE_ASSIGN_OR_RETURN(BreakGlassRecord r, store_->StartBreakGlass(identity_.user, reason, s.minutes));
      break_glass_ = true;
      break_glass_until_ = r.expires_at;
      decisions->push_back("break_glass until " + r.expires_at);
      out.message = "BREAK GLASS until " + r.expires_at + ": row filters are lifted for you; every statement is "
                    "flagged for review";
      break;
    }
    case K::kShow: {
      if (s.show == "CURRENT USER") {
        (void)BreakGlassActive();
        std::vector<std::string> roles(roles_.begin(), roles_.end());
        out.rows_sql = ValuesSql({"user", "actor", "purpose", "roles", "admin", "auditor", "break_glass_until"},
                                 {{identity_.user, identity_.actor, identity_.purpose, Join(roles),
                                   Bool(principal_.admin), Bool(principal_.auditor), break_glass_until_}});
        break;
      }
      if (s.show == "GRANTS") {
        std::string who = s.name.empty() ? identity_.user : s.name;
        if (who != identity_.user) MEDLAKE_RETURN_IF_ERROR(admin_only("SHOW GRANTS FOR another principal"));
        MEDLAKE_ASSIGN_OR_RETURN(auto roles, store_->EffectiveRoles(who));
        MEDLAKE_ASSIGN_OR_RETURN(auto grants, store_->Grants(roles));
        std::vector<std::vector<std::string>> rows;
        for (const auto& g : grants) {
          rows.push_back({g.principal, PrivilegeName(g.privilege), g.ns, g.table, g.column, Bool(g.grant_option),
                          g.granted_by, g.granted_at});
        }
        out.rows_sql = ValuesSql({"principal", "privilege", "namespace", "table", "column", "grant_option",
                                  "granted_by", "granted_at"}, rows);
        break;
      }
      MEDLAKE_RETURN_IF_ERROR(admin_only("SHOW " + s.show));
      std::vector<std::vector<std::string>> rows;
      if (s.show == "USERS" || s.show == "ROLES") {
        MEDLAKE_ASSIGN_OR_RETURN(auto all, store_->ListPrincipals());
        MEDLAKE_ASSIGN_OR_RETURN(auto members, store_->ListMemberships());
        for (const auto& p : all) {
          bool role = p.kind == PrincipalKind::kRole || p.kind == PrincipalKind::kGroup;
          if (role != (s.show == "ROLES")) continue;
          std::vector<std::string> related;
          for (const auto& [r, m] : members) {
            if (role && r == p.name) related.push_back(m);
            if (!role && m == p.name) related.push_back(r);
          }
          std::string attrs;
          for (const auto& [k, v] : p.attributes) attrs += (attrs.empty() ? "" : "; ") + k + "=" + Join(v, ",");
          rows.push_back({p.name, PrincipalKindName(p.kind), Bool(p.admin), Bool(p.auditor), Bool(p.disabled),
                          Bool(!p.password_verifier.empty()), attrs, Join(related), p.created_at});
        }
        out.rows_sql = ValuesSql({"name", "kind", "admin", "auditor", "disabled", "has_password", "attributes",
                                  s.show == "ROLES" ? "members" : "member_of", "created_at"}, rows);
      } else if (s.show == "POLICIES") {
        MEDLAKE_ASSIGN_OR_RETURN(auto all, store_->Policies());
        static const char* kKinds[] = {"row_filter", "mask", "require_purpose"};
        for (const auto& p : all) {
          std::string what = p.kind == PolicyKind::kRowFilter ? p.expression
                             : p.kind == PolicyKind::kMask    ? MaskKindName(p.mask) +
                                                                 (p.kind == PolicyKind::kMask && p.mask == MaskKind::kPartial
                                                                      ? "(" + std::to_string(p.mask_arg) + ")" : "")
                                                              : Join(p.purposes);
          rows.push_back({p.name, kKinds[static_cast<int>(p.kind)],
                          p.tag.empty() ? p.ns + "." + p.table + (p.column.empty() ? "" : "." + p.column) : "tag " + p.tag,
                          what, p.kind == PolicyKind::kRequirePurpose ? "" : Join(p.purposes), Join(p.to),
                          Join(p.except), p.created_by, p.created_at});
        }
        out.rows_sql = ValuesSql({"name", "kind", "target", "definition", "for_purpose", "to", "except",
                                  "created_by", "created_at"}, rows);
      } else if (s.show == "TOKENS") {
        MEDLAKE_ASSIGN_OR_RETURN(auto all, store_->Tokens());
        for (const auto& t : all) rows.push_back({t.id, t.principal, t.created_at, t.expires_at, t.revoked_at, t.comment});
        out.rows_sql = ValuesSql({"id", "principal", "created_at", "expires_at", "revoked_at", "comment"}, rows);
      }
      break;
    }
  }
  MEDLAKE_RETURN_IF_ERROR(Load());
  return out;
}

}  // namespace medlake::security
