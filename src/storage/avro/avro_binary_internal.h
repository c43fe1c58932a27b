// storage/avro/avro_binary_internal.h: building blocks of the Avro binary encoding shared by
// avro_binary.cc and avro_container.cc. Not for use outside storage/avro.
//
// Thread-safety: objects of these classes are not shared between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/avro/avro_schema.h"
#include "storage/avro/avro_value.h"

namespace medlake::storage::internal {

// Reads Avro binary primitives from a borrowed byte range (which must outlive the cursor).
// Read functions return false on truncated or malformed input and record why; the position is
// then unspecified. No virtual calls, no allocation.
class AvroReadCursor {
 public:
  explicit AvroReadCursor(std::string_view data)
      : begin_(data.data()), pos_(data.data()), end_(data.data() + data.size()) {}

  size_t offset() const { return static_cast<size_t>(pos_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  bool at_end() const { return pos_ == end_; }

  bool ReadByte(uint8_t* out);
  // A zig-zag varint of at most 10 bytes.
  bool ReadLong(int64_t* out);
  // A zig-zag varint whose value fits in int32_t.
  bool ReadInt(int32_t* out);
  // A long length (>= 0, <= remaining()) followed by that many bytes; `out` points into the input.
  bool ReadBytes(std::string_view* out);
  // Exactly `n` bytes; `out` points into the input.
  bool ReadFixed(uint64_t n, std::string_view* out);
  // An array or map block count (Avro spec "Arrays"): a negative count is followed by the block's
  // byte size, which is checked against remaining() and otherwise ignored. Sets *count >= 0.
  bool ReadBlockCount(int64_t* count);

  // Why the last read failed ("truncated long") and where (offset of the failed item).
  const char* error() const { return error_; }
  size_t error_offset() const { return error_offset_; }
  // DataLoss("<prefix><error> at offset <error_offset>").
  Status ErrorStatus(std::string_view prefix) const;

 private:
  bool Fail(const char* why, const char* at) {
    error_ = why;
    error_offset_ = static_cast<size_t>(at - begin_);
    return false;
  }

  const char* begin_;
  const char* pos_;
  const char* end_;
  const char* error_ = "no error";
  size_t error_offset_ = 0;
};

// Decodes datums from a byte range with one value budget for all of them (see avro_binary.h).
class AvroDatumDecoder {
 public:
  // `data` is borrowed and must outlive the decoder.
  AvroDatumDecoder(std::string_view data, int64_t value_budget)
      : cursor_(data), budget_(value_budget) {}

  // Decodes one datum of `schema` into `*out`. Returns false on bad input; ErrorStatus() then
  // describes it.
  bool Decode(const AvroNode& schema, AvroValue* out);
  // DataLoss("avro: <prefix><what> at offset <n>") for the last failed Decode(), e.g. with prefix
  // "record 3 of block at offset 40: ". Offsets count from the start of the decoder's input.
  Status ErrorStatus(std::string_view prefix) const;

  const AvroReadCursor& cursor() const { return cursor_; }
  int64_t budget() const { return budget_; }

 private:
  // Returns false on failure, with the reason in cursor_ or error_.
  bool DecodeValue(const AvroNode& node, AvroValue* out, int depth);
  bool Fail(const char* why);

  AvroReadCursor cursor_;
  int64_t budget_;
  const char* error_ = nullptr;  // a schema-level failure; cursor_ holds input-level ones
  size_t error_offset_ = 0;
};

// The value budget for decoding `input_bytes` bytes.
int64_t AvroValueBudget(size_t input_bytes);

// Appends a zig-zag varint long; a long length followed by the bytes.
void AppendAvroLong(int64_t value, std::string* out);
void AppendAvroBytes(std::string_view bytes, std::string* out);

}  // namespace medlake::storage::internal
