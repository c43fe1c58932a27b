#include "server/pgwire/types.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "core/civil_date.h"
#include "engine/sql_lexer.h"

namespace medlake::server::pgwire {
namespace {

using engine::TypeId;
using Kind = ColumnCodec::Kind;

// Days between 1970-01-01 (DuckDB's epoch) and 2000-01-01 (PostgreSQL's).
constexpr int64_t kPgEpochDays = 10957;
constexpr int64_t kPgEpochMicros = kPgEpochDays * 86400LL * 1000000LL;

void StoreBig(char* p, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t LoadBig(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

void Put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// "YYYY-MM-DD" for years 1..9999; false otherwise (the caller falls back to DuckDB's rendering).
bool FormatDate(int64_t days, char* out) {
  int64_t y = 0, m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  if (y < 1 || y > 9999) return false;
  Put2(out, static_cast<int>(y / 100));
  Put2(out + 2, static_cast<int>(y % 100));
  out[4] = '-';
  Put2(out + 5, static_cast<int>(m));
  out[7] = '-';
  Put2(out + 8, static_cast<int>(d));
  return true;
}

// "HH:MM:SS[.ffffff]" with trailing fraction zeros trimmed, as PostgreSQL prints; returns length.
size_t FormatTimeOfDay(int64_t micros_of_day, char* out) {
  int64_t secs = micros_of_day / 1000000;
  auto frac = static_cast<int>(micros_of_day % 1000000);
  Put2(out, static_cast<int>(secs / 3600));
  out[2] = ':';
  Put2(out + 3, static_cast<int>(secs / 60 % 60));
  out[5] = ':';
  Put2(out + 6, static_cast<int>(secs % 60));
  size_t n = 8;
  if (frac != 0) {
    out[n++] = '.';
    char digits[6];
    for (int i = 5; i >= 0; --i) {
      digits[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    int len = 6;
    while (len > 0 && digits[len - 1] == '0') --len;
    std::memcpy(out + n, digits, static_cast<size_t>(len));
    n += static_cast<size_t>(len);
  }
  return n;
}

// "YYYY-MM-DD HH:MM:SS[.ffffff]"; 0 when out of the 4-digit-year range.
size_t FormatTimestamp(int64_t micros, char* out) {
  int64_t days = micros / 86400000000LL;
  int64_t rem = micros % 86400000000LL;
  if (rem < 0) {
    rem += 86400000000LL;
    --days;
  }
  if (!FormatDate(days, out)) return 0;
  out[10] = ' ';
  return 11 + FormatTimeOfDay(rem, out + 11);
}

// DuckDB's infinities (DATE: +-INT32_MAX days; TIMESTAMP: +-INT64_MAX microseconds) and
// PostgreSQL's in binary format (DATEVAL_NOEND/NOBEGIN, DT_NOEND/NOBEGIN: the type's maximum and
// minimum). Finite values move to PostgreSQL's epoch, 2000-01-01.
int32_t PgBinaryDate(int32_t days) {
  if (days == INT32_MAX) return INT32_MAX;
  if (days == -INT32_MAX) return INT32_MIN;
  return static_cast<int32_t>(days - kPgEpochDays);
}
int64_t PgBinaryTimestamp(int64_t micros) {
  if (micros == INT64_MAX) return INT64_MAX;
  if (micros == -INT64_MAX) return INT64_MIN;
  return micros - kPgEpochMicros;
}

// A date or timestamp outside years 1..9999 as PostgreSQL prints it: "infinity", "-infinity",
// years after 9999 in full, years up to 0 as "YYYY-MM-DD[ time][+00] BC" (year 0 is 1 BC).
// DuckDB's own text would say " (BC)", which clients do not read.
std::string PgWideDateText(int64_t days, int64_t micros_of_day, bool with_time, bool with_zone) {
  int64_t y = 0, m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  const bool bc = y <= 0;
  char buf[96];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(bc ? 1 - y : y),
                        static_cast<long long>(m), static_cast<long long>(d));
  std::string out(buf, static_cast<size_t>(n));
  if (with_time) {
    char t[32];
    out += ' ';
    out.append(t, FormatTimeOfDay(micros_of_day, t));
    if (with_zone) out += "+00";
  }
  if (bc) out += " BC";
  return out;
}
std::string PgDateText(int32_t days) {
  if (days == INT32_MAX) return "infinity";
  if (days == -INT32_MAX) return "-infinity";
  return PgWideDateText(days, 0, false, false);
}
std::string PgTimestampText(int64_t micros, bool with_zone) {
  if (micros == INT64_MAX) return "infinity";
  if (micros == -INT64_MAX) return "-infinity";
  int64_t days = micros / 86400000000LL;
  int64_t rem = micros % 86400000000LL;
  if (rem < 0) {
    rem += 86400000000LL;
    --days;
  }
  return PgWideDateText(days, rem, true, with_zone);
}

// REAL and DOUBLE as PostgreSQL prints them: shortest round-trip digits, and NaN, Infinity,
// -Infinity (DuckDB says nan, inf, -inf, which clients' float parsers refuse or misread).
template <typename F>
std::string_view PgFloatText(F v, char* tmp, size_t size) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  auto res = std::to_chars(tmp, tmp + size, v);
  return std::string_view(tmp, static_cast<size_t>(res.ptr - tmp));
}

// A decimal number's text ("-12.50", digits only) in PostgreSQL's binary NUMERIC form: digit
// count, weight (the power of 10000 of the first digit), sign, display scale, then the digits in
// base 10000, without leading or trailing zero groups.
void AppendNumericBinary(std::string_view text, std::string* out) {
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  const size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  while (!whole.empty() && whole[0] == '0') whole.remove_prefix(1);
  // Whole digits padded on the left and fraction digits on the right to groups of four.
  std::string digits(static_cast<size_t>((4 - whole.size() % 4) % 4), '0');
  digits.append(whole);
  const size_t whole_groups = digits.size() / 4;
  digits.append(fraction);
  digits.append(static_cast<size_t>((4 - fraction.size() % 4) % 4), '0');
  std::vector<uint16_t> groups;
  for (size_t i = 0; i < digits.size(); i += 4) {
    groups.push_back(static_cast<uint16_t>((digits[i] - '0') * 1000 + (digits[i + 1] - '0') * 100 +
                                           (digits[i + 2] - '0') * 10 + (digits[i + 3] - '0')));
  }
  int weight = static_cast<int>(whole_groups) - 1;
  size_t first = 0;
  while (first < groups.size() && groups[first] == 0) {
    ++first;
    --weight;
  }
  size_t last = groups.size();
  while (last > first && groups[last - 1] == 0) --last;
  if (first == last) weight = 0;  // zero
  auto put16 = [out](uint32_t v) {
    out->push_back(static_cast<char>((v >> 8) & 0xff));
    out->push_back(static_cast<char>(v & 0xff));
  };
  put16(static_cast<uint32_t>(last - first));
  put16(static_cast<uint32_t>(static_cast<uint16_t>(static_cast<int16_t>(weight))));
  put16(negative && first != last ? 0x4000u : 0u);
  put16(static_cast<uint32_t>(fraction.size()));
  for (size_t i = first; i < last; ++i) put16(groups[i]);
}

// An interval as PostgreSQL prints it in its default style: "1 year 2 mons -3 days +04:05:06.7"
// (units pluralized unless exactly 1; a sign shown where it changes after a negative part).
std::string PgIntervalText(const engine::DataChunk::Interval& iv) {
  std::string out;
  bool is_zero = true;
  bool is_before = false;
  auto part = [&](int64_t value, const char* unit) {
    if (value == 0) return;
    if (!is_zero) out += ' ';
    if (is_before && value > 0) out += '+';
    out += std::to_string(value) + " " + unit + (value != 1 ? "s" : "");
    is_before = is_before || value < 0;
    is_zero = false;
  };
  part(iv.months / 12, "year");
  part(iv.months % 12, "mon");
  part(iv.days, "day");
  if (is_zero || iv.micros != 0) {
    const bool minus = iv.micros < 0;
    // Magnitude without overflow at INT64_MIN.
    const uint64_t m = minus ? uint64_t{0} - static_cast<uint64_t>(iv.micros) : static_cast<uint64_t>(iv.micros);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%s%02llu:%02llu:%02llu", is_zero ? "" : " ", minus ? "-" : (is_before ? "+" : ""),
                  static_cast<unsigned long long>(m / 3600000000ULL),
                  static_cast<unsigned long long>(m / 60000000ULL % 60),
                  static_cast<unsigned long long>(m / 1000000ULL % 60));
    out += buf;
    if (const uint64_t frac = m % 1000000ULL; frac != 0) {
      std::snprintf(buf, sizeof buf, ".%06llu", static_cast<unsigned long long>(frac));
      std::string f = buf;
      while (f.back() == '0') f.pop_back();
      out += f;
    }
  }
  return out;
}

std::string HexBytea(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string s = "\\x";
  s.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    s.push_back(kHex[c >> 4]);
    s.push_back(kHex[c & 15]);
  }
  return s;
}

bool BinaryCapable(Kind k) {
  switch (k) {
    case Kind::kBool:
    case Kind::kInt32:
    case Kind::kInt64:
    case Kind::kSmallInteger:
    case Kind::kNumeric:
    case Kind::kInterval:
    case Kind::kUuid:
    case Kind::kFloat:
    case Kind::kDouble:
    case Kind::kText:
    case Kind::kBlob:
    case Kind::kDate:
    case Kind::kTime:
    case Kind::kTimestampMicros:
    case Kind::kTimestampTzMicros: return true;
    default: return false;
  }
}

}  // namespace

ColumnCodec CodecFor(const engine::ColumnInfo& column, int16_t format) {
  ColumnCodec c;
  switch (column.type) {
    case TypeId::kBoolean: c = {Kind::kBool, oid::kBool, 1}; break;
    case TypeId::kTinyInt:
    case TypeId::kSmallInt:
    case TypeId::kUTinyInt: c = {Kind::kSmallInteger, oid::kInt2, 2}; break;
    case TypeId::kUSmallInt: c = {Kind::kSmallInteger, oid::kInt4, 4}; break;
    case TypeId::kInteger: c = {Kind::kInt32, oid::kInt4, 4}; break;
    case TypeId::kUInteger: c = {Kind::kSmallInteger, oid::kInt8, 8}; break;
    case TypeId::kBigInt: c = {Kind::kInt64, oid::kInt8, 8}; break;
    case TypeId::kUBigInt:
    case TypeId::kHugeInt:
    case TypeId::kUHugeInt:
    case TypeId::kBigNum:
    case TypeId::kDecimal: c = {Kind::kNumeric, oid::kNumeric, -1}; break;
    case TypeId::kFloat: c = {Kind::kFloat, oid::kFloat4, 4}; break;
    case TypeId::kDouble: c = {Kind::kDouble, oid::kFloat8, 8}; break;
    case TypeId::kVarchar:
      c = {Kind::kText, column.type_name == "JSON" ? oid::kJson : oid::kText, -1};
      break;
    case TypeId::kBlob: c = {Kind::kBlob, oid::kBytea, -1}; break;
    case TypeId::kDate: c = {Kind::kDate, oid::kDate, 4}; break;
    case TypeId::kTime: c = {Kind::kTime, oid::kTime, 8}; break;
    case TypeId::kTimestamp: c = {Kind::kTimestampMicros, oid::kTimestamp, 8}; break;
    case TypeId::kTimestampTz: c = {Kind::kTimestampTzMicros, oid::kTimestampTz, 8}; break;
    case TypeId::kTimestampS:
    case TypeId::kTimestampMs:
    case TypeId::kTimestampNs: c = {Kind::kGeneric, oid::kTimestamp, 8}; break;
    case TypeId::kInterval: c = {Kind::kInterval, oid::kInterval, 16}; break;
    case TypeId::kUuid: c = {Kind::kUuid, oid::kUuid, 16}; break;
    default: c = {Kind::kGeneric, oid::kText, -1}; break;
  }
  c.format = format;
  if (format == 1 && !BinaryCapable(c.kind)) {
    // Sent as the bytes of its text form: in binary format that is what `text` is.
    c.type_oid = oid::kText;
    c.type_size = -1;
  }
  return c;
}

std::vector<FieldDescription> DescribeColumns(const std::vector<engine::ColumnInfo>& columns,
                                              const std::vector<ColumnCodec>& codecs) {
  std::vector<FieldDescription> fields;
  fields.reserve(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    FieldDescription f;
    f.name = columns[i].name;
    f.type_oid = codecs[i].type_oid;
    f.type_size = codecs[i].type_size;
    f.type_modifier = codecs[i].type_modifier;
    f.format = codecs[i].format;
    fields.push_back(std::move(f));
  }
  return fields;
}

Result<std::vector<int16_t>> ExpandFormats(const std::vector<int16_t>& formats, size_t columns) {
  if (formats.empty()) return std::vector<int16_t>(columns, 0);
  if (formats.size() == 1) return std::vector<int16_t>(columns, formats[0]);
  if (formats.size() != columns) {
    return InvalidArgument("bind message has " + std::to_string(formats.size()) + " result formats but query has " +
                           std::to_string(columns) + " columns");
  }
  return formats;
}

void EncodeRows(const engine::DataChunk& chunk, const std::vector<ColumnCodec>& codecs, MessageWriter& out) {
  const size_t rows = chunk.size();
  const size_t cols = codecs.size();
  char tmp[64];
  for (size_t r = 0; r < rows; ++r) {
    out.BeginDataRow(static_cast<int16_t>(cols));
    for (size_t c = 0; c < cols; ++c) {
      if (chunk.IsNull(c, r)) {
        out.NullCell();
        continue;
      }
      const ColumnCodec& codec = codecs[c];
      const bool bin = codec.format == 1;
      switch (codec.kind) {
        case Kind::kBool: {
          bool v = chunk.GetBool(c, r);
          if (bin) {
            *out.CellBuffer(1) = v ? 1 : 0;
          } else {
            out.Cell(v ? "t" : "f");
          }
          break;
        }
        case Kind::kInt32: {
          int32_t v = chunk.GetInt32(c, r);
          if (bin) {
            StoreBig(out.CellBuffer(4), static_cast<uint32_t>(v), 4);
          } else {
            auto res = std::to_chars(tmp, tmp + sizeof tmp, v);
            out.Cell(std::string_view(tmp, static_cast<size_t>(res.ptr - tmp)));
          }
          break;
        }
        case Kind::kInt64: {
          int64_t v = chunk.GetInt64(c, r);
          if (bin) {
            StoreBig(out.CellBuffer(8), static_cast<uint64_t>(v), 8);
          } else {
            auto res = std::to_chars(tmp, tmp + sizeof tmp, v);
            out.Cell(std::string_view(tmp, static_cast<size_t>(res.ptr - tmp)));
          }
          break;
        }
        case Kind::kSmallInteger: {
          // TINYINT, SMALLINT, UTINYINT (int2), USMALLINT (int4), UINTEGER (int8): widened.
          const engine::Value v = chunk.GetValue(c, r);
          const int64_t n = v.kind == engine::Value::Kind::kUInt ? static_cast<int64_t>(v.u) : v.i;
          if (bin) {
            StoreBig(out.CellBuffer(static_cast<size_t>(codec.type_size)), static_cast<uint64_t>(n), codec.type_size);
          } else {
            auto res = std::to_chars(tmp, tmp + sizeof tmp, n);
            out.Cell(std::string_view(tmp, static_cast<size_t>(res.ptr - tmp)));
          }
          break;
        }
        case Kind::kNumeric: {
          const std::string text = chunk.GetValue(c, r).ToText();
          if (bin) {
            std::string bytes;
            AppendNumericBinary(text, &bytes);
            out.Cell(bytes);
          } else {
            out.Cell(text);
          }
          break;
        }
        case Kind::kInterval: {
          const engine::DataChunk::Interval iv = chunk.GetInterval(c, r);
          if (bin) {
            char* p = out.CellBuffer(16);
            StoreBig(p, static_cast<uint64_t>(iv.micros), 8);
            StoreBig(p + 8, static_cast<uint32_t>(iv.days), 4);
            StoreBig(p + 12, static_cast<uint32_t>(iv.months), 4);
          } else {
            out.Cell(PgIntervalText(iv));
          }
          break;
        }
        case Kind::kUuid: {
          const std::string text = chunk.GetValue(c, r).ToText();
          if (bin) {
            char* p = out.CellBuffer(16);
            size_t k = 0;
            for (size_t i = 0; i + 1 < text.size() && k < 16; ++i) {
              if (text[i] == '-') continue;
              auto hex = [](char h) { return h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10; };
              p[k++] = static_cast<char>(hex(text[i]) * 16 + hex(text[i + 1]));
              ++i;
            }
          } else {
            out.Cell(text);
          }
          break;
        }
        case Kind::kFloat: {
          float v = chunk.GetFloat(c, r);
          if (bin) {
            uint32_t bits = 0;
            std::memcpy(&bits, &v, 4);
            StoreBig(out.CellBuffer(4), bits, 4);
          } else {
            out.Cell(PgFloatText(v, tmp, sizeof tmp));
          }
          break;
        }
        case Kind::kDouble: {
          double v = chunk.GetDouble(c, r);
          if (bin) {
            uint64_t bits = 0;
            std::memcpy(&bits, &v, 8);
            StoreBig(out.CellBuffer(8), bits, 8);
          } else {
            out.Cell(PgFloatText(v, tmp, sizeof tmp));
          }
          break;
        }
        case Kind::kText: out.Cell(chunk.GetString(c, r)); break;
        case Kind::kBlob:
          if (bin) {
            out.Cell(chunk.GetString(c, r));
          } else {
            out.Cell(HexBytea(chunk.GetString(c, r)));
          }
          break;
        case Kind::kDate: {
          int32_t days = chunk.GetInt32(c, r);
          if (bin) {
            StoreBig(out.CellBuffer(4), static_cast<uint32_t>(PgBinaryDate(days)), 4);
          } else if (FormatDate(days, tmp)) {
            out.Cell(std::string_view(tmp, 10));
          } else {
            out.Cell(PgDateText(days));
          }
          break;
        }
        case Kind::kTime: {
          int64_t micros = chunk.GetInt64(c, r);
          if (bin) {
            StoreBig(out.CellBuffer(8), static_cast<uint64_t>(micros), 8);
          } else {
            out.Cell(std::string_view(tmp, FormatTimeOfDay(micros, tmp)));
          }
          break;
        }
        case Kind::kTimestampMicros:
        case Kind::kTimestampTzMicros: {
          int64_t micros = chunk.GetInt64(c, r);
          if (bin) {
            StoreBig(out.CellBuffer(8), static_cast<uint64_t>(PgBinaryTimestamp(micros)), 8);
            break;
          }
          size_t n = FormatTimestamp(micros, tmp);
          if (n == 0) {
            out.Cell(PgTimestampText(micros, codec.kind == Kind::kTimestampTzMicros));
            break;
          }
          if (codec.kind == Kind::kTimestampTzMicros) {
            tmp[n++] = '+';
            tmp[n++] = '0';
            tmp[n++] = '0';
          }
          out.Cell(std::string_view(tmp, n));
          break;
        }
        default: {
          engine::Value v = chunk.GetValue(c, r);
          out.Cell(v.ToText());
          break;
        }
      }
    }
    out.EndDataRow();
  }
}

std::string PgTypeName(int32_t type_oid) {
  switch (type_oid) {
    case oid::kBool: return "boolean";
    case oid::kBytea: return "bytea";
    case oid::kInt8: return "bigint";
    case oid::kInt2: return "smallint";
    case oid::kInt4: return "integer";
    case oid::kJson: return "json";
    case oid::kFloat4: return "real";
    case oid::kFloat8: return "double precision";
    case oid::kVarchar: return "character varying";
    case oid::kDate: return "date";
    case oid::kTime: return "time without time zone";
    case oid::kTimestamp: return "timestamp without time zone";
    case oid::kTimestampTz: return "timestamp with time zone";
    case oid::kInterval: return "interval";
    case oid::kNumeric: return "numeric";
    case oid::kUuid: return "uuid";
    default: return "text";
  }
}

namespace {

std::string Quote(std::string_view text) { return engine::QuoteString(text); }

const char* CastFor(int32_t type_oid) {
  switch (type_oid) {
    case oid::kBool: return "BOOLEAN";
    case oid::kInt2: return "SMALLINT";
    case oid::kInt4: return "INTEGER";
    case oid::kInt8: return "BIGINT";
    case oid::kFloat4: return "REAL";
    case oid::kFloat8: return "DOUBLE";
    case oid::kNumeric: return "DECIMAL(38,10)";
    case oid::kBytea: return "BLOB";
    case oid::kDate: return "DATE";
    case oid::kTime: return "TIME";
    case oid::kTimestamp: return "TIMESTAMP";
    case oid::kTimestampTz: return "TIMESTAMPTZ";
    case oid::kInterval: return "INTERVAL";
    case oid::kUuid: return "UUID";
    case oid::kText:
    case oid::kVarchar: return "VARCHAR";
    default: return nullptr;  // unspecified or unknown: DuckDB infers from the string literal
  }
}

std::string DecimalText(int64_t v) { return std::to_string(v); }

// PostgreSQL's binary NUMERIC as decimal text ("-12.50"; "NaN" and the infinities by name).
Result<std::string> NumericFromBinary(std::string_view b) {
  if (b.size() < 8) return InvalidArgument("binary numeric parameter is shorter than its 8-byte header");
  auto at = [&](size_t i) { return static_cast<uint16_t>(LoadBig(b.substr(i, 2))); };
  const size_t ndigits = at(0);
  const auto weight = static_cast<int16_t>(at(2));
  const uint16_t sign = at(4);
  const size_t dscale = at(6);
  if (sign == 0xC000) return std::string("NaN");
  if (sign == 0xD000 || sign == 0xF000) return std::string(sign == 0xD000 ? "Infinity" : "-Infinity");
  if ((sign != 0 && sign != 0x4000) || b.size() != 8 + 2 * ndigits || dscale > 1000 || ndigits > 1000 ||
      weight > 1000 || weight < -1000) {
    return InvalidArgument("binary numeric parameter is malformed");
  }
  // Digit groups of four decimal digits: the group worth 10000^power is number weight - power.
  auto append_group = [&](int64_t power, std::string* out) -> Status {
    const int64_t k = weight - power;
    const uint16_t v = k >= 0 && static_cast<size_t>(k) < ndigits ? at(8 + 2 * static_cast<size_t>(k)) : 0;
    if (v > 9999) return InvalidArgument("binary numeric parameter is malformed");
    char four[8];
    std::snprintf(four, sizeof four, "%04u", static_cast<unsigned>(v));
    *out += four;
    return Status::OK();
  };
  std::string whole, fraction;
  for (int64_t power = weight; power >= 0; --power) MEDLAKE_RETURN_IF_ERROR(append_group(power, &whole));
  for (int64_t power = -1; fraction.size() < dscale; --power) MEDLAKE_RETURN_IF_ERROR(append_group(power, &fraction));
  fraction.resize(dscale);
  size_t lead = 0;
  while (lead + 1 < whole.size() && whole[lead] == '0') ++lead;
  whole = whole.empty() ? "0" : whole.substr(lead);
  std::string text = (sign == 0x4000 ? "-" : "") + whole;
  if (dscale > 0) text += "." + fraction;
  return text;
}

// True for "-12.50" and "7": a number DuckDB reads as an exact DECIMAL literal.
bool IsPlainDecimal(std::string_view t) {
  if (!t.empty() && t[0] == '-') t.remove_prefix(1);
  const size_t dot = t.find('.');
  auto digits = [](std::string_view d) {
    return !d.empty() && d.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return dot == std::string_view::npos ? digits(t) : digits(t.substr(0, dot)) && digits(t.substr(dot + 1));
}

}  // namespace

Result<std::string> ParameterLiteral(const std::optional<std::string>& value, int32_t type_oid, int16_t format) {
  if (!value) return std::string("NULL");
  std::string text;
  if (format == 0) {
    text = *value;
  } else {
    const std::string& b = *value;
    auto need = [&](size_t n) -> Status {
      if (b.size() != n) return InvalidArgument("binary parameter of type " + PgTypeName(type_oid) + " has " +
                                                std::to_string(b.size()) + " bytes, expected " + std::to_string(n));
      return Status::OK();
    };
    switch (type_oid) {
      case oid::kBool:
        MEDLAKE_RETURN_IF_ERROR(need(1));
        text = b[0] ? "true" : "false";
        break;
      case oid::kInt2:
        MEDLAKE_RETURN_IF_ERROR(need(2));
        text = DecimalText(static_cast<int16_t>(LoadBig(b)));
        break;
      case oid::kInt4:
        MEDLAKE_RETURN_IF_ERROR(need(4));
        text = DecimalText(static_cast<int32_t>(LoadBig(b)));
        break;
      case oid::kInt8:
        MEDLAKE_RETURN_IF_ERROR(need(8));
        text = DecimalText(static_cast<int64_t>(LoadBig(b)));
        break;
      case oid::kFloat4: {
        MEDLAKE_RETURN_IF_ERROR(need(4));
        auto bits = static_cast<uint32_t>(LoadBig(b));
        float f = 0;
        std::memcpy(&f, &bits, 4);
        char tmp[64];
        auto res = std::to_chars(tmp, tmp + sizeof tmp, f);
        text.assign(tmp, res.ptr);
        break;
      }
      case oid::kFloat8: {
        MEDLAKE_RETURN_IF_ERROR(need(8));
        uint64_t bits = LoadBig(b);
        double d = 0;
        std::memcpy(&d, &bits, 8);
        char tmp[64];
        auto res = std::to_chars(tmp, tmp + sizeof tmp, d);
        text.assign(tmp, res.ptr);
        break;
      }
      case oid::kText:
      case oid::kVarchar:
      case oid::kJson:
      case 0: text = b; break;
      case oid::kBytea: text = HexBytea(b); break;
      case oid::kDate: {
        MEDLAKE_RETURN_IF_ERROR(need(4));
        char tmp[16];
        const auto days = static_cast<int32_t>(LoadBig(b));
        if (days == INT32_MAX || days == INT32_MIN) {
          text = days == INT32_MAX ? "infinity" : "-infinity";
          break;
        }
        if (!FormatDate(days + kPgEpochDays, tmp)) return InvalidArgument("binary date parameter out of range");
        text.assign(tmp, 10);
        break;
      }
      case oid::kTimestamp:
      case oid::kTimestampTz: {
        MEDLAKE_RETURN_IF_ERROR(need(8));
        char tmp[64];
        const auto micros = static_cast<int64_t>(LoadBig(b));
        if (micros == INT64_MAX || micros == INT64_MIN) {
          text = micros == INT64_MAX ? "infinity" : "-infinity";
          break;
        }
        // Beyond DuckDB's range (about 290,000 years) the sum would overflow: refused below.
        const size_t n = micros > INT64_MAX - kPgEpochMicros ? 0 : FormatTimestamp(micros + kPgEpochMicros, tmp);
        if (n == 0) return InvalidArgument("binary timestamp parameter out of range");
        text.assign(tmp, n);
        if (type_oid == oid::kTimestampTz) text += "+00";
        break;
      }
      case oid::kNumeric: {
        MEDLAKE_ASSIGN_OR_RETURN(text, NumericFromBinary(b));
        break;
      }
      case oid::kTime: {
        MEDLAKE_RETURN_IF_ERROR(need(8));
        const auto micros = static_cast<int64_t>(LoadBig(b));
        if (micros < 0 || micros > 86400000000LL) return InvalidArgument("binary time parameter out of range");
        char tmp[32];
        text.assign(tmp, micros == 86400000000LL ? 0 : FormatTimeOfDay(micros, tmp));
        if (text.empty()) text = "24:00:00";
        break;
      }
      case oid::kInterval: {
        MEDLAKE_RETURN_IF_ERROR(need(16));
        const auto micros = static_cast<int64_t>(LoadBig(b.substr(0, 8)));
        const auto days = static_cast<int32_t>(LoadBig(b.substr(8, 4)));
        const auto months = static_cast<int32_t>(LoadBig(b.substr(12, 4)));
        text = std::to_string(months) + " months " + std::to_string(days) + " days " + std::to_string(micros) +
               " microseconds";
        break;
      }
      case oid::kUuid: {
        MEDLAKE_RETURN_IF_ERROR(need(16));
        std::string hex = HexBytea(b).substr(2);
        text = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
               hex.substr(20);
        break;
      }
      default:
        return InvalidArgument("binary format is not supported for parameters of type OID " + std::to_string(type_oid) +
                               "; send it in text format");
    }
  }
  if (text.find('\0') != std::string::npos) {
    return InvalidArgument("invalid byte sequence for encoding \"UTF8\": 0x00");
  }
  const char* cast = CastFor(type_oid);
  if (type_oid == oid::kBytea && format == 0) {
    // bytea text input is "\x..." hex; DuckDB's BLOB literal reads \xHH pairs the same way.
    return "from_hex(" + Quote(text.size() >= 2 && text[0] == '\\' && text[1] == 'x' ? text.substr(2) : text) + ")";
  }
  if (type_oid == oid::kBytea) return "from_hex(" + Quote(text.substr(2)) + ")";
  // A numeric keeps its own precision and scale as a bare literal (DuckDB types 12.345 as
  // DECIMAL(5,3)); a cast to one DECIMAL type would round digits beyond its scale.
  if (type_oid == oid::kNumeric && IsPlainDecimal(text)) return text;
  if (cast) return "CAST(" + Quote(text) + " AS " + cast + ")";
  return Quote(text);
}

}  // namespace medlake::server::pgwire
