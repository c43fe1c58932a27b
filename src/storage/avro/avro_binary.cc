#include "storage/avro/avro_binary.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "storage/avro/avro_binary_internal.h"

namespace medlake::storage {
namespace internal {

// ---- AvroReadCursor ----

bool AvroReadCursor::ReadByte(uint8_t* out) {
  if (pos_ == end_)
    return Fail("truncated byte", pos_);
  *out = static_cast<uint8_t>(*pos_++);
  return true;
}

bool AvroReadCursor::ReadLong(int64_t* out) {
  // Avro spec "Primitive Types": variable-length zig-zag coding, 7 bits per byte, low bits first.
  const char* start = pos_;
  uint64_t raw = 0;
  for (int shift = 0;; shift += 7) {
    if (pos_ == end_)
      return Fail("truncated long", start);
    auto b = static_cast<uint8_t>(*pos_++);
    if (shift == 63 && b > 1)
      return Fail("overlong varint", start);
    raw |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0)
      break;
  }
  *out = static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
  return true;
}

bool AvroReadCursor::ReadInt(int32_t* out) {
  const char* start = pos_;
  int64_t v = 0;
  if (!ReadLong(&v))
    return false;
  if (v < INT32_MIN || v > INT32_MAX)
    return Fail("int out of range", start);
  *out = static_cast<int32_t>(v);
  return true;
}

bool AvroReadCursor::ReadBytes(std::string_view* out) {
  const char* start = pos_;
  int64_t n = 0;
  if (!ReadLong(&n))
    return false;
  if (n < 0)
    return Fail("negative length", start);
  if (static_cast<uint64_t>(n) > remaining())
    return Fail("length exceeds the input", start);
  *out = std::string_view(pos_, static_cast<size_t>(n));
  pos_ += n;
  return true;
}

bool AvroReadCursor::ReadFixed(uint64_t n, std::string_view* out) {
  if (n > remaining())
    return Fail("truncated fixed-size value", pos_);
  *out = std::string_view(pos_, static_cast<size_t>(n));
  pos_ += n;
  return true;
}

bool AvroReadCursor::ReadBlockCount(int64_t* count) {
  const char* start = pos_;
  int64_t c = 0;
  if (!ReadLong(&c))
    return false;
  if (c < 0) {
    if (c == INT64_MIN)
      return Fail("invalid block count", start);
    c = -c;
    int64_t size = 0;
    if (!ReadLong(&size))
      return false;
    if (size < 0 || static_cast<uint64_t>(size) > remaining()) {
      return Fail("block byte size exceeds the input", start);
    }
  }
  *count = c;
  return true;
}

Status AvroReadCursor::ErrorStatus(std::string_view prefix) const {
  return DataLoss("avro: " + std::string(prefix) + error_ + " at offset " +
                  std::to_string(error_offset_));
}

// ---- AvroDatumDecoder ----

int64_t AvroValueBudget(size_t input_bytes) {
  const auto max_bytes =
      static_cast<size_t>((INT64_MAX - kAvroValueBudgetBase) / kAvroValuesPerInputByte);
  return kAvroValueBudgetBase +
         kAvroValuesPerInputByte * static_cast<int64_t>(std::min(input_bytes, max_bytes));
}

bool AvroDatumDecoder::Fail(const char* why) {
  error_ = why;
  error_offset_ = cursor_.offset();
  return false;
}

bool AvroDatumDecoder::Decode(const AvroNode& schema, AvroValue* out) {
  error_ = nullptr;
  return DecodeValue(schema, out, 0);
}

Status AvroDatumDecoder::ErrorStatus(std::string_view prefix) const {
  if (error_ == nullptr)
    return cursor_.ErrorStatus(prefix);
  return DataLoss("avro: " + std::string(prefix) + error_ + " at offset " +
                  std::to_string(error_offset_));
}

bool AvroDatumDecoder::DecodeValue(const AvroNode& node, AvroValue* out, int depth) {
  if (depth > kAvroMaxDepth)
    return Fail("values nested too deeply");
  if (--budget_ < 0)
    return Fail("datum expands to too many values");
  switch (node.type) {
    case AvroType::kNull:
      *out = AvroValue::Null();
      return true;
    case AvroType::kBoolean: {
      uint8_t b = 0;
      if (!cursor_.ReadByte(&b))
        return false;
      if (b > 1)
        return Fail("invalid boolean byte");
      *out = AvroValue::Boolean(b == 1);
      return true;
    }
    case AvroType::kInt: {
      int32_t v = 0;
      if (!cursor_.ReadInt(&v))
        return false;
      *out = AvroValue::Int(v);
      return true;
    }
    case AvroType::kLong: {
      int64_t v = 0;
      if (!cursor_.ReadLong(&v))
        return false;
      *out = AvroValue::Long(v);
      return true;
    }
    case AvroType::kFloat: {
      // Avro spec: 4 bytes, little-endian IEEE 754.
      std::string_view raw;
      if (!cursor_.ReadFixed(4, &raw))
        return false;
      uint32_t bits = 0;
      for (int i = 3; i >= 0; --i)
        bits = (bits << 8) | static_cast<uint8_t>(raw[static_cast<size_t>(i)]);
      float f = 0;
      std::memcpy(&f, &bits, sizeof(f));
      *out = AvroValue::Float(f);
      return true;
    }
    case AvroType::kDouble: {
      std::string_view raw;
      if (!cursor_.ReadFixed(8, &raw))
        return false;
      uint64_t bits = 0;
      for (int i = 7; i >= 0; --i)
        bits = (bits << 8) | static_cast<uint8_t>(raw[static_cast<size_t>(i)]);
      double d = 0;
      std::memcpy(&d, &bits, sizeof(d));
      *out = AvroValue::Double(d);
      return true;
    }
    case AvroType::kBytes:
    case AvroType::kString: {
      std::string_view raw;
      if (!cursor_.ReadBytes(&raw))
        return false;
      *out = node.type == AvroType::kBytes ? AvroValue::Bytes(std::string(raw))
                                           : AvroValue::String(std::string(raw));
      return true;
    }
    case AvroType::kFixed: {
      std::string_view raw;
      if (node.size < 0)
        return Fail("invalid schema: negative fixed size");
      if (!cursor_.ReadFixed(static_cast<uint64_t>(node.size), &raw))
        return false;
      *out = AvroValue::Fixed(std::string(raw));
      return true;
    }
    case AvroType::kEnum: {
      size_t at = cursor_.offset();
      int32_t index = 0;
      if (!cursor_.ReadInt(&index))
        return false;
      if (index < 0 || static_cast<size_t>(index) >= node.symbols.size()) {
        error_offset_ = at;
        error_ = "enum index out of range";
        return false;
      }
      *out = AvroValue::Enum(index);
      return true;
    }
    case AvroType::kUnion: {
      size_t at = cursor_.offset();
      int64_t index = 0;
      if (!cursor_.ReadLong(&index))
        return false;
      if (index < 0 || static_cast<uint64_t>(index) >= node.branches.size()) {
        error_offset_ = at;
        error_ = "union index out of range";
        return false;
      }
      const AvroNode* branch = node.branches[static_cast<size_t>(index)];
      if (branch == nullptr)
        return Fail("invalid schema: missing union branch");
      *out = AvroValue::Union(static_cast<int32_t>(index), AvroValue());
      return DecodeValue(*branch, out->mutable_branch_value(), depth + 1);
    }
    case AvroType::kRecord: {
      *out = AvroValue::Record({});
      std::vector<AvroValue>* fields = out->mutable_fields();
      fields->resize(node.fields.size());
      for (size_t i = 0; i < node.fields.size(); ++i) {
        const AvroNode* type = node.fields[i].type;
        if (type == nullptr)
          return Fail("invalid schema: field without type");
        if (!DecodeValue(*type, &(*fields)[i], depth + 1))
          return false;
      }
      return true;
    }
    case AvroType::kArray: {
      if (node.items == nullptr)
        return Fail("invalid schema: array without items");
      *out = AvroValue::Array({});
      std::vector<AvroValue>* items = out->mutable_items();
      for (;;) {
        int64_t count = 0;
        if (!cursor_.ReadBlockCount(&count))
          return false;
        if (count == 0)
          break;
        if (count > budget_)
          return Fail("array block count exceeds what the input can hold");
        // Each item takes budget; reserving at most one slot per input byte keeps a lying count
        // from allocating much.
        items->reserve(items->size() + static_cast<size_t>(std::min<uint64_t>(
                                           static_cast<uint64_t>(count), cursor_.remaining() + 1)));
        for (int64_t i = 0; i < count; ++i) {
          items->emplace_back();
          if (!DecodeValue(*node.items, &items->back(), depth + 1))
            return false;
        }
      }
      return true;
    }
    case AvroType::kMap: {
      if (node.values == nullptr)
        return Fail("invalid schema: map without values");
      *out = AvroValue::Map({});
      std::vector<AvroValue::MapEntry>* entries = out->mutable_entries();
      for (;;) {
        int64_t count = 0;
        if (!cursor_.ReadBlockCount(&count))
          return false;
        if (count == 0)
          break;
        // Every entry holds a key of at least one byte (its length).
        if (static_cast<uint64_t>(count) > cursor_.remaining()) {
          return Fail("map block count exceeds the input");
        }
        entries->reserve(entries->size() + static_cast<size_t>(count));
        for (int64_t i = 0; i < count; ++i) {
          std::string_view key;
          if (!cursor_.ReadBytes(&key))
            return false;
          entries->emplace_back(std::string(key), AvroValue());
          if (!DecodeValue(*node.values, &entries->back().second, depth + 1))
            return false;
        }
      }
      return true;
    }
  }
  return Fail("invalid schema: unknown type");
}

// ---- encoding primitives ----

void AppendAvroLong(int64_t value, std::string* out) {
  uint64_t z = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  char buf[10];
  size_t n = 0;
  while (z >= 0x80) {
    buf[n++] = static_cast<char>((z & 0x7F) | 0x80);
    z >>= 7;
  }
  buf[n++] = static_cast<char>(z);
  out->append(buf, n);
}

void AppendAvroBytes(std::string_view bytes, std::string* out) {
  AppendAvroLong(static_cast<int64_t>(bytes.size()), out);
  out->append(bytes);
}

}  // namespace internal

namespace {

using internal::AppendAvroBytes;
using internal::AppendAvroLong;

void AppendLittleEndian(uint64_t bits, int n, std::string* out) {
  char buf[8];
  for (int i = 0; i < n; ++i)
    buf[i] = static_cast<char>((bits >> (8 * i)) & 0xFF);
  out->append(buf, static_cast<size_t>(n));
}

class DatumEncoder {
 public:
  explicit DatumEncoder(std::string* out) : out_(out) {}

  Status Encode(const AvroNode& node, const AvroValue& value, int depth) {
    if (depth > kAvroMaxDepth)
      return Error("values nested too deeply");
    if (node.type == AvroType::kUnion)
      return EncodeUnion(node, value, depth);
    if (value.type() != node.type) {
      return Error("expected " + std::string(AvroTypeName(node.type)) + ", got " +
                   std::string(AvroTypeName(value.type())));
    }
    switch (node.type) {
      case AvroType::kNull:
        return Status::OK();
      case AvroType::kBoolean:
        out_->push_back(value.bool_value() ? '\1' : '\0');
        return Status::OK();
      case AvroType::kInt:
        AppendAvroLong(value.int_value(), out_);
        return Status::OK();
      case AvroType::kLong:
        AppendAvroLong(value.long_value(), out_);
        return Status::OK();
      case AvroType::kFloat: {
        float f = value.float_value();
        uint32_t bits = 0;
        std::memcpy(&bits, &f, sizeof(bits));
        AppendLittleEndian(bits, 4, out_);
        return Status::OK();
      }
      case AvroType::kDouble: {
        double d = value.double_value();
        uint64_t bits = 0;
        std::memcpy(&bits, &d, sizeof(bits));
        AppendLittleEndian(bits, 8, out_);
        return Status::OK();
      }
      case AvroType::kBytes:
      case AvroType::kString:
        AppendAvroBytes(value.bytes_value(), out_);
        return Status::OK();
      case AvroType::kFixed:
        if (static_cast<int64_t>(value.bytes_value().size()) != node.size) {
          return Error("fixed value of " + std::to_string(value.bytes_value().size()) +
                       " bytes, schema says " + std::to_string(node.size));
        }
        out_->append(value.bytes_value());
        return Status::OK();
      case AvroType::kEnum:
        if (value.enum_index() < 0 ||
            static_cast<size_t>(value.enum_index()) >= node.symbols.size()) {
          return Error("enum index " + std::to_string(value.enum_index()) + " out of range");
        }
        AppendAvroLong(value.enum_index(), out_);
        return Status::OK();
      case AvroType::kRecord: {
        if (value.fields().size() != node.fields.size()) {
          return Error("record value has " + std::to_string(value.fields().size()) +
                       " fields, schema has " + std::to_string(node.fields.size()));
        }
        for (size_t i = 0; i < node.fields.size(); ++i) {
          path_.push_back(node.fields[i].name);
          if (node.fields[i].type == nullptr)
            return Error("invalid schema: field without type");
          MEDLAKE_RETURN_IF_ERROR(Encode(*node.fields[i].type, value.fields()[i], depth + 1));
          path_.pop_back();
        }
        return Status::OK();
      }
      case AvroType::kArray: {
        if (node.items == nullptr)
          return Error("invalid schema: array without items");
        const auto& items = value.items();
        if (!items.empty()) {
          AppendAvroLong(static_cast<int64_t>(items.size()), out_);
          path_.push_back("[]");
          for (const AvroValue& item : items) {
            MEDLAKE_RETURN_IF_ERROR(Encode(*node.items, item, depth + 1));
          }
          path_.pop_back();
        }
        AppendAvroLong(0, out_);
        return Status::OK();
      }
      case AvroType::kMap: {
        if (node.values == nullptr)
          return Error("invalid schema: map without values");
        const auto& entries = value.entries();
        if (!entries.empty()) {
          AppendAvroLong(static_cast<int64_t>(entries.size()), out_);
          path_.push_back("{}");
          for (const auto& [key, v] : entries) {
            AppendAvroBytes(key, out_);
            MEDLAKE_RETURN_IF_ERROR(Encode(*node.values, v, depth + 1));
          }
          path_.pop_back();
        }
        AppendAvroLong(0, out_);
        return Status::OK();
      }
      case AvroType::kUnion:
        break;  // handled above
    }
    return Error("invalid schema: unknown type");
  }

 private:
  Status EncodeUnion(const AvroNode& node, const AvroValue& value, int depth) {
    int branch = 0;
    const AvroValue* inner = &value;
    if (value.type() == AvroType::kUnion) {
      branch = value.branch();
      inner = &value.branch_value();
      if (branch < 0 || static_cast<size_t>(branch) >= node.branches.size()) {
        return Error("union branch " + std::to_string(branch) + " out of range");
      }
    } else {
      branch = node.FindBranch(value.type());
      if (branch < 0) {
        return Error("union has no branch of type " + std::string(AvroTypeName(value.type())));
      }
    }
    const AvroNode* type = node.branches[static_cast<size_t>(branch)];
    if (type == nullptr)
      return Error("invalid schema: missing union branch");
    AppendAvroLong(branch, out_);
    return Encode(*type, *inner, depth + 1);
  }

  Status Error(const std::string& what) const {
    std::string path;
    for (std::string_view p : path_) {
      if (!path.empty() && p != "[]" && p != "{}")
        path += '.';
      path += p;
    }
    return InvalidArgument("avro: cannot encode " +
                           (path.empty() ? std::string("value") : "field '" + path + "'") + ": " +
                           what);
  }

  std::string* out_;
  std::vector<std::string_view> path_;
};

}  // namespace

Status EncodeAvroDatum(const AvroNode& schema, const AvroValue& value, std::string* out) {
  const size_t original_size = out->size();
  DatumEncoder encoder(out);
  Status s = encoder.Encode(schema, value, 0);
  if (!s.ok())
    out->resize(original_size);
  return s;
}

Result<AvroValue> DecodeAvroDatum(const AvroNode& schema, std::string_view* input) {
  internal::AvroDatumDecoder decoder(*input, internal::AvroValueBudget(input->size()));
  AvroValue value;
  if (!decoder.Decode(schema, &value))
    return decoder.ErrorStatus("");
  input->remove_prefix(decoder.cursor().offset());
  return value;
}

}  // namespace medlake::storage
