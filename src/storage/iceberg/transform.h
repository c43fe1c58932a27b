// storage/iceberg/transform.h: partition transforms (spec "Partition Transforms", Appendix B).
//
// Part of the Iceberg v2 model in storage/iceberg/; used by partition specs (partition.h) and
// sort orders (sort_order.h). A Transform is parsed from its JSON string ("identity",
// "bucket[16]", "truncate[10]", "year", "month", "day", "hour", "void"), knows its result type
// for a source type, applies itself to a Value, and renders a transformed value the way Java's
// Transform#toHumanString does (for Hive-style partition paths).
//
// Unknown transforms: the spec asks v1/v2 readers to ignore partition fields with unknown
// transforms rather than fail, so ParseTransformForRead keeps them as TransformKind::kUnknown
// (with the original text, so they round-trip). Writers must not use them: ApplyTransform and
// TransformResultType return Unimplemented for kUnknown.
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/iceberg/types.h"
#include "storage/iceberg/value.h"

namespace medlake::storage::iceberg {

enum class TransformKind {
  kIdentity,
  kBucket,    // param = N, number of buckets (> 0)
  kTruncate,  // param = W, width (> 0)
  kYear,
  kMonth,
  kDay,
  kHour,
  kVoid,
  kUnknown,  // a transform this code does not know; unknown_name holds its text
};

struct Transform {
  TransformKind kind = TransformKind::kIdentity;
  int32_t param = 0;
  std::string unknown_name;

  static Transform Identity() { return Transform{TransformKind::kIdentity, 0, {}}; }
  static Transform Bucket(int32_t n) { return Transform{TransformKind::kBucket, n, {}}; }
  static Transform Truncate(int32_t w) { return Transform{TransformKind::kTruncate, w, {}}; }
  static Transform Year() { return Transform{TransformKind::kYear, 0, {}}; }
  static Transform Month() { return Transform{TransformKind::kMonth, 0, {}}; }
  static Transform Day() { return Transform{TransformKind::kDay, 0, {}}; }
  static Transform Hour() { return Transform{TransformKind::kHour, 0, {}}; }
  static Transform Void() { return Transform{TransformKind::kVoid, 0, {}}; }

  bool operator==(const Transform& other) const {
    return kind == other.kind && param == other.param && unknown_name == other.unknown_name;
  }
  bool operator!=(const Transform& other) const { return !(*this == other); }
};

// Parses a known transform. InvalidArgument for an unknown name ("unknown partition transform")
// or a bad parameter ("bucket[0]", "truncate[x]", a number over 2^31-1).
Result<Transform> ParseTransform(std::string_view text);

// Like ParseTransform, but text that names no known transform becomes kUnknown (spec: readers
// ignore unknown transforms). A known transform with a bad parameter is still InvalidArgument.
Result<Transform> ParseTransformForRead(std::string_view text);

// The JSON string form: "identity", "bucket[16]", ...; the original text for kUnknown.
std::string TransformToString(const Transform& transform);

// The result type of `transform` on `source` (spec table "Partition Transforms"): identity,
// truncate and void keep the source type; bucket, year, month, day and hour give int.
// InvalidArgument if the transform does not accept the source type (e.g. hour on a date,
// identity on a struct); Unimplemented for kUnknown.
Result<Type> TransformResultType(const Transform& transform, const Type& source);

// Applies `transform` to `value` of type `source`. Null gives null (and void always does).
//   bucket[N]: (HashValue & Integer.MAX_VALUE) % N
//   truncate[W]: int/long v - (((v % W) + W) % W) with Java's two's-complement wrap-around;
//     decimal the same on the unscaled value (W at the value's scale); string the first W
//     Unicode code points; binary the first W bytes
//   year/month/day/hour: years/months/days/hours from 1970-01-01 (00:00 UTC), rounding down for
//     values before the epoch
// InvalidArgument if the transform does not accept `source` or `value` does not match it;
// Unimplemented for kUnknown.
Result<Value> ApplyTransform(const Transform& transform, const Type& source, const Value& value);

// The text Java's Transform#toHumanString gives for `transformed` (a value produced by
// ApplyTransform on `source`): "null" for null; year "2017", month "2017-11", day "2017-11-16",
// hour "2017-11-16-22"; identity/truncate by source type (date "2017-11-16", time "22:31:08",
// timestamp "2017-11-16T22:31:08", timestamptz "2017-11-16T22:31:08Z", fixed/binary base64,
// decimal as BigDecimal#toString, float/double as Java's Float/Double#toString); bucket the
// integer. InvalidArgument if the value does not match the transform's result type;
// Unimplemented for kUnknown.
Result<std::string> TransformHumanString(const Transform& transform, const Type& source,
                                         const Value& transformed);

}  // namespace medlake::storage::iceberg
