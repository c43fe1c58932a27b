// engine/sql_guard.h: private to the engine module: what an untrusted statement may contain.
//
// Applied to every node of DuckDB's parse tree (json_serialize_sql) of a statement from an
// untrusted principal, before lake tables are resolved (engine/access_control.h). Rejected with
// PermissionDenied:
//   - table functions other than a short list of pure generators (range, generate_series, unnest,
//     json_each, json_tree): read_parquet/read_csv/read_json/read_text/glob/parquet_metadata read
//     files around the policies, query()/query_table()/json_execute_serialized_sql run SQL the
//     rewriter never saw, duckdb_*()/pragma_*() expose the engine's configuration;
//   - scalar functions that are internal to medlake (medlake_*, e.g. the keyed-hash mask, which
//     would be an oracle) or reveal the process environment (getenv);
//   - table names that look like files (a dot, slash, backslash or colon in an unqualified name:
//     DuckDB's replacement scans would read them) and catalog-qualified names (ATTACHed
//     databases are not allowed anyway).
// Statement kinds are checked elsewhere: only queries reach the parse tree.
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <string_view>

#include "core/status.h"

namespace medlake::engine::internal {

// Checks one node (not its children). OK or PermissionDenied naming what was refused.
Status CheckUntrustedNode(const nlohmann::json& node);

// Records column references (lowercase, last name part) and `*` of one node.
void NoteColumns(const nlohmann::json& node, std::set<std::string>* names, bool* star);

}  // namespace medlake::engine::internal

namespace medlake::engine {
class Connection;
}

namespace medlake::engine::internal {

// For statement text DuckDB cannot serialize but will run (MERGE, CREATE TABLE column
// definitions) from an untrusted principal: rejects calls of table functions and denied scalar
// functions, file names after FROM/JOIN/USING/PIVOT/UNPIVOT/SUMMARIZE/DESCRIBE or a comma
// (replacement scans), quoted names holding path characters and DuckDB's settings catalogs.
// `strict` (text with no business naming files: MERGE, column definitions) also rejects any
// string literal that looks like a file path.
Status CheckUntrustedText(Connection& conn, std::string_view text, bool strict = false);

}  // namespace medlake::engine::internal
