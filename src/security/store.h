// security/store.h: identities, privileges, policies, tokens and break-the-glass grants, kept in
// the lake's catalog.db (tables medlake_principals, medlake_memberships, medlake_grants,
// medlake_policies, medlake_tokens, medlake_break_glass; docs/formats/security.md).
//
// Principals are users, roles, groups and service accounts (one name space). Roles and groups
// have members (users, service accounts or other roles/groups); privileges and policies name
// any principal and reach every member, transitively. `public` is an implicit role of everyone.
// A user may be an admin (all privileges on every object, policy-exempt unless a policy names
// it) and/or an auditor (reads the audit log). The lake's owner is the first admin, created by
// `medlake init`.
//
// Passwords are stored only as SCRAM-SHA-256 verifiers (security/scram.h); API tokens only as
// SHA-256 hashes of their secret part.
//
// Thread-safety: one thread at a time (open one store per thread or process). Several processes
// may use the same lake: every change is one SQLite transaction.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace medlake::storage {
class SqliteDb;
class SqliteStatement;
}

namespace medlake::security {

enum class PrincipalKind { kUser, kRole, kGroup, kService };
std::string PrincipalKindName(PrincipalKind kind);

struct PrincipalRecord {
  std::string name;
  PrincipalKind kind = PrincipalKind::kUser;
  bool admin = false;
  bool auditor = false;
  bool owner = false;     // the lake owner (first admin)
  bool disabled = false;
  std::string password_verifier;  // SCRAM-SHA-256 verifier, empty when none
  // User attributes (hospitals, centres, professional category, ...): each a list of values.
  std::map<std::string, std::vector<std::string>> attributes;
  std::string created_at;
  std::string created_by;
};

// Privileges (the list). kOwnership implies all the others on the object.
enum class Privilege { kUsage, kSelect, kInsert, kModify, kOwnership };
std::string PrivilegeName(Privilege p);
Result<Privilege> ParsePrivilege(const std::string& upper_name);

struct GrantRecord {
  std::string principal;
  Privilege privilege = Privilege::kSelect;
  std::string ns;          // namespace
  std::string table;       // empty: the namespace itself (and, for SELECT/INSERT/MODIFY, its tables)
  std::string column;      // SELECT on one column only
  bool grant_option = false;
  std::string granted_by;
  std::string granted_at;
};

enum class PolicyKind { kRowFilter, kMask, kRequirePurpose };
enum class MaskKind { kRedact, kHash, kPartial, kYear, kNull };
std::string MaskKindName(MaskKind k);

struct PolicyRecord {
  std::string name;
  PolicyKind kind = PolicyKind::kRowFilter;
  // Bound to a table (ns, table) or to a tag (every table/column carrying it).
  std::string ns, table, tag;
  std::string column;                 // masks bound to a table: the column (its name when created)
  int field_id = 0;                   // ... and its Iceberg field id: the mask follows renames
  std::string expression;             // row filter
  MaskKind mask = MaskKind::kRedact;
  int mask_arg = 0;                   // partial: characters kept at the end
  std::vector<std::string> purposes;  // require purpose: the allowed ones; others: applies only
                                      // under these purposes (empty: always)
  std::vector<std::string> to;        // principals it applies to (empty: everyone but admins)
  std::vector<std::string> except;    // principals exempt
  std::string created_by, created_at;
};

struct TokenRecord {
  std::string id;
  std::string principal;
  std::string created_at, expires_at, revoked_at, comment;
};

struct BreakGlassRecord {
  int64_t id = 0;
  std::string principal, reason, started_at, expires_at;
};

class SecurityStore {
 public:
  ~SecurityStore();
  // Opens the store in the catalog database at `catalog_path`, creating its tables if missing.
  static Result<std::unique_ptr<SecurityStore>> Open(const std::string& catalog_path,
                                                     const Clock* clock = nullptr);

  // Principals. AlreadyExists / NotFound as usual; InvalidArgument for a bad name.
  Status CreatePrincipal(const PrincipalRecord& p);
  Result<std::optional<PrincipalRecord>> FindPrincipal(const std::string& name);
  Result<PrincipalRecord> GetPrincipal(const std::string& name);
  Result<std::vector<PrincipalRecord>> ListPrincipals();
  Status UpdatePrincipal(const PrincipalRecord& p);  // every field but name/created_*
  // Drops the principal with its memberships, grants, tokens and break-the-glass records.
  // FailedPrecondition for the owner and for a principal that policies name (TO/EXCEPT): a
  // later principal of the same name would inherit them.
  Status DropPrincipal(const std::string& name);
  Result<std::optional<PrincipalRecord>> Owner();

  Status AddMember(const std::string& role, const std::string& member);
  Status RemoveMember(const std::string& role, const std::string& member);
  // `name`, every role/group it belongs to (transitively) and "public".
  Result<std::set<std::string>> EffectiveRoles(const std::string& name);
  Result<std::vector<std::pair<std::string, std::string>>> ListMemberships();  // (role, member)

  Status AddGrant(const GrantRecord& g);
  // Removes matching grants (or only their grant option). Returns how many changed.
  Result<int64_t> RemoveGrant(const GrantRecord& g, bool grant_option_only);
  // Grants held by any of `principals` (all grants when empty).
  Result<std::vector<GrantRecord>> Grants(const std::set<std::string>& principals = {});
  // Removes every grant on a table (when it is dropped) or namespace.
  Status ForgetObject(const std::string& ns, const std::string& table);
  // Moves grants and table-bound policies of ns.table to ns.new_table (ALTER TABLE RENAME TO).
  Status RenameTableReferences(const std::string& ns, const std::string& table, const std::string& new_table);

  Status CreatePolicy(const PolicyRecord& p);
  Status DropPolicy(const std::string& name);
  Result<std::vector<PolicyRecord>> Policies();

  // Creates a token for `principal`; returns the secret text ("mlk_<id>_<secret>"), shown once.
  Result<std::string> CreateToken(const std::string& principal, int64_t valid_days,
                                  const std::string& comment);
  // The principal a token stands for. PermissionDenied for an unknown, expired or revoked token
  // (one message for all three).
  Result<std::string> VerifyToken(const std::string& token);
  Status RevokeToken(const std::string& id);
  Result<std::vector<TokenRecord>> Tokens();

  Result<BreakGlassRecord> StartBreakGlass(const std::string& principal, const std::string& reason,
                                           int minutes);
  // The principal's break-glass grant active now, if any.
  Result<std::optional<BreakGlassRecord>> ActiveBreakGlass(const std::string& principal);

  // Changes whenever another connection (this process or another) commits to the catalog
  // database: sessions reload grants and policies when it moves (SQLite's data_version, asked
  // only when a commit was counted since: storage::SqliteDb::DataVersion).
  Result<int64_t> DataVersion();

  // "YYYY-MM-DDTHH:MM:SS.mmmZ" of the store's clock.
  std::string Now() const;

  SecurityStore(std::unique_ptr<storage::SqliteDb> db, const Clock* clock);

 private:
  Status Transaction(const std::function<Status()>& body);
  std::unique_ptr<storage::SqliteDb> db_;
  const Clock* clock_;
};

// Principal names: 1..63 characters, [a-z0-9_.@-], starting with a letter (PostgreSQL-style
// role names as psql users type them).
Status ValidatePrincipalName(const std::string& name);

}  // namespace medlake::security
