// engine/select_rewriter.h: the read path's rewrite (ARCHITECTURE.md section 3, step 2).
//
// A SELECT (or any statement DuckDB's json_serialize_sql accepts) is parsed by DuckDB into its
// JSON tree; every schema-qualified table reference is offered to a TableResolver, which may
// replace it with a subquery (the scan of a lake table snapshot, later with policies applied);
// the tree is turned back into SQL with json_deserialize_sql. Table references inside CTEs,
// subqueries, joins, set operations and LATERAL all appear in the tree and are all offered.
//
// Thread-safety: uses the given Connection; one thread at a time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "engine/database.h"
#include "engine/value.h"

namespace medlake::engine {

// `FROM t AT (VERSION => v)` or `AT (TIMESTAMP => ts)`, evaluated to a constant.
struct AtClause {
  std::string unit;  // "VERSION" or "TIMESTAMP"
  Value value;       // VERSION: an integer; TIMESTAMP: text "YYYY-MM-DD HH:MM:SS[.f]" in UTC
};

class TableResolver {
 public:
  virtual ~TableResolver() = default;
  // Returns the SQL text of a query that replaces `ns.name` (its columns are the table's), or
  // nullopt to leave the reference to DuckDB. Errors (NotFound for a missing lake table, a bad
  // AT clause, PermissionDenied) abort the statement.
  virtual Result<std::optional<std::string>> Resolve(const std::string& ns,
                                                     const std::string& name,
                                                     const std::optional<AtClause>& at) = 0;
};

struct RewriteResult {
  std::string sql;          // the statement to run
  int tables_replaced = 0;  // how many references the resolver replaced
};

// Rewrites `sql` (one statement). When DuckDB cannot serialize the statement (it is not a
// query), returns FailedPrecondition so the caller can decide; a syntax error is InvalidArgument.
Result<RewriteResult> RewriteQuery(Connection& conn, std::string_view sql, TableResolver& resolver);

}  // namespace medlake::engine
