// engine/iceberg_sql_types.h: translation between Iceberg types (the spec's JSON form) and
// DuckDB type names, for creating lake tables from SQL and for reading their Parquet files.
//
//   boolean BOOLEAN | int INTEGER | long BIGINT | float FLOAT | double DOUBLE
//   decimal(P,S) DECIMAL(P,S) | date DATE | time TIME | timestamp TIMESTAMP
//   timestamptz TIMESTAMP WITH TIME ZONE | string VARCHAR | uuid UUID | binary, fixed[L] BLOB
//   struct STRUCT(...) | list T[] | map MAP(K, V)
// DuckDB's TINYINT/SMALLINT map to int, UTINYINT/USMALLINT to int, UINTEGER to long; types with
// no Iceberg counterpart (HUGEINT, UBIGINT, INTERVAL, ENUM, UNION, BIT, TIME WITH TIME ZONE,
// fixed-size ARRAY) are refused with InvalidArgument naming the type.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace medlake::engine {

// `type_json` is an Iceberg type as JSON text ("\"long\"" or "{\"type\":\"list\",...}") or a bare
// primitive name ("long"). DataLoss for a type JSON that is malformed.
Result<std::string> IcebergTypeToDuckDb(std::string_view type_json);

// Converts a DuckDB type name (as engine::ColumnInfo::type_name spells it) to an Iceberg type in
// JSON text. Nested fields get ids from `*next_id`, which is advanced past the ids used.
Result<std::string> DuckDbTypeToIceberg(std::string_view duckdb_type, int* next_id);

}  // namespace medlake::engine
