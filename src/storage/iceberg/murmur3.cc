#include "storage/iceberg/murmur3.h"

#include <bit>
#include <cstring>
#include <string>

namespace medlake::storage::iceberg {
namespace {

constexpr uint32_t kC1 = 0xcc9e2d51;
constexpr uint32_t kC2 = 0x1b873593;

uint32_t MixKey(uint32_t k) {
  k *= kC1;
  k = std::rotl(k, 15);
  k *= kC2;
  return k;
}

// The final avalanche step ("fmix32").
uint32_t Finalize(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

int32_t HashLong(int64_t v) {
  // Appendix B: hashBytes(littleEndianBytes(v)).
  uint64_t bits = static_cast<uint64_t>(v);
  char bytes[8];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<char>(static_cast<uint8_t>(bits >> (8 * i)));
  }
  return Murmur3Hash32(std::string_view(bytes, 8));
}

int32_t HashDoubleBits(double v) {
  // Appendix B note 5: canonical NaN and +0.0 before taking the bits.
  uint64_t bits;
  if (v != v) {
    bits = 0x7ff8000000000000ULL;
  } else {
    if (v == 0.0)
      v = 0.0;
    std::memcpy(&bits, &v, sizeof(bits));
  }
  return HashLong(static_cast<int64_t>(bits));
}

}  // namespace

int32_t Murmur3Hash32(std::string_view bytes) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t len = bytes.size();
  const size_t blocks = len / 4;
  uint32_t h = 0;  // seed 0
  for (size_t i = 0; i < blocks; ++i) {
    const uint8_t* p = data + 4 * i;
    uint32_t k = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                 (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
    h ^= MixKey(k);
    h = std::rotl(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  // The 1-3 trailing bytes, little-endian.
  const uint8_t* tail = data + 4 * blocks;
  const size_t rest = len & 3;
  if (rest > 0) {
    uint32_t k = 0;
    for (size_t i = rest; i > 0; --i)
      k = (k << 8) | tail[i - 1];
    h ^= MixKey(k);
  }
  h ^= static_cast<uint32_t>(len);
  return static_cast<int32_t>(Finalize(h));
}

Result<int32_t> HashValue(const Type& type, const Value& value) {
  if (IsNull(value))
    return InvalidArgument("null values have no hash");
  if (!ValueMatchesType(value, type)) {
    return InvalidArgument("value does not match type " + TypeToString(type));
  }
  switch (type.id) {
    case TypeId::kBoolean:
      return HashLong(std::get<bool>(value) ? 1 : 0);
    case TypeId::kInt:
    case TypeId::kDate:
      return HashLong(std::get<int32_t>(value));
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return HashLong(std::get<int64_t>(value));
    case TypeId::kFloat:
      return HashDoubleBits(static_cast<double>(std::get<float>(value)));
    case TypeId::kDouble:
      return HashDoubleBits(std::get<double>(value));
    case TypeId::kDecimal:
      return Murmur3Hash32(MinimalBigEndianBytes(std::get<Decimal>(value).unscaled));
    case TypeId::kString:
      return Murmur3Hash32(std::get<std::string>(value));
    case TypeId::kUuid: {
      const auto& b = std::get<medlake::Uuid>(value).bytes();
      return Murmur3Hash32(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    }
    case TypeId::kFixed:
      return Murmur3Hash32(std::get<FixedBytes>(value).bytes);
    case TypeId::kBinary:
      return Murmur3Hash32(std::get<BinaryBytes>(value).bytes);
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      break;
  }
  return InvalidArgument("nested type " + TypeToString(type) + " has no hash");
}

}  // namespace medlake::storage::iceberg
