// server/pgcatalog/catalog_tables_internal.h: private to server/pgcatalog: the shapes of the
// PostgreSQL 15 catalog tables the shim creates, and the pg_type rows it starts with.
//
// Thread-safety: constant data.
#pragma once

#include <cstdint>
#include <span>

namespace medlake::server::pgcatalog::internal {

enum class CatalogSchema { kPgCatalog, kInformationSchema };

struct CatalogTableDef {
  CatalogSchema schema;
  const char* name;     // e.g. "pg_class", "columns"
  const char* columns;  // DuckDB column definitions, "oid BIGINT, relname VARCHAR, ..."
};

// One built-in type as PostgreSQL 15 has it in pg_type.
struct PgTypeRow {
  uint32_t oid;
  const char* typname;  // "int8", "_text"
  const char* display;  // format_type(oid, NULL): "bigint", "text[]"
  int16_t typlen;
  bool typbyval;
  uint32_t typelem;   // element type of an array type, else 0
  char typtype;       // 'b' base, 'p' pseudo, 'r' range
  char typcategory;   // 'N' numeric, 'S' string, 'A' array, ...
  uint32_t typarray;  // the array type of this type, else 0
  uint32_t typcollation;
  const char* typinput;
  const char* typoutput;
  const char* typreceive;
  const char* typsend;
};

std::span<const CatalogTableDef> CatalogTableDefs();
std::span<const PgTypeRow> BuiltinPgTypes();

}  // namespace medlake::server::pgcatalog::internal
