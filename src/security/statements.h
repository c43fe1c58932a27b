// security/statements.h: the SQL statements of the security layer, recognised before DuckDB sees
// a statement (docs/formats/security.md has the grammar with examples):
//
//   CREATE {USER | ROLE | GROUP | SERVICE ACCOUNT} [IF NOT EXISTS] name
//       [WITH] [PASSWORD 'pw'] [ATTRIBUTES (key = 'v' | ('v', ...), ...)] [ADMIN] [AUDITOR]
//   ALTER {USER | SERVICE ACCOUNT} name {SET PASSWORD 'pw' | SET ATTRIBUTES (...) | ADMIN | NOADMIN
//       | AUDITOR | NOAUDITOR | DISABLE | ENABLE}
//   DROP {USER | ROLE | GROUP | SERVICE ACCOUNT} [IF EXISTS] name
//   GRANT ROLE r TO p, ...                  REVOKE ROLE r FROM p, ...
//   GRANT {priv [, priv] | ALL [PRIVILEGES]} [(column, ...)] ON {SCHEMA ns | [TABLE] ns.t}
//       TO p, ... [WITH GRANT OPTION]        (priv: USAGE SELECT INSERT MODIFY OWNERSHIP)
//   REVOKE [GRANT OPTION FOR] {privs} [(column, ...)] ON {SCHEMA ns | [TABLE] ns.t} FROM p, ...
//   CREATE POLICY name ON {TABLE ns.t | TAG 'tag'}
//       {ROW FILTER (expr) | MASK [COLUMN c] USING {REDACT | HASH | PARTIAL(n) | YEAR | NULL}
//        | REQUIRE PURPOSE ('p', ...)}
//       [FOR PURPOSE ('p', ...)] [TO p, ...] [EXCEPT p, ...]
//   DROP POLICY [IF EXISTS] name
//   CREATE TOKEN [FOR name] [EXPIRES IN n DAYS] [COMMENT 'text']      REVOKE TOKEN 'id'
//   SET medlake.purpose {= | TO} 'purpose'     RESET medlake.purpose
//   BREAK GLASS REASON 'text' [FOR n MINUTES]
//   SHOW {USERS | ROLES | GRANTS [FOR p] | POLICIES | TOKENS | CURRENT USER}
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "security/store.h"

namespace medlake::security {

struct SecurityStatement {
  enum class Kind {
    kCreatePrincipal,
    kAlterPrincipal,
    kDropPrincipal,
    kGrantRole,
    kRevokeRole,
    kGrant,
    kRevoke,
    kCreatePolicy,
    kDropPolicy,
    kCreateToken,
    kRevokeToken,
    kSetPurpose,
    kBreakGlass,
    kShow,
  };
  Kind kind = Kind::kShow;
  PrincipalKind principal_kind = PrincipalKind::kUser;
  std::string name;  // principal, role, policy name
  bool if_exists = false;
  bool if_not_exists = false;
  std::optional<std::string> password;
  std::optional<std::map<std::string, std::vector<std::string>>> attributes;
  std::optional<bool> admin, auditor, disabled;
  std::vector<std::string> principals;  // grantees, role members
  std::vector<Privilege> privileges;
  std::vector<std::string> columns;
  std::string ns, table;  // GRANT target (table empty: the schema)
  bool grant_option = false;       // WITH GRANT OPTION
  bool grant_option_only = false;  // REVOKE GRANT OPTION FOR
  PolicyRecord policy;
  int64_t days = 90;
  int minutes = 60;
  std::string text;  // token comment, token id, purpose ("" = reset), break-glass reason
  std::string show;  // USERS, ROLES, GRANTS, POLICIES, TOKENS, CURRENT USER
};

// nullopt when `sql` is not a security statement; InvalidArgument (with what was expected) for
// one that starts like a security statement but is malformed.
Result<std::optional<SecurityStatement>> ParseSecurityStatement(std::string_view sql);

}  // namespace medlake::security
