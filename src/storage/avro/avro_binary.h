// storage/avro/avro_binary.h: the Avro binary encoding of single datums (Avro 1.11 specification,
// "Binary Encoding").
//
// Part of storage's Avro codec (storage/avro/README.md). Object container files, which frame many
// datums with a header and sync markers, are in avro_container.h.
//
// The decoder treats its input as untrusted: truncated or malformed bytes give DataLoss, never a
// crash; no length or count field makes it allocate more than a small multiple of the input size
// (see kAvroValuesPerInputByte), and nesting is capped at kAvroMaxDepth.
//
// Thread-safety: the functions are thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/avro/avro_schema.h"
#include "storage/avro/avro_value.h"

namespace medlake::storage {

// Values nested deeper than this (records in arrays in unions ...) are rejected when decoding and
// encoding. Iceberg manifests nest about 6 levels.
inline constexpr int kAvroMaxDepth = 100;
// A decoder may create at most kAvroValueBudgetBase + kAvroValuesPerInputByte * (input bytes)
// values. This bounds memory for schemas whose values can take zero bytes (null, empty records)
// against huge array block counts. Real data stays far below it.
inline constexpr int64_t kAvroValueBudgetBase = 4096;
inline constexpr int64_t kAvroValuesPerInputByte = 16;

// Appends the binary encoding of `value`, a datum of `schema`, to `*out`.
// A union schema accepts a union value, or a plain value that is then written in the first branch
// of its type. InvalidArgument when the value does not match the schema (wrong tag, enum or union
// index out of range, fixed of the wrong size, nesting too deep); the message names the field
// path. On error `*out` keeps its original contents.
Status EncodeAvroDatum(const AvroNode& schema, const AvroValue& value, std::string* out);

// Decodes one datum of `schema` from the front of `*input` and, on success, advances `*input`
// past it. DataLoss for truncated or malformed input ("avro: truncated long at offset 12",
// "avro: union index 7 out of range at offset 3", ...; offsets count from the front of `*input`);
// `*input` is unchanged then. The result owns its data (it does not point into `*input`).
Result<AvroValue> DecodeAvroDatum(const AvroNode& schema, std::string_view* input);

}  // namespace medlake::storage
