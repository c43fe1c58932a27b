// server/pgcatalog/catalog_shim.h: the PostgreSQL catalog (pg_catalog, information_schema and the
// usual introspection functions) that psql and BI tools query, answered from a description of
// the lake tables a session may see.
//
// Lake tables are not DuckDB tables, and DuckDB's own pg_catalog describes DuckDB (its type ids,
// type names and owners), not what a PostgreSQL client expects. CatalogShim therefore opens a
// private in-memory DuckDB holding PostgreSQL-shaped catalog tables (pg_class, pg_attribute,
// pg_type with PostgreSQL's type oids, pg_description, information_schema.columns, ...) filled
// from ShimTables, plus macros for the functions psql calls (format_type, pg_get_userbyid,
// obj_description, ...). Run() rewrites the few PostgreSQL spellings DuckDB cannot parse
// (OPERATOR(pg_catalog.~), COLLATE pg_catalog.default, ::regclass, SHOW, ...) and runs the query
// there. The database holds no data and cannot read files, so any catalog query is safe to run.
//
// The pgwire session asks IsCatalogQuery() first and sends true statements here, everything else
// to the lake session. See README.md for which psql commands work.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/access_control.h"
#include "engine/database.h"

namespace medlake::server::pgcatalog {

struct ShimColumn {
  std::string name;
  // DuckDB's SQL spelling, as engine::ColumnInfo::type_name gives it: "BIGINT", "VARCHAR",
  // "TIMESTAMP WITH TIME ZONE", "DECIMAL(18,3)", "VARCHAR[]", "STRUCT(a INTEGER)", ...
  std::string type;
  bool nullable = true;
  std::string comment;  // empty: none
};

// The session user's privileges on a listed table answer has_table_privilege(),
// has_column_privilege(), has_any_column_privilege() and information_schema.table_privileges:
// SELECT from select (or select_columns, per column), INSERT from insert, UPDATE and DELETE from
// modify, each WITH GRANT OPTION when grantable. TRUNCATE, REFERENCES and TRIGGER are never held
// (medlake has no such statements or objects). Default: readable, nothing else.
inline engine::ObjectPrivileges ReadOnlyPrivileges() {
  engine::ObjectPrivileges p;
  p.usage = true;
  p.select = true;
  return p;
}

struct ShimTable {
  std::string namespace_name;
  std::string name;
  std::string comment;  // empty: none
  std::vector<ShimColumn> columns;
  engine::ObjectPrivileges privileges = ReadOnlyPrivileges();
};

struct ShimOptions {
  // The session's user (pg_roles, current_user, the owner of every object).
  std::string user = "medlake";
  std::string database = "medlake";
  // What `SHOW server_version` says. psql and the drivers read the leading "major.minor" to
  // choose their catalog queries; 15 is what the shim answers like.
  std::string server_version = "15.0 (medlake)";
  // Namespaces listed even when they hold no table (namespaces of the tables are added).
  std::vector<std::string> namespaces;
  // has_schema_privilege(): USAGE from usage, CREATE from ownership. A namespace not in the
  // map is usable (it is listed), not creatable.
  std::map<std::string, engine::ObjectPrivileges> namespace_privileges;
  // has_database_privilege(): CONNECT and TEMPORARY are always held, CREATE (new schemas) when
  // this is true.
  bool may_create_schemas = false;
  // current_schema(): listed in pg_namespace even if it is not a lake namespace, as in a fresh
  // PostgreSQL database.
  std::string current_schema = "public";
};

// How a DuckDB column type appears to PostgreSQL clients.
struct PgTypeInfo {
  uint32_t oid = 25;      // pg_type.oid, e.g. 20 for int8, 1009 for text[]
  int32_t typmod = -1;    // e.g. numeric(18,3) -> (18 << 16 | 3) + 4
  std::string type_name;  // format_type() spelling: "bigint", "numeric(18,3)", "text[]"
};

// Maps a DuckDB type spelling to the PostgreSQL type the shim describes it as (and that the
// pgwire front end should announce in RowDescription, so both agree): integers to int2/int4/int8,
// FLOAT/DOUBLE to float4/float8, VARCHAR to text, DECIMAL(p,s) to numeric(p,s), BLOB to bytea,
// UUID, DATE, TIME, TIMESTAMP [WITH TIME ZONE], INTERVAL, JSON to their namesakes, HUGEINT and
// UBIGINT to numeric, T[] (and T[n]) to T's array type; STRUCT, MAP, UNION and anything unknown
// to text. Pure function.
PgTypeInfo PgTypeForDuckDbType(std::string_view duckdb_type);

// Thread-safety: not thread-safe; one shim belongs to one pgwire session (Run() uses a single
// DuckDB connection). Build() may run on any thread.
class CatalogShim {
 public:
  ~CatalogShim();
  CatalogShim(const CatalogShim&) = delete;
  CatalogShim& operator=(const CatalogShim&) = delete;

  // Builds the catalog for `tables` (copied; nothing is kept by reference). InvalidArgument for
  // a table or namespace with an empty name or a duplicate table; Internal if DuckDB fails.
  static Result<std::unique_ptr<CatalogShim>> Build(const std::vector<ShimTable>& tables,
                                                    const ShimOptions& options);

  // True when `sql` is one statement that only reads the PostgreSQL catalog: `SHOW <setting>`
  // for a setting the shim knows, or a SELECT that names pg_catalog/information_schema
  // relations or calls catalog functions (version(), current_schema(), current_setting(),
  // format_type(), pg_*(), has_*_privilege(), obj_description(), current_user, ...) and names no
  // other relation (no lake table, not even in a subquery) and no table function but
  // generate_series/range/unnest. False when unsure, for several statements, and for statements
  // with no catalog reference at all (`SELECT 1`). Statements without a catalog-looking word are
  // refused by a token scan alone; the others are parsed by DuckDB (json_serialize_sql), so
  // names inside string literals or comments do not count.
  bool IsCatalogQuery(std::string_view sql);

  // Rewrites and prepares one catalog query, for the extended protocol ($1 parameters are
  // DuckDB's). InvalidArgument for a statement that is not a query; DuckDB's error otherwise.
  // The statement must not outlive the shim.
  Result<std::unique_ptr<engine::PreparedStatement>> Prepare(std::string_view sql);

  // Runs one catalog statement (IsCatalogQuery() should have said true) after rewriting it for
  // DuckDB. Returns DuckDB's error Status (InvalidArgument for syntax and binder errors, NotFound
  // for an unknown table or function, PermissionDenied for file access) for statements the shim
  // cannot answer. The result must not outlive the shim.
  Result<std::unique_ptr<engine::QueryResult>> Run(std::string_view sql);

  // Stops the running catalog query (CancelRequest); callable from any thread.
  void Interrupt();
  // Records a session setting (after the session ran `SET name = value`), so SHOW and
  // current_setting() answer it. InvalidArgument for an empty name.
  Status SetSetting(std::string_view name, std::string_view value);

  // The oid the shim gave a table, or 0 if there is none (tests and logs).
  uint32_t TableOidForTest(std::string_view namespace_name, std::string_view name) const;

 private:
  struct Impl;
  explicit CatalogShim(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The rewrite Run() applies, exposed for tests and logging: drops pg_catalog qualifiers, points
// information_schema at the shim's tables, turns OPERATOR(pg_catalog.op) into op, removes
// COLLATE pg_catalog.default, turns PostgreSQL's partial-match regex operators (~, ~*, !~, !~*)
// with a literal pattern into DuckDB's full-match ~, ::regclass/::regtype/... casts into lookup
// functions and SHOW into a SELECT on pg_settings. InvalidArgument if `sql` cannot be tokenized.
Result<std::string> RewriteCatalogQuery(std::string_view sql);

}  // namespace medlake::server::pgcatalog
