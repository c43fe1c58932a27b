// pipeline/lineage.h: table- and column-level lineage of models, from DuckDB's parse tree.
//
// For a model's SELECT, every output column is traced to the lake table columns its expression
// reads, through CTEs, subqueries, joins, set operations (by position, or by name for UNION BY
// NAME) and `*` (with EXCLUDE). Columns used only to filter, join, group or order are not
// lineage of an output column (they appear as table-level edges). Function arguments, CASE
// branches, casts, aggregates and window functions are followed. Names that cannot be resolved
// (lambda parameters, struct fields) are dropped.
//
// Edges are stored in the lake table lineage.edges (docs/formats/pipeline_models.md, "Lineage").
//
// Thread-safety: uses the caller's connection; one thread at a time.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "engine/database.h"
#include "engine/lake_session.h"

namespace medlake::pipeline {

// The columns of a lake table ("ns.table"), in order; empty when unknown.
using TableColumns = std::function<std::vector<std::string>(const std::string& table)>;

// One output column of a query and the source columns ("ns.table.column") it derives from.
struct ColumnLineage {
  std::string column;
  std::set<std::string> sources;
};

// Column lineage of `sql` (one SELECT). InvalidArgument when DuckDB cannot parse it.
Result<std::vector<ColumnLineage>> QueryColumnLineage(engine::Connection& conn, const std::string& sql,
                                                      const TableColumns& table_columns);

// The columns of lake table `table` ("ns.table", whose columns are `table_columns`) that `sql`
// (one SELECT) may read anywhere: in its output, filters, joins, grouping or ordering. That is
// every column of the table whose name the query references (with any qualifier: a same-named
// column of another table counts too), or all of them when a `*` (or COLUMNS(...)) of a SELECT
// that reads the table directly may expand it. InvalidArgument when DuckDB cannot parse it.
Result<std::vector<std::string>> ColumnsReadFrom(engine::Connection& conn, const std::string& sql,
                                                 const std::string& table,
                                                 const std::vector<std::string>& table_columns);

struct LineageEdge {
  std::string from_table;   // "ns.table" (or "external:<kind>" for ingestion)
  std::string from_column;  // "" for a table-level edge
  std::string to_table;
  std::string to_column;
};

struct Model;

// The edges into `model`'s table: one per dependency (table level) and one per output column and
// source column. Lineage that cannot be traced (a model DuckDB cannot serialize) gives the table
// edges only.
Result<std::vector<LineageEdge>> ModelLineage(engine::LakeSession& session, const Model& model,
                                              const std::vector<std::string>& deps);

// Replaces, in lineage.edges, the edges into each table of `edges` (created on first use).
Status WriteLineage(engine::LakeSession& session, const std::vector<LineageEdge>& edges);

}  // namespace medlake::pipeline
