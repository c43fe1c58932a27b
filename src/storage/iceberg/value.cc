#include "storage/iceberg/value.h"

#include <algorithm>

namespace medlake::storage::iceberg {
namespace {

// Number of decimal digits of |v| (1 for zero).
int DigitCount(Int128 v) {
  std::string s = Int128ToString(v);
  return static_cast<int>(s.size()) - (s[0] == '-' ? 1 : 0);
}

std::string HexBytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

}  // namespace

std::string Int128ToString(Int128 value) {
  if (value == 0)
    return "0";
  bool negative = value < 0;
  // Work on the unsigned magnitude so that the minimum value does not overflow.
  UInt128 magnitude = negative ? -static_cast<UInt128>(value) : static_cast<UInt128>(value);
  std::string digits;
  while (magnitude > 0) {
    digits += static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  }
  if (negative)
    digits += '-';
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::string MinimalBigEndianBytes(Int128 unscaled) {
  UInt128 bits = static_cast<UInt128>(unscaled);
  std::string full(16, '\0');
  for (int i = 15; i >= 0; --i) {
    full[static_cast<size_t>(i)] = static_cast<char>(static_cast<uint8_t>(bits & 0xFF));
    bits >>= 8;
  }
  // Drop leading bytes that only repeat the sign: 0x00 before a byte whose top bit is 0, or 0xff
  // before a byte whose top bit is 1.
  size_t start = 0;
  while (start < 15) {
    uint8_t b = static_cast<uint8_t>(full[start]);
    uint8_t next = static_cast<uint8_t>(full[start + 1]);
    if ((b == 0x00 && (next & 0x80) == 0) || (b == 0xFF && (next & 0x80) != 0)) {
      ++start;
    } else {
      break;
    }
  }
  return full.substr(start);
}

bool ValueMatchesType(const Value& value, const Type& type) {
  if (IsNull(value))
    return true;
  switch (type.id) {
    case TypeId::kBoolean:
      return std::holds_alternative<bool>(value);
    case TypeId::kInt:
    case TypeId::kDate:
      return std::holds_alternative<int32_t>(value);
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return std::holds_alternative<int64_t>(value);
    case TypeId::kFloat:
      return std::holds_alternative<float>(value);
    case TypeId::kDouble:
      return std::holds_alternative<double>(value);
    case TypeId::kDecimal: {
      const Decimal* d = std::get_if<Decimal>(&value);
      return d != nullptr && d->scale == type.scale && DigitCount(d->unscaled) <= type.precision;
    }
    case TypeId::kString:
      return std::holds_alternative<std::string>(value);
    case TypeId::kUuid:
      return std::holds_alternative<medlake::Uuid>(value);
    case TypeId::kFixed: {
      const FixedBytes* f = std::get_if<FixedBytes>(&value);
      return f != nullptr && f->bytes.size() == static_cast<size_t>(type.length);
    }
    case TypeId::kBinary:
      return std::holds_alternative<BinaryBytes>(value);
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      return false;
  }
  return false;
}

Result<Decimal> ParseDecimal(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  Decimal out;
  int digits = 0;
  bool seen_point = false;
  bool seen_digit = false;
  for (char c : s) {
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9')
      return InvalidArgument("malformed decimal literal");
    seen_digit = true;
    if (digits > 0 || c != '0')
      ++digits;
    if (digits > 38)
      return InvalidArgument("decimal literal has more than 38 digits");
    out.unscaled = out.unscaled * 10 + (c - '0');
    if (seen_point)
      ++out.scale;
  }
  if (!seen_digit)
    return InvalidArgument("malformed decimal literal");
  if (negative)
    out.unscaled = -out.unscaled;
  return out;
}

std::string DecimalToString(const Decimal& value) {
  std::string digits = Int128ToString(value.unscaled);
  bool negative = digits[0] == '-';
  if (negative)
    digits.erase(0, 1);
  if (value.scale > 0) {
    size_t scale = static_cast<size_t>(value.scale);
    if (digits.size() <= scale)
      digits.insert(0, scale - digits.size() + 1, '0');
    digits.insert(digits.size() - scale, ".");
  } else if (value.scale < 0 && value.unscaled != 0) {
    digits.append(static_cast<size_t>(-value.scale), '0');
  }
  return negative ? "-" + digits : digits;
}

std::string DecimalToJavaString(const Decimal& value) {
  // java.math.BigDecimal#toString: plain notation when scale >= 0 and the adjusted exponent
  // (-scale + digits - 1) is >= -6; otherwise one digit, optional fraction, "E", signed exponent.
  std::string digits = Int128ToString(value.unscaled);
  bool negative = digits[0] == '-';
  if (negative)
    digits.erase(0, 1);
  int64_t adjusted = -static_cast<int64_t>(value.scale) + static_cast<int64_t>(digits.size()) - 1;
  if (value.scale >= 0 && adjusted >= -6)
    return DecimalToString(value);
  std::string out = negative ? "-" : "";
  out += digits[0];
  if (digits.size() > 1)
    out += "." + digits.substr(1);
  out += "E";
  if (adjusted >= 0)
    out += "+";
  out += std::to_string(adjusted);
  return out;
}

std::string ValueToDebugString(const Value& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "null"; }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(int32_t v) const { return std::to_string(v); }
    std::string operator()(int64_t v) const { return std::to_string(v) + "L"; }
    std::string operator()(float v) const { return std::to_string(v) + "F"; }
    std::string operator()(double v) const { return std::to_string(v) + "D"; }
    std::string operator()(const std::string& v) const { return "\"" + v + "\""; }
    std::string operator()(const Decimal& v) const { return DecimalToString(v) + "BD"; }
    std::string operator()(const medlake::Uuid& v) const { return v.ToString(); }
    std::string operator()(const FixedBytes& v) const { return "fixed:" + HexBytes(v.bytes); }
    std::string operator()(const BinaryBytes& v) const { return "binary:" + HexBytes(v.bytes); }
  };
  return std::visit(Visitor{}, value);
}

}  // namespace medlake::storage::iceberg
