// storage/iceberg/single_value.h: binary single-value serialization (spec Appendix D), the
// encoding of lower/upper bounds in manifests and of partition summaries in manifest lists.
//
// Part of the Iceberg v2 model in storage/iceberg/. Encodings by type:
//   boolean      1 byte: 0x00 false, 0x01 true (any non-zero byte reads as true)
//   int, date    4-byte little-endian (date: days from 1970-01-01)
//   long, time, timestamp, timestamptz   8-byte little-endian (micros)
//   float, double                        4 / 8-byte little-endian IEEE 754
//   string       UTF-8 bytes, no length;  binary: the bytes;  fixed[L]: the L bytes
//   uuid         16 bytes, big-endian
//   decimal      the unscaled value as minimal two's-complement big-endian bytes
// Decoding also accepts the widths a promoted column's old bounds keep (spec "Schema Evolution"):
// 4 bytes for a long (written as int) or double (written as float), and 4 bytes for a timestamp
// (written as date, days), and any shorter decimal.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/iceberg/types.h"
#include "storage/iceberg/value.h"

namespace medlake::storage::iceberg {

// Encodes a non-null `value` of primitive `type`. InvalidArgument if `value` is null, does not
// match `type` (see ValueMatchesType), or `type` is nested.
Result<std::string> SerializeSingleValue(const Type& type, const Value& value);

// Decodes `bytes` as a value of primitive `type` (the current column type; see the promotion
// note above). DataLoss if the length is impossible for the type (e.g. 3 bytes for an int, an
// empty decimal, a decimal over 16 bytes, a uuid that is not 16 bytes, fixed[L] not L bytes);
// InvalidArgument if `type` is nested.
Result<Value> DeserializeSingleValue(const Type& type, std::string_view bytes);

}  // namespace medlake::storage::iceberg
