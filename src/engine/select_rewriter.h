// engine/select_rewriter.h: the read path's rewrite (ARCHITECTURE.md section 3, step 2).
//
// A SELECT (or any statement DuckDB's json_serialize_sql accepts) is parsed by DuckDB into its
// JSON tree; every schema-qualified table reference is offered to a TableResolver, which may
// replace it with a subquery (the scan of a lake table snapshot, later with policies applied);
// the tree is turned back into SQL with json_deserialize_sql. Replaced references stand in the
// tree as placeholder table names (random per statement) whose scans are put into the final
// text: the scans never go through the parser's JSON. Table references inside CTEs,
// subqueries, joins, set operations and LATERAL all appear in the tree and are all offered.
//
// Thread-safety: uses the given Connection; one thread at a time.
#pragma once

#include <map>
#include <optional>
#include <set>
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

// A simple predicate on a column of a table reference, taken from the WHERE clause of the query
// block that scans it (top-level AND terms only), for file pruning. Values are DuckDB constants
// in text form with their kind.
struct ColumnPredicate {
  enum class Op { kEq, kLt, kLe, kGt, kGe, kIn, kIsNull, kIsNotNull };
  // kParameter: a prepared statement's $n (text: n), whose value is known only when it runs.
  enum class Kind { kInteger, kDecimal, kDouble, kString, kDate, kTimestamp, kParameter };
  struct Constant {
    Kind kind;
    std::string text;  // "42", "2.5", "abc", "2024-01-01", "2024-01-01 10:00:00"; n for $n
    // For kParameter: the kind of literal the parameter will be replaced by, when the caller
    // knows it (RewriteQuery's `parameter_kinds`); kParameter when unknown.
    Kind parameter_kind = Kind::kParameter;
  };
  std::string column;
  Op op = Op::kEq;
  std::vector<Constant> values;
  // The WHERE term this predicate was read from (an id private to the rewriter), or -1. Every
  // predicate of one term carries its id only when together they say all the term says.
  int term = -1;
};

// What a column compared with a literal is, for proving that the comparison cannot fail on any
// row (engine/predicate_safety.h): DuckDB casts the literal to the column's type for some pairs
// (safe: done once, whatever the rows hold) and the column to the literal's type for others (a
// cast per row, which may fail on a value the caller may not see).
// kMasked: the value is computed by a column mask of another type than the column's; predicates
// on it keep the guard. (A mask that keeps the column's type has the column's kind: its value is
// guarded in both scans, so the mask is never evaluated on a row the principal may not see.)
enum class ColumnKind { kOther, kString, kInteger, kFloating, kDecimal, kDate, kTimestamp, kTimestampTz, kBoolean, kMasked };

// A lake table reference resolved to SQL.
struct ResolvedTable {
  ResolvedTable(std::string s) : sql(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  std::string sql;
  // The same rows without the row filter's per-column guard on unmasked columns (masked ones
  // keep it), valid only in a statement whose every predicate cannot fail
  // (engine/predicate_safety.h); empty when there is no guard.
  std::string sql_unguarded;
  // The reference's columns as the statement sees them (lowercase name -> kind; columns masked
  // into another type are kMasked); empty when unknown.
  std::map<std::string, ColumnKind> column_kinds;
  // Positions in the `predicates` given to Resolve that `sql` (and `sql_unguarded`) already
  // enforce exactly, on the values the statement sees: a row the SQL returns passes them. The
  // rewriter may then drop the caller's term (a comparison of a year-masked date, which would
  // otherwise compute the mask on every row only to test it again).
  std::vector<size_t> exact_predicates;
};

class TableResolver {
 public:
  virtual ~TableResolver() = default;
  // Returns the SQL text of a query that replaces `ns.name` (its columns are the table's), or
  // nullopt to leave the reference to DuckDB. Errors (NotFound for a missing lake table, a bad
  // AT clause, PermissionDenied) abort the statement.
  // `predicates` hold for every row the query keeps from this reference (so rows failing them
  // may be skipped); they are empty when the reference sits on the nullable side of an outer
  // join or in a position where that cannot be proven.
  virtual Result<std::optional<ResolvedTable>> Resolve(const std::string& ns,
                                                     const std::string& name,
                                                     const std::optional<AtClause>& at,
                                                     const std::vector<ColumnPredicate>& predicates) = 0;
  // True when the statement comes from an untrusted principal: the rewriter then rejects what
  // could reach data around the resolver (file and SQL-executing functions, replacement scans of
  // file paths, internal functions; engine/sql_guard.h) and always runs the rewritten tree.
  virtual bool untrusted() const { return false; }
};

struct RewriteResult {
  std::string sql;          // the statement to run
  int tables_replaced = 0;  // how many references the resolver replaced
  // Column names the statement refers to (lowercase, last name part) and whether it uses `*`:
  // what the audit records as columns read.
  std::set<std::string> column_names;
  bool star = false;
};

// Rewrites `sql` (one statement). When DuckDB cannot serialize the statement (it is not a
// query), returns FailedPrecondition so the caller can decide; a syntax error is InvalidArgument.
// `parameter_kinds` (optional): the kind of literal each $n (n = index + 1) stands for, when the
// caller will substitute literals for them (predicates then say what the values will be).
// `postgres_result_names`: result columns without an alias get the names PostgreSQL would give
// them (count(*) is "count", max(x) "max", x::text "x", 1 + 1 "?column?") instead of DuckDB's
// (count_star(), max(x), CAST(x AS VARCHAR), (1 + 1)); for the PostgreSQL wire protocol.
Result<RewriteResult> RewriteQuery(Connection& conn, std::string_view sql, TableResolver& resolver,
                                   const std::vector<ColumnPredicate::Kind>* parameter_kinds = nullptr,
                                   bool postgres_result_names = false);

// `sql` (one query) with its unaliased result columns named as PostgreSQL names them (see
// RewriteQuery), columns included (`t.oid AS oid`, so that ORDER BY oid names the output column
// as in PostgreSQL, not an ambiguous input column); unchanged when nothing needs a name or it is
// not a query DuckDB can serialize. InvalidArgument for a syntax error. For catalog queries.
Result<std::string> WithPostgresResultNames(Connection& conn, std::string_view sql);

}  // namespace medlake::engine
