#include "storage/iceberg/transform.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <system_error>

#include "storage/iceberg/murmur3.h"

namespace medlake::storage::iceberg {
namespace {

constexpr int64_t kMicrosPerHour = 3'600'000'000LL;
constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}

int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

// Java narrows long to int by keeping the low 32 bits; so do we (well-defined since C++20).
int32_t WrapToInt32(int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

CivilDate CivilFromDays(int64_t days) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  return CivilDate{static_cast<int>(ymd.year()),
                   static_cast<int>(static_cast<unsigned>(ymd.month())),
                   static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

// ---- Java text forms ----

std::string PadNumber(int64_t v, int width) {
  // Like Java's String.format("%0<width>d"): the sign counts toward the width.
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string sign = v < 0 ? "-" : "";
  int pad = width - static_cast<int>(sign.size() + digits.size());
  return sign + std::string(pad > 0 ? static_cast<size_t>(pad) : 0, '0') + digits;
}

// TransformUtil.humanDay: String.format("%04d-%02d-%02d", ...).
std::string HumanDay(int64_t days) {
  CivilDate d = CivilFromDays(days);
  return PadNumber(d.year, 4) + "-" + PadNumber(d.month, 2) + "-" + PadNumber(d.day, 2);
}

// java.time.LocalDate#toString: 4-digit year with sign for negatives, '+' above 9999.
std::string JavaLocalDate(int64_t days) {
  CivilDate d = CivilFromDays(days);
  std::string year;
  if (d.year > -1000 && d.year < 1000) {
    year = PadNumber(d.year < 0 ? -d.year : d.year, 4);
    if (d.year < 0)
      year = "-" + year;
  } else {
    year = (d.year > 9999 ? "+" : "") + std::to_string(d.year);
  }
  return year + "-" + PadNumber(d.month, 2) + "-" + PadNumber(d.day, 2);
}

// java.time.LocalTime#toString: HH:mm, then :ss if seconds or fraction are non-zero, then the
// fraction in groups of 3 digits (millis, micros or nanos).
std::string JavaLocalTime(int64_t micros_of_day) {
  int64_t total_seconds = micros_of_day / 1'000'000;
  int64_t micros = micros_of_day % 1'000'000;
  int64_t hour = total_seconds / 3600;
  int64_t minute = (total_seconds / 60) % 60;
  int64_t second = total_seconds % 60;
  std::string out = PadNumber(hour, 2) + ":" + PadNumber(minute, 2);
  if (second > 0 || micros > 0) {
    out += ":" + PadNumber(second, 2);
    if (micros > 0) {
      if (micros % 1000 == 0) {
        out += "." + PadNumber(micros / 1000, 3);
      } else {
        out += "." + PadNumber(micros, 6);
      }
    }
  }
  return out;
}

std::string JavaLocalDateTime(int64_t micros) {
  int64_t days = FloorDiv(micros, kMicrosPerDay);
  return JavaLocalDate(days) + "T" + JavaLocalTime(FloorMod(micros, kMicrosPerDay));
}

// Java's Float#toString / Double#toString (shortest digits that round-trip; plain notation for
// magnitudes in [1e-3, 1e7), otherwise "d.dddE<exp>").
template <typename F>
std::string JavaFloatingString(F v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0)
    return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  if (ec != std::errc())
    return "NaN";  // cannot happen with a 64-byte buffer
  std::string_view text(buf, static_cast<size_t>(end - buf));
  bool negative = text[0] == '-';
  if (negative)
    text.remove_prefix(1);
  size_t e_pos = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e_pos)) {
    if (c != '.')
      digits += c;
  }
  int exponent = 0;
  std::string_view exp_text = text.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text[0] == '+')
    exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  while (digits.size() > 1 && digits.back() == '0')
    digits.pop_back();

  std::string out = negative ? "-" : "";
  F magnitude = negative ? -v : v;
  if (magnitude >= static_cast<F>(1e-3) && magnitude < static_cast<F>(1e7)) {
    if (exponent >= 0) {
      size_t int_len = static_cast<size_t>(exponent) + 1;
      if (digits.size() <= int_len) {
        out += digits + std::string(int_len - digits.size(), '0') + ".0";
      } else {
        out += digits.substr(0, int_len) + "." + digits.substr(int_len);
      }
    } else {
      out += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    }
    return out;
  }
  out += digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" +
         std::to_string(exponent);
  return out;
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// Identity#toHumanString and friends: a value of primitive `type` as Java prints it.
std::string HumanValue(const Type& type, const Value& value) {
  if (IsNull(value))
    return "null";
  switch (type.id) {
    case TypeId::kBoolean:
      return std::get<bool>(value) ? "true" : "false";
    case TypeId::kInt:
      return std::to_string(std::get<int32_t>(value));
    case TypeId::kLong:
      return std::to_string(std::get<int64_t>(value));
    case TypeId::kFloat:
      return JavaFloatingString(std::get<float>(value));
    case TypeId::kDouble:
      return JavaFloatingString(std::get<double>(value));
    case TypeId::kDecimal:
      return DecimalToJavaString(std::get<Decimal>(value));
    case TypeId::kDate:
      return HumanDay(std::get<int32_t>(value));
    case TypeId::kTime:
      return JavaLocalTime(std::get<int64_t>(value));
    case TypeId::kTimestamp:
      return JavaLocalDateTime(std::get<int64_t>(value));
    case TypeId::kTimestampTz:
      // OffsetDateTime#toString at UTC ends in "Z".
      return JavaLocalDateTime(std::get<int64_t>(value)) + "Z";
    case TypeId::kString:
      return std::get<std::string>(value);
    case TypeId::kUuid:
      return std::get<medlake::Uuid>(value).ToString();
    case TypeId::kFixed:
      return Base64(std::get<FixedBytes>(value).bytes);
    case TypeId::kBinary:
      return Base64(std::get<BinaryBytes>(value).bytes);
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      break;
  }
  return "null";
}

bool IsOneOf(TypeId id, std::initializer_list<TypeId> ids) {
  for (TypeId candidate : ids) {
    if (id == candidate)
      return true;
  }
  return false;
}

// Whether `transform` accepts `source` (spec table "Partition Transforms", v1/v2 types).
bool Accepts(const Transform& transform, const Type& source) {
  switch (transform.kind) {
    case TransformKind::kIdentity:
    case TransformKind::kVoid:
      return source.is_primitive() || transform.kind == TransformKind::kVoid;
    case TransformKind::kBucket:
      return IsOneOf(source.id, {TypeId::kInt, TypeId::kLong, TypeId::kDecimal, TypeId::kDate,
                                 TypeId::kTime, TypeId::kTimestamp, TypeId::kTimestampTz,
                                 TypeId::kString, TypeId::kUuid, TypeId::kFixed, TypeId::kBinary});
    case TransformKind::kTruncate:
      return IsOneOf(source.id, {TypeId::kInt, TypeId::kLong, TypeId::kDecimal, TypeId::kString,
                                 TypeId::kBinary});
    case TransformKind::kYear:
    case TransformKind::kMonth:
    case TransformKind::kDay:
      return IsOneOf(source.id, {TypeId::kDate, TypeId::kTimestamp, TypeId::kTimestampTz});
    case TransformKind::kHour:
      return IsOneOf(source.id, {TypeId::kTimestamp, TypeId::kTimestampTz});
    case TransformKind::kUnknown:
      return false;
  }
  return false;
}

Status CheckApplicable(const Transform& transform, const Type& source) {
  if (transform.kind == TransformKind::kUnknown) {
    return Unimplemented("unknown partition transform '" + transform.unknown_name + "'");
  }
  if (!Accepts(transform, source)) {
    return InvalidArgument("transform " + TransformToString(transform) + " cannot be applied to " +
                           TypeToString(source));
  }
  return Status::OK();
}

// A prefix of `s` with at most `n` UTF-8 code points (continuation bytes 10xxxxxx do not start
// a code point).
std::string TruncateUtf8(const std::string& s, int32_t n) {
  int32_t count = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    bool starts_code_point = (static_cast<uint8_t>(s[i]) & 0xC0) != 0x80;
    if (starts_code_point) {
      if (count == n)
        return s.substr(0, i);
      ++count;
    }
  }
  return s;
}

Result<Value> ApplyTemporal(TransformKind kind, const Type& source, const Value& value) {
  int64_t days;
  int64_t micros = 0;
  if (source.id == TypeId::kDate) {
    days = std::get<int32_t>(value);
  } else {
    micros = std::get<int64_t>(value);
    days = FloorDiv(micros, kMicrosPerDay);
  }
  switch (kind) {
    case TransformKind::kYear:
      return Value(WrapToInt32(CivilFromDays(days).year - 1970));
    case TransformKind::kMonth: {
      CivilDate d = CivilFromDays(days);
      return Value(WrapToInt32((d.year - 1970) * 12 + (d.month - 1)));
    }
    case TransformKind::kDay:
      return Value(WrapToInt32(days));
    case TransformKind::kHour:
      return Value(WrapToInt32(FloorDiv(micros, kMicrosPerHour)));
    default:
      break;
  }
  return Internal("not a temporal transform");
}

}  // namespace

Result<Transform> ParseTransformForRead(std::string_view text) {
  if (text == "identity")
    return Transform::Identity();
  if (text == "year")
    return Transform::Year();
  if (text == "month")
    return Transform::Month();
  if (text == "day")
    return Transform::Day();
  if (text == "hour")
    return Transform::Hour();
  if (text == "void")
    return Transform::Void();
  for (std::string_view family : {std::string_view("bucket"), std::string_view("truncate")}) {
    if (text.size() >= family.size() + 2 && text.substr(0, family.size()) == family &&
        text[family.size()] == '[' && text.back() == ']') {
      std::string_view number = text.substr(family.size() + 1, text.size() - family.size() - 2);
      int32_t n = 0;
      auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
      bool all_digits = number.find_first_not_of("0123456789") == std::string_view::npos;
      if (!all_digits || ec != std::errc() || end != number.data() + number.size() || n <= 0) {
        return InvalidArgument("transform '" + std::string(text) +
                               "' needs a positive 32-bit parameter");
      }
      return family == "bucket" ? Transform::Bucket(n) : Transform::Truncate(n);
    }
  }
  Transform unknown;
  unknown.kind = TransformKind::kUnknown;
  unknown.unknown_name = std::string(text);
  return unknown;
}

Result<Transform> ParseTransform(std::string_view text) {
  MEDLAKE_ASSIGN_OR_RETURN(Transform t, ParseTransformForRead(text));
  if (t.kind == TransformKind::kUnknown) {
    return InvalidArgument("unknown partition transform '" + std::string(text) + "'");
  }
  return t;
}

std::string TransformToString(const Transform& transform) {
  switch (transform.kind) {
    case TransformKind::kIdentity:
      return "identity";
    case TransformKind::kBucket:
      return "bucket[" + std::to_string(transform.param) + "]";
    case TransformKind::kTruncate:
      return "truncate[" + std::to_string(transform.param) + "]";
    case TransformKind::kYear:
      return "year";
    case TransformKind::kMonth:
      return "month";
    case TransformKind::kDay:
      return "day";
    case TransformKind::kHour:
      return "hour";
    case TransformKind::kVoid:
      return "void";
    case TransformKind::kUnknown:
      return transform.unknown_name;
  }
  return transform.unknown_name;
}

Result<Type> TransformResultType(const Transform& transform, const Type& source) {
  MEDLAKE_RETURN_IF_ERROR(CheckApplicable(transform, source));
  switch (transform.kind) {
    case TransformKind::kBucket:
    case TransformKind::kYear:
    case TransformKind::kMonth:
    case TransformKind::kDay:
    case TransformKind::kHour:
      return Type::Int();
    default:
      return source;
  }
}

Result<Value> ApplyTransform(const Transform& transform, const Type& source, const Value& value) {
  MEDLAKE_RETURN_IF_ERROR(CheckApplicable(transform, source));
  if (!ValueMatchesType(value, source)) {
    return InvalidArgument("value does not match source type " + TypeToString(source));
  }
  if (IsNull(value) || transform.kind == TransformKind::kVoid)
    return Value();
  const int64_t w = transform.param;
  switch (transform.kind) {
    case TransformKind::kIdentity:
      return value;
    case TransformKind::kBucket: {
      MEDLAKE_ASSIGN_OR_RETURN(int32_t hash, HashValue(source, value));
      return Value(static_cast<int32_t>((hash & std::numeric_limits<int32_t>::max()) % w));
    }
    case TransformKind::kTruncate:
      switch (source.id) {
        case TypeId::kInt: {
          int64_t v = std::get<int32_t>(value);
          return Value(WrapToInt32(v - (((v % w) + w) % w)));
        }
        case TypeId::kLong: {
          // Unsigned arithmetic reproduces Java's wrap-around near Long.MIN_VALUE.
          int64_t v = std::get<int64_t>(value);
          uint64_t rem = static_cast<uint64_t>(((v % w) + w) % w);
          return Value(static_cast<int64_t>(static_cast<uint64_t>(v) - rem));
        }
        case TypeId::kDecimal: {
          Decimal d = std::get<Decimal>(value);
          Int128 wide = w;
          d.unscaled -= ((d.unscaled % wide) + wide) % wide;
          return Value(d);
        }
        case TypeId::kString:
          return Value(TruncateUtf8(std::get<std::string>(value), transform.param));
        case TypeId::kBinary: {
          const std::string& bytes = std::get<BinaryBytes>(value).bytes;
          return Value(BinaryBytes{bytes.substr(0, static_cast<size_t>(w))});
        }
        default:
          break;
      }
      break;
    case TransformKind::kYear:
    case TransformKind::kMonth:
    case TransformKind::kDay:
    case TransformKind::kHour:
      return ApplyTemporal(transform.kind, source, value);
    default:
      break;
  }
  return Internal("unhandled transform " + TransformToString(transform));
}

Result<std::string> TransformHumanString(const Transform& transform, const Type& source,
                                         const Value& transformed) {
  MEDLAKE_ASSIGN_OR_RETURN(Type result_type, TransformResultType(transform, source));
  if (!ValueMatchesType(transformed, result_type)) {
    return InvalidArgument("partition value does not match type " + TypeToString(result_type));
  }
  if (IsNull(transformed))
    return std::string("null");
  switch (transform.kind) {
    case TransformKind::kYear:
      // TransformUtil.humanYear: String.format("%04d", 1970 + ordinal).
      return PadNumber(1970 + static_cast<int64_t>(std::get<int32_t>(transformed)), 4);
    case TransformKind::kMonth: {
      int64_t ordinal = std::get<int32_t>(transformed);
      return PadNumber(1970 + FloorDiv(ordinal, 12), 4) + "-" +
             PadNumber(1 + FloorMod(ordinal, 12), 2);
    }
    case TransformKind::kDay:
      return HumanDay(std::get<int32_t>(transformed));
    case TransformKind::kHour: {
      int64_t ordinal = std::get<int32_t>(transformed);
      return HumanDay(FloorDiv(ordinal, 24)) + "-" + PadNumber(FloorMod(ordinal, 24), 2);
    }
    default:
      return HumanValue(result_type, transformed);
  }
}

}  // namespace medlake::storage::iceberg
