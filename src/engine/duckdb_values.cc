// Reading DuckDB vectors into Values and naming logical types (engine-internal).
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/duckdb_internal.h"
#include "engine/sql_lexer.h"

namespace medlake::engine::internal {
namespace {

// GCC and clang provide 128-bit integers as an extension; DuckDB's HUGEINT needs them.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

struct LogicalTypeHolder {
  explicit LogicalTypeHolder(duckdb_logical_type t) : type(t) {}
  ~LogicalTypeHolder() {
    if (type) duckdb_destroy_logical_type(&type);
  }
  LogicalTypeHolder(const LogicalTypeHolder&) = delete;
  LogicalTypeHolder& operator=(const LogicalTypeHolder&) = delete;
  duckdb_logical_type type;
};

std::string TakeString(char* s) {
  std::string out = s ? s : "";
  duckdb_free(s);
  return out;
}

// 128-bit integers as decimal text.
std::string U128ToString(UInt128 v) {
  if (v == 0) return "0";
  char buf[48];
  int pos = 47;
  buf[pos] = '\0';
  while (v > 0) {
    buf[--pos] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  return std::string(buf + pos);
}

std::string I128ToString(Int128 v) {
  if (v < 0) return "-" + U128ToString(static_cast<UInt128>(-(v + 1)) + 1);
  return U128ToString(static_cast<UInt128>(v));
}

std::string DecimalText(Int128 unscaled, int scale) {
  bool negative = unscaled < 0;
  std::string digits = negative ? U128ToString(static_cast<UInt128>(-(unscaled + 1)) + 1)
                                : U128ToString(static_cast<UInt128>(unscaled));
  if (scale > 0) {
    if (digits.size() <= static_cast<size_t>(scale)) {
      digits.insert(0, static_cast<size_t>(scale) - digits.size() + 1, '0');
    }
    digits.insert(digits.size() - static_cast<size_t>(scale), ".");
  }
  return negative ? "-" + digits : digits;
}

std::string FractionText(int64_t micros) {
  if (micros == 0) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%06" PRId64, micros);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  return s;
}

std::string DateText(int32_t days) {
  if (days == INT32_MAX) return "infinity";
  if (days == -INT32_MAX) return "-infinity";
  duckdb_date_struct d = duckdb_from_date(duckdb_date{days});
  char buf[32];
  if (d.year <= 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d (BC)", 1 - d.year, d.month, d.day);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  }
  return buf;
}

std::string TimeText(int64_t micros) {
  duckdb_time_struct t = duckdb_from_time(duckdb_time{micros});
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", t.hour, t.min, t.sec);
  return buf + FractionText(t.micros);
}

std::string TimestampText(int64_t micros) {
  if (micros == INT64_MAX) return "infinity";
  if (micros == -INT64_MAX) return "-infinity";
  int64_t days = micros / 86'400'000'000LL;
  int64_t rest = micros % 86'400'000'000LL;
  if (rest < 0) {
    rest += 86'400'000'000LL;
    --days;
  }
  std::string date = DateText(static_cast<int32_t>(days));
  std::string bc;
  if (date.size() > 5 && date.compare(date.size() - 5, 5, " (BC)") == 0) {
    date.resize(date.size() - 5);
    bc = " (BC)";
  }
  return date + " " + TimeText(rest) + bc;
}

std::string IntervalText(const duckdb_interval& iv) {
  std::string out;
  auto part = [&out](int64_t n, const char* unit) {
    if (n == 0) return;
    if (!out.empty()) out += ' ';
    out += std::to_string(n) + " " + unit + (n == 1 || n == -1 ? "" : "s");
  };
  part(iv.months / 12, "year");
  part(iv.months % 12, "month");
  part(iv.days, "day");
  if (iv.micros != 0 || out.empty()) {
    int64_t m = iv.micros;
    std::string sign;
    if (m < 0) {
      sign = "-";
      m = -m;
    }
    char buf[48];
    std::snprintf(buf, sizeof buf, "%02" PRId64 ":%02" PRId64 ":%02" PRId64, static_cast<int64_t>(m / 3'600'000'000LL),
                  static_cast<int64_t>((m / 60'000'000LL) % 60),
                  static_cast<int64_t>((m / 1'000'000LL) % 60));
    if (!out.empty()) out += ' ';
    out += sign + buf + FractionText(m % 1'000'000LL);
  }
  return out;
}

std::string UuidText(const duckdb_hugeint& h) {
  uint64_t upper = static_cast<uint64_t>(h.upper) ^ (uint64_t{1} << 63);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
                upper >> 32, (upper >> 16) & 0xFFFF, upper & 0xFFFF, static_cast<uint64_t>(h.lower >> 48),
                static_cast<uint64_t>(h.lower & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::string StringAt(void* data, idx_t row) {
  auto* s = static_cast<duckdb_string_t*>(data) + row;
  return std::string(duckdb_string_t_data(s), duckdb_string_t_length(*s));
}

}  // namespace

std::string LogicalTypeName(duckdb_logical_type type) {
  duckdb_type id = duckdb_get_type_id(type);
  switch (id) {
    case DUCKDB_TYPE_BOOLEAN: return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT: return "TINYINT";
    case DUCKDB_TYPE_SMALLINT: return "SMALLINT";
    case DUCKDB_TYPE_INTEGER: return "INTEGER";
    case DUCKDB_TYPE_BIGINT: return "BIGINT";
    case DUCKDB_TYPE_UTINYINT: return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT: return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER: return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT: return "UBIGINT";
    case DUCKDB_TYPE_HUGEINT: return "HUGEINT";
    case DUCKDB_TYPE_UHUGEINT: return "UHUGEINT";
    case DUCKDB_TYPE_FLOAT: return "FLOAT";
    case DUCKDB_TYPE_DOUBLE: return "DOUBLE";
    case DUCKDB_TYPE_TIMESTAMP: return "TIMESTAMP";
    case DUCKDB_TYPE_TIMESTAMP_S: return "TIMESTAMP_S";
    case DUCKDB_TYPE_TIMESTAMP_MS: return "TIMESTAMP_MS";
    case DUCKDB_TYPE_TIMESTAMP_NS: return "TIMESTAMP_NS";
    case DUCKDB_TYPE_TIMESTAMP_TZ: return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_DATE: return "DATE";
    case DUCKDB_TYPE_TIME: return "TIME";
    case DUCKDB_TYPE_TIME_TZ: return "TIME WITH TIME ZONE";
    case DUCKDB_TYPE_INTERVAL: return "INTERVAL";
    case DUCKDB_TYPE_VARCHAR: return "VARCHAR";
    case DUCKDB_TYPE_BLOB: return "BLOB";
    case DUCKDB_TYPE_UUID: return "UUID";
    case DUCKDB_TYPE_BIT: return "BIT";
    case DUCKDB_TYPE_ENUM: return "ENUM";
    case DUCKDB_TYPE_SQLNULL: return "\"NULL\"";
    case DUCKDB_TYPE_DECIMAL:
      return "DECIMAL(" + std::to_string(duckdb_decimal_width(type)) + "," +
             std::to_string(duckdb_decimal_scale(type)) + ")";
    case DUCKDB_TYPE_LIST: {
      LogicalTypeHolder child(duckdb_list_type_child_type(type));
      return LogicalTypeName(child.type) + "[]";
    }
    case DUCKDB_TYPE_ARRAY: {
      LogicalTypeHolder child(duckdb_array_type_child_type(type));
      return LogicalTypeName(child.type) + "[" +
             std::to_string(duckdb_array_type_array_size(type)) + "]";
    }
    case DUCKDB_TYPE_MAP: {
      LogicalTypeHolder k(duckdb_map_type_key_type(type));
      LogicalTypeHolder v(duckdb_map_type_value_type(type));
      return "MAP(" + LogicalTypeName(k.type) + ", " + LogicalTypeName(v.type) + ")";
    }
    case DUCKDB_TYPE_STRUCT: {
      std::string out = "STRUCT(";
      idx_t n = duckdb_struct_type_child_count(type);
      for (idx_t i = 0; i < n; ++i) {
        if (i) out += ", ";
        out += QuoteIdentifier(TakeString(duckdb_struct_type_child_name(type, i)));
        LogicalTypeHolder child(duckdb_struct_type_child_type(type, i));
        out += " " + LogicalTypeName(child.type);
      }
      return out + ")";
    }
    default: return "TYPE" + std::to_string(static_cast<int>(id));
  }
}

Value ReadValue(duckdb_vector vector, duckdb_logical_type type, idx_t row) {
  uint64_t* validity = duckdb_vector_get_validity(vector);
  if (validity && !duckdb_validity_row_is_valid(validity, row)) return Value::Null();
  void* data = duckdb_vector_get_data(vector);
  duckdb_type id = duckdb_get_type_id(type);
  switch (id) {
    case DUCKDB_TYPE_BOOLEAN: return Value::Bool(static_cast<bool*>(data)[row]);
    case DUCKDB_TYPE_TINYINT: return Value::Int(static_cast<int8_t*>(data)[row]);
    case DUCKDB_TYPE_SMALLINT: return Value::Int(static_cast<int16_t*>(data)[row]);
    case DUCKDB_TYPE_INTEGER: return Value::Int(static_cast<int32_t*>(data)[row]);
    case DUCKDB_TYPE_BIGINT: return Value::Int(static_cast<int64_t*>(data)[row]);
    case DUCKDB_TYPE_UTINYINT: return Value::UInt(static_cast<uint8_t*>(data)[row]);
    case DUCKDB_TYPE_USMALLINT: return Value::UInt(static_cast<uint16_t*>(data)[row]);
    case DUCKDB_TYPE_UINTEGER: return Value::UInt(static_cast<uint32_t*>(data)[row]);
    case DUCKDB_TYPE_UBIGINT: return Value::UInt(static_cast<uint64_t*>(data)[row]);
    case DUCKDB_TYPE_FLOAT: {
      // Printed in float precision (0.1, not 0.10000000149011612), as DuckDB does.
      float f = static_cast<float*>(data)[row];
      if (!std::isfinite(f)) return Value::Double(static_cast<double>(f));
      return Value::NumberText(FormatFloat(f));
    }
    case DUCKDB_TYPE_DOUBLE: return Value::Double(static_cast<double*>(data)[row]);
    case DUCKDB_TYPE_HUGEINT: {
      const auto& h = static_cast<duckdb_hugeint*>(data)[row];
      Int128 v = (static_cast<Int128>(h.upper) << 64) | h.lower;
      return Value::NumberText(I128ToString(v));
    }
    case DUCKDB_TYPE_UHUGEINT: {
      const auto& h = static_cast<duckdb_uhugeint*>(data)[row];
      UInt128 v = (static_cast<UInt128>(h.upper) << 64) | h.lower;
      return Value::NumberText(U128ToString(v));
    }
    case DUCKDB_TYPE_DECIMAL: {
      int scale = duckdb_decimal_scale(type);
      Int128 unscaled = 0;
      switch (duckdb_decimal_internal_type(type)) {
        case DUCKDB_TYPE_SMALLINT: unscaled = static_cast<int16_t*>(data)[row]; break;
        case DUCKDB_TYPE_INTEGER: unscaled = static_cast<int32_t*>(data)[row]; break;
        case DUCKDB_TYPE_BIGINT: unscaled = static_cast<int64_t*>(data)[row]; break;
        default: {
          const auto& h = static_cast<duckdb_hugeint*>(data)[row];
          unscaled = (static_cast<Int128>(h.upper) << 64) | h.lower;
        }
      }
      return Value::NumberText(DecimalText(unscaled, scale));
    }
    case DUCKDB_TYPE_VARCHAR: return Value::Text(StringAt(data, row));
    case DUCKDB_TYPE_BLOB: return Value::Blob(StringAt(data, row));
    case DUCKDB_TYPE_BIT: {
      // First byte = padding bit count; then the bits, most significant first.
      std::string raw = StringAt(data, row);
      std::string bits;
      if (!raw.empty()) {
        int padding = static_cast<unsigned char>(raw[0]);
        for (size_t i = 1; i < raw.size(); ++i) {
          for (int b = 7; b >= 0; --b) bits += ((static_cast<unsigned char>(raw[i]) >> b) & 1) ? '1' : '0';
        }
        bits.erase(0, static_cast<size_t>(padding));
      }
      return Value::Text(bits);
    }
    case DUCKDB_TYPE_DATE: return Value::Text(DateText(static_cast<int32_t*>(data)[row]));
    case DUCKDB_TYPE_TIME: return Value::Text(TimeText(static_cast<int64_t*>(data)[row]));
    case DUCKDB_TYPE_TIME_NS: {
      int64_t ns = static_cast<int64_t*>(data)[row];
      return Value::Text(TimeText(ns / 1000));
    }
    case DUCKDB_TYPE_TIME_TZ: {
      duckdb_time_tz_struct t = duckdb_from_time_tz(static_cast<duckdb_time_tz*>(data)[row]);
      char buf[48];
      std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", t.time.hour, t.time.min, t.time.sec);
      int off = t.offset;
      char obuf[16];
      std::snprintf(obuf, sizeof obuf, "%c%02d", off < 0 ? '-' : '+', (off < 0 ? -off : off) / 3600);
      return Value::Text(std::string(buf) + FractionText(t.time.micros) + obuf);
    }
    case DUCKDB_TYPE_TIMESTAMP:
      return Value::Text(TimestampText(static_cast<int64_t*>(data)[row]));
    case DUCKDB_TYPE_TIMESTAMP_TZ: {
      // Sessions run with TimeZone=UTC (see Database::Open), so the offset is always +00
      // (written before DuckDB's " (BC)"; infinities have none).
      std::string text = TimestampText(static_cast<int64_t*>(data)[row]);
      if (text.back() == 'y') return Value::Text(std::move(text));
      const size_t bc = text.size() > 5 && text.compare(text.size() - 5, 5, " (BC)") == 0 ? text.size() - 5 : text.size();
      text.insert(bc, "+00");
      return Value::Text(std::move(text));
    }
    case DUCKDB_TYPE_TIMESTAMP_S:
      return Value::Text(TimestampText(static_cast<int64_t*>(data)[row] * 1'000'000));
    case DUCKDB_TYPE_TIMESTAMP_MS:
      return Value::Text(TimestampText(static_cast<int64_t*>(data)[row] * 1'000));
    case DUCKDB_TYPE_TIMESTAMP_NS: {
      int64_t ns = static_cast<int64_t*>(data)[row];
      int64_t us = ns / 1000;
      std::string base = TimestampText(us - (us % 1'000'000 + 1'000'000) % 1'000'000);
      int64_t frac = ((ns % 1'000'000'000) + 1'000'000'000) % 1'000'000'000;
      if (frac != 0) {
        char buf[16];
        std::snprintf(buf, sizeof buf, ".%09" PRId64, frac);
        std::string f = buf;
        while (f.back() == '0') f.pop_back();
        base += f;
      }
      return Value::Text(base);
    }
    case DUCKDB_TYPE_INTERVAL:
      return Value::Text(IntervalText(static_cast<duckdb_interval*>(data)[row]));
    case DUCKDB_TYPE_UUID: return Value::Text(UuidText(static_cast<duckdb_hugeint*>(data)[row]));
    case DUCKDB_TYPE_ENUM: {
      uint64_t index = 0;
      switch (duckdb_enum_internal_type(type)) {
        case DUCKDB_TYPE_UTINYINT: index = static_cast<uint8_t*>(data)[row]; break;
        case DUCKDB_TYPE_USMALLINT: index = static_cast<uint16_t*>(data)[row]; break;
        default: index = static_cast<uint32_t*>(data)[row];
      }
      return Value::Text(TakeString(duckdb_enum_dictionary_value(type, index)));
    }
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_MAP: {
      const auto& entry = static_cast<duckdb_list_entry*>(data)[row];
      duckdb_vector child = duckdb_list_vector_get_child(vector);
      Value out;
      if (id == DUCKDB_TYPE_LIST) {
        out.kind = Value::Kind::kList;
        LogicalTypeHolder child_type(duckdb_list_type_child_type(type));
        for (idx_t k = 0; k < entry.length; ++k) {
          out.items.push_back(ReadValue(child, child_type.type, entry.offset + k));
        }
      } else {
        out.kind = Value::Kind::kMap;
        LogicalTypeHolder key_type(duckdb_map_type_key_type(type));
        LogicalTypeHolder value_type(duckdb_map_type_value_type(type));
        duckdb_vector keys = duckdb_struct_vector_get_child(child, 0);
        duckdb_vector values = duckdb_struct_vector_get_child(child, 1);
        for (idx_t k = 0; k < entry.length; ++k) {
          out.items.push_back(ReadValue(keys, key_type.type, entry.offset + k));
          out.items.push_back(ReadValue(values, value_type.type, entry.offset + k));
        }
      }
      return out;
    }
    case DUCKDB_TYPE_ARRAY: {
      idx_t n = duckdb_array_type_array_size(type);
      duckdb_vector child = duckdb_array_vector_get_child(vector);
      LogicalTypeHolder child_type(duckdb_array_type_child_type(type));
      Value out;
      out.kind = Value::Kind::kList;
      for (idx_t k = 0; k < n; ++k) out.items.push_back(ReadValue(child, child_type.type, row * n + k));
      return out;
    }
    case DUCKDB_TYPE_STRUCT: {
      Value out;
      out.kind = Value::Kind::kStruct;
      idx_t n = duckdb_struct_type_child_count(type);
      for (idx_t k = 0; k < n; ++k) {
        out.names.push_back(TakeString(duckdb_struct_type_child_name(type, k)));
        LogicalTypeHolder child_type(duckdb_struct_type_child_type(type, k));
        out.items.push_back(
            ReadValue(duckdb_struct_vector_get_child(vector, k), child_type.type, row));
      }
      return out;
    }
    default:
      return Value::Text("<" + LogicalTypeName(type) + ">");
  }
}

Status StatusFromDuckDb(duckdb_error_type type, const char* message, std::string_view context) {
  std::string msg = message ? message : "unknown DuckDB error";
  if (!context.empty()) msg = std::string(context) + ": " + msg;
  switch (type) {
    case DUCKDB_ERROR_PARSER:
    case DUCKDB_ERROR_SYNTAX:
    case DUCKDB_ERROR_BINDER:
    case DUCKDB_ERROR_CONVERSION:
    case DUCKDB_ERROR_OUT_OF_RANGE:
    case DUCKDB_ERROR_MISMATCH_TYPE:
    case DUCKDB_ERROR_INVALID_TYPE:
    case DUCKDB_ERROR_INVALID_INPUT:
    case DUCKDB_ERROR_DIVIDE_BY_ZERO:
    case DUCKDB_ERROR_PARAMETER_NOT_RESOLVED:
    case DUCKDB_ERROR_PARAMETER_NOT_ALLOWED:
    case DUCKDB_ERROR_DECIMAL:
    case DUCKDB_ERROR_EXPRESSION:
    case DUCKDB_ERROR_UNKNOWN_TYPE:
    case DUCKDB_ERROR_SETTINGS:
      return InvalidArgument(std::move(msg));
    case DUCKDB_ERROR_CATALOG:
      if (msg.find("already exists") != std::string::npos) return AlreadyExists(std::move(msg));
      return NotFound(std::move(msg));
    case DUCKDB_ERROR_CONSTRAINT:
    case DUCKDB_ERROR_DEPENDENCY:
    case DUCKDB_ERROR_SEQUENCE:
      return FailedPrecondition(std::move(msg));
    case DUCKDB_ERROR_TRANSACTION: return Aborted(std::move(msg));
    case DUCKDB_ERROR_INTERRUPT: return Aborted(std::move(msg));
    case DUCKDB_ERROR_PERMISSION: return PermissionDenied(std::move(msg));
    case DUCKDB_ERROR_OUT_OF_MEMORY: return ResourceExhausted(std::move(msg));
    case DUCKDB_ERROR_IO:
    case DUCKDB_ERROR_HTTP:
    case DUCKDB_ERROR_NETWORK:
      return IOError(std::move(msg));
    case DUCKDB_ERROR_NOT_IMPLEMENTED:
    case DUCKDB_ERROR_MISSING_EXTENSION:
    case DUCKDB_ERROR_AUTOLOAD:
      return Unimplemented(std::move(msg));
    default: return Internal(std::move(msg));
  }
}

Status StatusFromDuckDbMessage(const char* message, std::string_view context) {
  std::string_view m = message ? message : "";
  struct Prefix {
    const char* text;
    duckdb_error_type type;
  };
  static const Prefix kPrefixes[] = {
      {"Parser Error", DUCKDB_ERROR_PARSER},
      {"Binder Error", DUCKDB_ERROR_BINDER},
      {"Catalog Error", DUCKDB_ERROR_CATALOG},
      {"Conversion Error", DUCKDB_ERROR_CONVERSION},
      {"Invalid Input Error", DUCKDB_ERROR_INVALID_INPUT},
      {"Constraint Error", DUCKDB_ERROR_CONSTRAINT},
      {"Permission Error", DUCKDB_ERROR_PERMISSION},
      {"IO Error", DUCKDB_ERROR_IO},
      {"Not implemented Error", DUCKDB_ERROR_NOT_IMPLEMENTED},
      {"Out of Range Error", DUCKDB_ERROR_OUT_OF_RANGE},
      {"Interrupt Error", DUCKDB_ERROR_INTERRUPT},
      {"Out of Memory Error", DUCKDB_ERROR_OUT_OF_MEMORY},
      {"Transaction Error", DUCKDB_ERROR_TRANSACTION},
  };
  for (const auto& p : kPrefixes) {
    if (m.substr(0, std::strlen(p.text)) == p.text) return StatusFromDuckDb(p.type, message, context);
  }
  return StatusFromDuckDb(DUCKDB_ERROR_INVALID, message, context);
}

}  // namespace medlake::engine::internal
