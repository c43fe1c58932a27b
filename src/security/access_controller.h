// security/access_controller.h: the security layer behind the one enforcement point
// (engine/access_control.h): a principal's privileges, row filters, column masks, purpose of
// use, break-the-glass access, the security statements, and the audit record of every statement.
//
// Policy semantics (docs/security.md):
//   - Reading a lake table needs USAGE (or OWNERSHIP, or SELECT) on its namespace and SELECT on
//     the table or namespace (or OWNERSHIP); SELECT on some columns only leaves the others out.
//     Admins hold every privilege. Privileges reach members of roles and groups transitively.
//   - A policy applies to the principals named in TO (any role of the session's user; empty:
//     everyone but admins) minus those in EXCEPT; FOR PURPOSE limits it to sessions declaring
//     one of those purposes. Policies bound to a tag apply to every table/column carrying it.
//   - Row filters of all applying policies are ANDed; `user.<attr>` in a filter is the user's
//     attribute as a VARCHAR[] literal, `current_user` the user name, `session.purpose` the
//     purpose. A column with several masks gets the strongest (null > redact > hash > partial >
//     year). REQUIRE PURPOSE denies reads without one of the listed purposes.
//   - Break-the-glass (BREAK GLASS REASON '...' under purpose treatment) lifts row filters, never
//     masks, for a limited time; every statement under it is flagged in the audit for review.
//
// Thread-safety: one session, one thread at a time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/access_control.h"
#include "security/audit/audit_log.h"
#include "security/statements.h"
#include "security/store.h"

namespace medlake::security {

// Purposes of use a session may declare.
const std::vector<std::string>& KnownPurposes();

// Who is acting: the authenticated principal, and the user whose rights apply (the same unless
// an admin acts as another user).
struct SessionIdentity {
  std::string actor;
  std::string user;
  std::string client = "cli";
  std::string purpose;  // empty: none declared
};

// Tags of a table's columns (key "" for tags on the table itself), from the governance catalog.
using TagLookup =
    std::function<Result<std::map<std::string, std::set<std::string>>>(const std::string& ns, const std::string& table)>;

// Statements of other layers (governance: COMMENT ON, SET TAGS) the controller runs after
// checking OWNERSHIP of `ns[.table]`. Returns nullopt when `sql` is not one of theirs; otherwise
// the object it changes (ns, table; table empty for a namespace) and a function doing it.
struct ExtensionStatement {
  std::string ns, table;
  std::string action = "catalog";
  std::vector<std::string> tags;  // tags the statement sets or removes (policies may hinge on them)
  std::function<Result<std::string>(const std::string& actor)> run;
};
using ExtensionParser = std::function<Result<std::optional<ExtensionStatement>>(std::string_view sql)>;

// Further read-only views (e.g. catalog.tables of the governance layer): the SQL of `ns.name`
// or nullopt; `visible(ns, table)` (table empty for a namespace) says what the principal may see.
using VisibilityCheck = std::function<bool(const std::string& ns, const std::string& table)>;
using ViewProvider = std::function<Result<std::optional<std::string>>(const std::string& ns, const std::string& name,
                                                                      const VisibilityCheck& visible)>;

struct SecurityControllerOptions {
  std::string lake_root;     // the audit log is <root>/audit, the mask key <root>/keys/mask.key
  std::string catalog_path;  // <root>/catalog.db
  const Clock* clock = nullptr;
  TagLookup tags;                   // null: no tag-bound policy matches anything
  ExtensionParser extensions;       // null: none
  ViewProvider views;               // null: none
  // The audit log to append to; null: the controller opens <lake_root>/audit itself. A server
  // shares one log between its sessions so that their records share fsyncs (group commit).
  std::shared_ptr<AuditLog> audit;
};

class SecurityController : public engine::AccessController {
 public:
  // Opens a session for `identity`: the user must exist and be enabled, the actor must be the
  // user or an admin, the purpose known. Writes the session's "login" audit record (a session
  // whose audit record cannot be written does not open).
  static Result<std::shared_ptr<SecurityController>> Open(const SecurityControllerOptions& options,
                                                          const SessionIdentity& identity);

  Result<std::optional<engine::HandledStatement>> HandleStatement(std::string_view sql) override;
  Result<engine::TableAccess> ReadAccess(const storage::TableIdentifier& table,
                                         const std::vector<engine::AccessColumn>& columns) override;
  Status CheckWrite(engine::WriteKind kind, const std::string& ns, const std::string& table) override;
  Result<std::optional<std::string>> VirtualTable(const std::string& ns, const std::string& name) override;
  Result<engine::ObjectPrivileges> PrivilegesOn(const std::string& ns, const std::string& table) override;
  std::string MaskHashKey() const override { return mask_key_; }
  std::vector<std::string> ReadableDirectories() const override;
  void RecordStatement(engine::StatementAudit audit) override;
  Status BeginStatement() override;
  Result<std::string> AccessEpoch() override;
  void BeginAuditGroup() override { grouping_ = true; }
  Status EndAuditGroup() override;

  const SessionIdentity& identity() const { return identity_; }
  // Where the session's next statements come from (a pooled HTTP session serves many requests,
  // each from its own address); recorded in their audit records.
  void SetClient(std::string client) { identity_.client = std::move(client); }
  // True while break-the-glass lifts this session's row filters (as of its last statement).
  bool break_glass() const { return break_glass_; }
  SecurityStore& store() { return *store_; }
  AuditLog& audit_log() { return *audit_; }
  // Appends an audit record with this session's who/where/purpose filled in.
  Status Audit(AuditRecord record);

  SecurityController(SecurityControllerOptions options, SessionIdentity identity,
                     std::unique_ptr<SecurityStore> store, std::shared_ptr<AuditLog> audit,
                     std::string mask_key);

 private:
  Status Load();  // principal, roles, grants, policies (again after a security statement)
  bool HasPrivilege(const std::string& ns, const std::string& table, Privilege p) const;
  bool CanSee(const std::string& ns, const std::string& table) const;
  Result<bool> RestrictedOn(const std::string& ns, const std::string& table);
  Status PurposeAllowed(const std::string& purpose) const;
  bool HasGrantOption(const std::string& ns, const std::string& table, Privilege p) const;
  bool PolicyApplies(const PolicyRecord& p) const;
  Result<bool> BreakGlassActive();
  Result<engine::HandledStatement> Execute(const SecurityStatement& st, std::vector<std::string>* decisions);
  std::string SubstituteSessionValues(const std::string& expression) const;
  // `sql` with every value after PASSWORD replaced by '***'; the secrets found go to `secrets`.
  std::string RedactedStatement(std::string_view sql, std::vector<std::string>* secrets = nullptr) const;
  std::string Scrub(std::string text, const std::vector<std::string>& secrets) const;

  SecurityControllerOptions options_;
  SessionIdentity identity_;
  std::unique_ptr<SecurityStore> store_;
  std::shared_ptr<AuditLog> audit_;
  std::string mask_key_;
  PrincipalRecord principal_;
  std::set<std::string> roles_;
  std::vector<GrantRecord> grants_;
  std::vector<PolicyRecord> policies_;
  int64_t data_version_ = -1;
  bool audit_failed_ = false;
  bool grouping_ = false;               // between BeginAuditGroup and EndAuditGroup
  std::vector<AuditRecord> grouped_;    // records held meanwhile
  int64_t loads_ = 0;  // Load() calls: a reload after this session's own security statement moves the epoch               // a statement could not be audited: the session stops
  std::vector<std::string> reads_;          // tables read by the current statement (all paths)
  std::vector<std::string> read_decisions_;  // ... and the decisions taken
  bool break_glass_ = false;
  std::string break_glass_until_;
  std::string glass_checked_epoch_;  // data_version/loads of the last lookup (BreakGlassActive)
  // A write that creates or drops a table changes ownership after it succeeds.
  std::optional<std::pair<engine::WriteKind, std::pair<std::string, std::string>>> pending_write_;
};

// Creates the lake's security tables and its owner (an admin and auditor) named `owner`, once;
// OK when the owner already exists with that name. Used by `medlake init`.
Status InitializeSecurity(const std::string& catalog_path, const std::string& owner, const Clock* clock = nullptr);

// The owner's name; creates the owner (`fallback_owner`) when the lake predates security.
Result<std::string> LakeOwner(const std::string& catalog_path, const std::string& fallback_owner);

}  // namespace medlake::security
