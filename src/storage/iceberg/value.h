// storage/iceberg/value.h: single Iceberg values (partition values, bounds, transform results).
//
// Part of the Iceberg v2 model in storage/iceberg/. A `Value` is a variant over the physical
// representations of the primitive types; the Iceberg type that gives it meaning travels
// separately (a date and an int are both int32_t):
//
//   null (std::monostate)  -- any type
//   bool                   -- boolean
//   int32_t                -- int; date (days from 1970-01-01)
//   int64_t                -- long; time (micros from midnight); timestamp / timestamptz
//                             (micros from 1970-01-01 00:00:00 [UTC])
//   float, double          -- float, double
//   std::string            -- string (UTF-8 bytes)
//   Decimal                -- decimal(P,S): unscaled 128-bit integer plus scale
//   medlake::Uuid          -- uuid (16 bytes, big-endian as in the spec)
//   FixedBytes             -- fixed[L]
//   BinaryBytes            -- binary
//
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/status.h"
#include "core/uuid.h"
#include "storage/iceberg/types.h"

namespace medlake::storage::iceberg {

// 128-bit signed integer; __extension__ keeps -Wpedantic quiet about the GNU type.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

// A decimal value: unscaled * 10^-scale. Precision 38 needs up to 127 bits, so Int128 holds it.
struct Decimal {
  Int128 unscaled = 0;
  int32_t scale = 0;
  bool operator==(const Decimal& other) const {
    return unscaled == other.unscaled && scale == other.scale;
  }
};

// Raw bytes of a fixed[L] value.
struct FixedBytes {
  std::string bytes;
  bool operator==(const FixedBytes& other) const { return bytes == other.bytes; }
};

// Raw bytes of a binary value.
struct BinaryBytes {
  std::string bytes;
  bool operator==(const BinaryBytes& other) const { return bytes == other.bytes; }
};

using Value = std::variant<std::monostate, bool, int32_t, int64_t, float, double, std::string,
                           Decimal, medlake::Uuid, FixedBytes, BinaryBytes>;

inline bool IsNull(const Value& v) { return std::holds_alternative<std::monostate>(v); }

// True if `value` is null or has the representation listed above for the primitive `type`
// (a Decimal must carry the type's scale and at most P digits; FixedBytes exactly L bytes).
// Always false for nested types.
bool ValueMatchesType(const Value& value, const Type& type);

// Parses a plain decimal literal such as "14.20", "-0.5" or "7" into a Decimal whose scale is
// the number of digits after the point. InvalidArgument if malformed or over 38 digits.
Result<Decimal> ParseDecimal(std::string_view text);

// The plain text of a decimal, e.g. {1420, 2} -> "14.20", {-5, 3} -> "-0.005".
std::string DecimalToString(const Decimal& value);

// Java's BigDecimal.toString() of a decimal: plain text unless the adjusted exponent is below -6,
// then scientific ("1E-8"). Used for partition paths, which must match Java's.
std::string DecimalToJavaString(const Decimal& value);

// The unscaled value as two's-complement big-endian bytes using the minimum number of bytes
// (at least one), like Java's BigInteger#toByteArray: 0 -> 00, 1420 -> 05 8c, -1 -> ff,
// 128 -> 00 80. Used by the bucket hash (Appendix B) and bound serialization (Appendix D).
std::string MinimalBigEndianBytes(Int128 unscaled);

// Decimal text of a 128-bit integer.
std::string Int128ToString(Int128 value);

// A short human-readable rendering for messages and test output (not a storage format).
// Callers must not log values of patient tables (STYLE.md: no PHI in logs).
std::string ValueToDebugString(const Value& value);

}  // namespace medlake::storage::iceberg
