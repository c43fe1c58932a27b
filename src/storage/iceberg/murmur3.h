// storage/iceberg/murmur3.h: the 32-bit hash of Iceberg values (spec Appendix B).
//
// Part of the Iceberg v2 model in storage/iceberg/; the bucket[N] transform (transform.h) is
// built on HashValue. The hash is 32-bit Murmur3, x86 variant, seed 0, returned as a signed
// 32-bit integer like Java's.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "storage/iceberg/types.h"
#include "storage/iceberg/value.h"

namespace medlake::storage::iceberg {

// MurmurHash3_x86_32 of `bytes` with seed 0, as a Java int.
int32_t Murmur3Hash32(std::string_view bytes);

// The Appendix B hash of a non-null `value` of primitive `type`:
//   int, long, date, time, timestamp, timestamptz: hash of the value as an 8-byte little-endian
//     long (ints and dates widened, so promotion int -> long keeps hashes);
//   decimal: hash of the minimal big-endian two's-complement bytes of the unscaled value;
//   string: UTF-8 bytes; uuid: 16 big-endian bytes; fixed, binary: the bytes;
//   boolean (0/1 as int), float and double (as the double's IEEE bits, -0.0 and NaN canonical):
//     the spec's table for types not valid for bucketing.
// InvalidArgument if `value` is null, does not match `type`, or `type` is nested.
Result<int32_t> HashValue(const Type& type, const Value& value);

}  // namespace medlake::storage::iceberg
