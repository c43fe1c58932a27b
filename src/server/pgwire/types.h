// server/pgwire/types.h: DuckDB result columns as PostgreSQL types, in text and binary formats.
//
// Part of server/pgwire (see README.md). Each result column gets a PostgreSQL type OID and a
// cell encoder. Common types are encoded from typed reads of the chunk (no Value per cell):
// booleans, integers, floats, text, bytea, date, time, timestamp(tz), uuid. Text format follows
// PostgreSQL's output functions with DateStyle ISO and TimeZone UTC (so timestamptz ends in +00);
// binary format follows PostgreSQL's send functions (big-endian; dates and timestamps counted
// from 2000-01-01). A column whose binary form we do not produce (numeric, interval, lists,
// structs, maps, ...) is described as `text` when binary is asked for, so what the client reads
// always matches the OID it was told. Nested types in text format use DuckDB's rendering
// ([1, 2], {'a': 1}), not PostgreSQL's array syntax: a documented difference.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/database.h"
#include "server/pgwire/protocol.h"

namespace medlake::server::pgwire {

// PostgreSQL type OIDs we use (pg_type.dat).
namespace oid {
inline constexpr int32_t kBool = 16;
inline constexpr int32_t kBytea = 17;
inline constexpr int32_t kInt8 = 20;
inline constexpr int32_t kInt2 = 21;
inline constexpr int32_t kInt4 = 23;
inline constexpr int32_t kText = 25;
inline constexpr int32_t kOid = 26;
inline constexpr int32_t kJson = 114;
inline constexpr int32_t kFloat4 = 700;
inline constexpr int32_t kFloat8 = 701;
inline constexpr int32_t kUnknown = 705;
inline constexpr int32_t kVarchar = 1043;
inline constexpr int32_t kDate = 1082;
inline constexpr int32_t kTime = 1083;
inline constexpr int32_t kTimestamp = 1114;
inline constexpr int32_t kTimestampTz = 1184;
inline constexpr int32_t kInterval = 1186;
inline constexpr int32_t kNumeric = 1700;
inline constexpr int32_t kUuid = 2950;
}  // namespace oid

// How one result column is encoded.
struct ColumnCodec {
  enum class Kind {
    kBool, kInt32, kInt64, kSmallInteger, kFloat, kDouble, kNumeric, kText, kBlob, kDate, kTime,
    kTimestampMicros, kTimestampTzMicros, kInterval, kUuid, kGeneric
  } kind = Kind::kGeneric;
  int32_t type_oid = oid::kText;
  int16_t type_size = -1;
  int32_t type_modifier = -1;
  int16_t format = 0;  // 0 text, 1 binary
};

// Picks the codec of a column for the requested format (0 text, 1 binary).
ColumnCodec CodecFor(const engine::ColumnInfo& column, int16_t format);
// The RowDescription of a result whose columns use `codecs`.
std::vector<FieldDescription> DescribeColumns(const std::vector<engine::ColumnInfo>& columns,
                                              const std::vector<ColumnCodec>& codecs);
// Result format codes of a Bind (none: all text; one: for all; else one per column) expanded.
Result<std::vector<int16_t>> ExpandFormats(const std::vector<int16_t>& formats, size_t columns);

// Appends one DataRow per row of `chunk` to `out`.
void EncodeRows(const engine::DataChunk& chunk, const std::vector<ColumnCodec>& codecs, MessageWriter& out);

// The SQL type name PostgreSQL clients know for an OID ("bigint", ...); "text" when unknown.
std::string PgTypeName(int32_t type_oid);

// A bound parameter as a SQL literal for the statement text: NULL, or a quoted string literal
// (quotes doubled), cast when the declared type asks for it. Binary parameters are decoded for
// the OIDs of int2/int4/int8/float4/float8/bool/text/varchar/bytea/date/timestamp(tz)/uuid;
// InvalidArgument otherwise or when the bytes do not fit the type.
Result<std::string> ParameterLiteral(const std::optional<std::string>& value, int32_t type_oid, int16_t format);

}  // namespace medlake::server::pgwire
