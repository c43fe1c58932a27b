// engine/predicate_safety.h: private to the engine module: can a statement's predicates fail?
//
// A row filter hides rows; DuckDB pushes the caller's predicates down next to it and evaluates
// them in the order it finds cheapest, so a caller's predicate may run on a hidden row. If that
// predicate can fail (a cast per row, an overflow, error()), the error tells the caller something
// about the hidden row. The lake resolver therefore guards every column of a filtered table
// (`CASE WHEN visible THEN value END`), which costs a few nanoseconds per row and column.
//
// The guard is not needed when no expression DuckDB may move below the filter can fail. Only
// predicates move down (WHERE, HAVING, QUALIFY, join conditions, aggregate and window FILTERs),
// carrying with them the select-list expressions of the subqueries they name. This check accepts
// a statement when every predicate is built only from:
//   - AND, OR, NOT, and constants;
//   - `col IS [NOT] NULL`, a boolean column alone, `col [NOT] LIKE/ILIKE 'text'`;
//   - comparisons (=, <>, <, <=, >, >=, IS [NOT] DISTINCT FROM, [NOT] IN (...), BETWEEN) of one
//     column with literals that DuckDB casts to the column's type (never the other way round):
//     text and NULL with any column; integers with integer, floating and decimal columns;
//     decimals and doubles with floating columns; dates with date and timestamp columns;
//     timestamps with timestamp columns of the same zone-ness; booleans with boolean columns;
//   - comparisons of two columns qualified by two different table aliases (join keys, which
//     DuckDB evaluates in the join, above each side's filter);
// where every column is a lake table column the statement names (unqualified, or qualified by a
// lake table's alias), not masked for the principal (a mask is computed before the predicate),
// and not renamed by a select-list alias, a column alias list or `* REPLACE`.
// Anything else (functions, casts, arithmetic, subqueries, unknown names, PIVOT) keeps the guard.
// `parameter_kinds` say what literal each $n stands for (nullptr: parameters keep the guard).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/select_rewriter.h"

namespace medlake::engine::internal {

// Column kinds of the lake table references of a statement.
struct StatementColumns {
  // lowercase alias (or table name when unaliased) -> lowercase column -> kinds seen under it.
  std::map<std::string, std::map<std::string, std::set<ColumnKind>>> by_alias;
  // lowercase column -> kinds over all lake references (for unqualified names).
  std::map<std::string, std::set<ColumnKind>> any;
  // Set when a reference could not be described (e.g. a column alias list on a lake table).
  bool unknown = false;

  void Add(const std::string& alias, const std::map<std::string, ColumnKind>& kinds);
};

// True when no predicate of `statement` (DuckDB's json_serialize_sql tree, before any lake table
// was replaced) can fail on any row, as described above.
bool PredicatesCannotFail(const nlohmann::json& statement, const StatementColumns& columns,
                          const std::vector<ColumnPredicate::Kind>* parameter_kinds);

}  // namespace medlake::engine::internal
