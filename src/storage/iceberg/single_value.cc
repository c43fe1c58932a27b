#include "storage/iceberg/single_value.h"

#include <array>
#include <cstring>

namespace medlake::storage::iceberg {
namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000LL;

template <typename U>
std::string LittleEndian(U bits) {
  std::string out(sizeof(U), '\0');
  for (size_t i = 0; i < sizeof(U); ++i) {
    out[i] = static_cast<char>(static_cast<uint8_t>(bits >> (8 * i)));
  }
  return out;
}

template <typename U>
U ReadLittleEndian(std::string_view bytes) {
  U v = 0;
  for (size_t i = 0; i < sizeof(U); ++i) {
    v |= static_cast<U>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  }
  return v;
}

int32_t ReadInt32(std::string_view b) {
  return static_cast<int32_t>(ReadLittleEndian<uint32_t>(b));
}
int64_t ReadInt64(std::string_view b) {
  return static_cast<int64_t>(ReadLittleEndian<uint64_t>(b));
}

float ReadFloat(std::string_view b) {
  uint32_t bits = ReadLittleEndian<uint32_t>(b);
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

double ReadDouble(std::string_view b) {
  uint64_t bits = ReadLittleEndian<uint64_t>(b);
  double d;
  std::memcpy(&d, &bits, sizeof(d));
  return d;
}

Status BadLength(const Type& type, size_t size) {
  return DataLoss("single value of type " + TypeToString(type) + " cannot be " +
                  std::to_string(size) + " bytes long");
}

}  // namespace

Result<std::string> SerializeSingleValue(const Type& type, const Value& value) {
  if (!type.is_primitive()) {
    return InvalidArgument("type " + TypeToString(type) + " has no single-value serialization");
  }
  if (IsNull(value))
    return InvalidArgument("null has no single-value serialization");
  if (!ValueMatchesType(value, type)) {
    return InvalidArgument("value does not match type " + TypeToString(type));
  }
  switch (type.id) {
    case TypeId::kBoolean:
      return std::string(1, std::get<bool>(value) ? '\x01' : '\x00');
    case TypeId::kInt:
    case TypeId::kDate:
      return LittleEndian(static_cast<uint32_t>(std::get<int32_t>(value)));
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return LittleEndian(static_cast<uint64_t>(std::get<int64_t>(value)));
    case TypeId::kFloat: {
      uint32_t bits;
      float f = std::get<float>(value);
      std::memcpy(&bits, &f, sizeof(bits));
      return LittleEndian(bits);
    }
    case TypeId::kDouble: {
      uint64_t bits;
      double d = std::get<double>(value);
      std::memcpy(&bits, &d, sizeof(bits));
      return LittleEndian(bits);
    }
    case TypeId::kDecimal:
      return MinimalBigEndianBytes(std::get<Decimal>(value).unscaled);
    case TypeId::kString:
      return std::get<std::string>(value);
    case TypeId::kUuid: {
      const auto& b = std::get<medlake::Uuid>(value).bytes();
      return std::string(reinterpret_cast<const char*>(b.data()), b.size());
    }
    case TypeId::kFixed:
      return std::get<FixedBytes>(value).bytes;
    case TypeId::kBinary:
      return std::get<BinaryBytes>(value).bytes;
    default:
      break;
  }
  return InvalidArgument("type " + TypeToString(type) + " has no single-value serialization");
}

Result<Value> DeserializeSingleValue(const Type& type, std::string_view bytes) {
  const size_t n = bytes.size();
  switch (type.id) {
    case TypeId::kBoolean:
      if (n != 1)
        return BadLength(type, n);
      return Value(bytes[0] != 0);
    case TypeId::kInt:
    case TypeId::kDate:
      if (n != 4)
        return BadLength(type, n);
      return Value(ReadInt32(bytes));
    case TypeId::kLong:
      // A long promoted from int keeps 4-byte bounds.
      if (n == 4)
        return Value(static_cast<int64_t>(ReadInt32(bytes)));
      if (n != 8)
        return BadLength(type, n);
      return Value(ReadInt64(bytes));
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      // A timestamp promoted from date (v3) keeps 4-byte day bounds.
      if (n == 4)
        return Value(static_cast<int64_t>(ReadInt32(bytes)) * kMicrosPerDay);
      [[fallthrough]];
    case TypeId::kTime:
      if (n != 8)
        return BadLength(type, n);
      return Value(ReadInt64(bytes));
    case TypeId::kFloat:
      if (n != 4)
        return BadLength(type, n);
      return Value(ReadFloat(bytes));
    case TypeId::kDouble:
      // A double promoted from float keeps 4-byte bounds.
      if (n == 4)
        return Value(static_cast<double>(ReadFloat(bytes)));
      if (n != 8)
        return BadLength(type, n);
      return Value(ReadDouble(bytes));
    case TypeId::kDecimal: {
      if (n == 0 || n > 16)
        return BadLength(type, n);
      // Sign-extend the big-endian two's-complement bytes into 128 bits.
      UInt128 bits = (static_cast<uint8_t>(bytes[0]) & 0x80) ? ~UInt128{0} : UInt128{0};
      for (char c : bytes)
        bits = (bits << 8) | static_cast<uint8_t>(c);
      Decimal d;
      d.unscaled = static_cast<Int128>(bits);
      d.scale = type.scale;
      return Value(d);
    }
    case TypeId::kString:
      return Value(std::string(bytes));
    case TypeId::kUuid: {
      if (n != 16)
        return BadLength(type, n);
      std::array<uint8_t, 16> b{};
      std::memcpy(b.data(), bytes.data(), 16);
      return Value(medlake::Uuid(b));
    }
    case TypeId::kFixed:
      if (n != static_cast<size_t>(type.length))
        return BadLength(type, n);
      return Value(FixedBytes{std::string(bytes)});
    case TypeId::kBinary:
      return Value(BinaryBytes{std::string(bytes)});
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      break;
  }
  return InvalidArgument("type " + TypeToString(type) + " has no single-value serialization");
}

}  // namespace medlake::storage::iceberg
