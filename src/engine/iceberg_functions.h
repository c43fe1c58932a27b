// engine/iceberg_functions.h: SQL functions medlake adds to its DuckDB sessions.
//
//   medlake_bucket_long(BIGINT value, INTEGER n)  -> INTEGER   Iceberg bucket[n] of int, long,
//                                                              date (days) and timestamps (micros)
//   medlake_bucket_string(VARCHAR value, INTEGER n) -> INTEGER Iceberg bucket[n] of a string
//   medlake_bucket_blob(BLOB value, INTEGER n) -> INTEGER      Iceberg bucket[n] of binary, fixed, uuid
// All are (Murmur3 x86 32 of the spec's byte form & INT_MAX) % n (Iceberg spec, Appendix B);
// NULL in, NULL out; n <= 0 is an error.
#pragma once

#include <string>

#include "core/status.h"
#include "engine/database.h"

namespace medlake::engine {

// medlake_keyed_hash(VARCHAR) -> VARCHAR: the first 24 hex digits of HMAC-SHA-256(key, value),
// the keyed-hash column mask. The key lives in the function, never in SQL text; untrusted SQL
// may not call it (engine/sql_guard.h), so it is no oracle for guessing masked values.
Status RegisterKeyedHashFunction(Connection& conn, const std::string& key);

// Registers the functions on `conn`'s database. Internal if DuckDB refuses them.
Status RegisterIcebergFunctions(Connection& conn);

// medlake_param_int(INTEGER), medlake_param_bigint(BIGINT), medlake_param_text(VARCHAR): the
// value itself. Around a prepared statement's parameter whose type DuckDB leaves open
// (`SELECT $1 AS x`), they fix it, so that DuckDB keeps the statement's plan across executions
// instead of planning it again for each value (engine/lake_session.h, kept plans).
Status RegisterParameterTypeFunctions(Connection& conn);

}  // namespace medlake::engine
