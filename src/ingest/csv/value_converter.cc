#include "ingest/csv/value_converter.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <system_error>

namespace medlake::ingest::csv {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Result<std::vector<TemporalFormat>> CompileAll(const std::vector<std::string>& patterns) {
  std::vector<TemporalFormat> out;
  for (const std::string& p : patterns) {
    MEDLAKE_ASSIGN_OR_RETURN(TemporalFormat f, CompileTemporalFormat(p));
    out.push_back(std::move(f));
  }
  return out;
}

Status Violation(const ColumnSpec& column, std::string_view rule) {
  return InvalidArgument("column " + column.name + ": " + std::string(rule));
}

// Splits a number written with the contract's separators into sign, integer digits, fraction
// digits and exponent. Thousands separators must group the integer part by three.
struct NumberParts {
  bool negative = false;
  std::string integer;
  std::string fraction;
  bool has_point = false;
  std::string exponent;  // digits with optional sign, doubles only
};

bool SplitNumber(std::string_view s, char decimal, char thousands, bool allow_exponent,
                 NumberParts* out) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    out->negative = s[i] == '-';
    ++i;
  }
  size_t group = 0;      // digits since the last thousands separator
  bool grouped = false;  // a thousands separator was seen
  while (i < s.size()) {
    const char c = s[i];
    if (IsDigit(c)) {
      out->integer.push_back(c);
      ++group;
    } else if (thousands != '\0' && c == thousands) {
      if (out->integer.empty() || (grouped && group != 3) || (!grouped && group > 3)) {
        return false;
      }
      grouped = true;
      group = 0;
    } else {
      break;
    }
    ++i;
  }
  if (grouped && group != 3) {
    return false;
  }
  if (i < s.size() && s[i] == decimal) {
    out->has_point = true;
    ++i;
    while (i < s.size() && IsDigit(s[i])) {
      out->fraction.push_back(s[i]);
      ++i;
    }
    if (out->fraction.empty()) {
      return false;
    }
  }
  if (out->integer.empty() && out->fraction.empty()) {
    return false;
  }
  if (allow_exponent && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      out->exponent.push_back(s[i]);
      ++i;
    }
    size_t digits = 0;
    while (i < s.size() && IsDigit(s[i])) {
      out->exponent.push_back(s[i]);
      ++i;
      ++digits;
    }
    if (digits == 0) {
      return false;
    }
  }
  return i == s.size();
}

std::string StripLeadingZeros(const std::string& digits) {
  const size_t nz = digits.find_first_not_of('0');
  return nz == std::string::npos ? "0" : digits.substr(nz);
}

}  // namespace

Result<ValueConverter> ValueConverter::Make(const SourceContract& contract) {
  ValueConverter c;
  c.contract_ = contract;
  MEDLAKE_ASSIGN_OR_RETURN(c.date_formats_, CompileAll(contract.format.date_formats));
  MEDLAKE_ASSIGN_OR_RETURN(c.time_formats_, CompileAll(contract.format.time_formats));
  MEDLAKE_ASSIGN_OR_RETURN(c.timestamp_formats_, CompileAll(contract.format.timestamp_formats));
  for (const ColumnSpec& column : contract.columns) {
    if (column.pattern.empty()) {
      c.patterns_.emplace_back();
      continue;
    }
    // std::regex reports a bad pattern by throwing: convert at this boundary.
    try {
      c.patterns_.emplace_back(std::regex(column.pattern, std::regex::ECMAScript));
    } catch (const std::regex_error&) {
      return InvalidArgument("column " + column.name + ": pattern is not a valid regex");
    }
  }
  return c;
}

Result<std::string> ValueConverter::ConvertNumber(const ColumnSpec& column,
                                                  std::string_view text) const {
  const CsvFormat& f = contract_.format;
  NumberParts parts;
  switch (column.type) {
    case ColumnType::kInteger: {
      if (!SplitNumber(text, '\0', f.thousands_separator, false, &parts) || parts.has_point ||
          parts.integer.empty()) {
        return Violation(column, "not an integer");
      }
      const std::string digits = (parts.negative ? "-" : "") + StripLeadingZeros(parts.integer);
      int64_t value = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (ec != std::errc() || end != digits.data() + digits.size()) {
        return Violation(column, "integer out of range");
      }
      return std::to_string(value);
    }
    case ColumnType::kDecimal: {
      if (!SplitNumber(text, f.decimal_separator, f.thousands_separator, false, &parts)) {
        return Violation(column, "not a decimal");
      }
      std::string integer = StripLeadingZeros(parts.integer);
      std::string fraction = parts.fraction;
      if (column.scale >= 0) {
        if (fraction.size() > static_cast<size_t>(column.scale)) {
          return Violation(column, "more fraction digits than the scale");
        }
        fraction.resize(static_cast<size_t>(column.scale), '0');
        const size_t max_integer = static_cast<size_t>(column.precision - column.scale);
        if (integer != "0" && integer.size() > max_integer) {
          return Violation(column, "more digits than the precision");
        }
      }
      const bool zero = integer == "0" && fraction.find_first_not_of('0') == std::string::npos;
      std::string out = (parts.negative && !zero ? "-" : "") + integer;
      if (!fraction.empty()) {
        out += "." + fraction;
      }
      return out;
    }
    case ColumnType::kDouble: {
      if (!SplitNumber(text, f.decimal_separator, f.thousands_separator, true, &parts)) {
        return Violation(column, "not a number");
      }
      std::string normalized =
          (parts.negative ? "-" : "") + (parts.integer.empty() ? "0" : parts.integer);
      if (!parts.fraction.empty()) {
        normalized += "." + parts.fraction;
      }
      if (!parts.exponent.empty()) {
        normalized += "e" + parts.exponent;
      }
      double value = 0;
      const auto [end, ec] =
          std::from_chars(normalized.data(), normalized.data() + normalized.size(), value);
      if (ec != std::errc() || end != normalized.data() + normalized.size()) {
        return Violation(column, "number out of range");
      }
      char buf[64];
      const auto res = std::to_chars(buf, buf + sizeof(buf), value);
      return std::string(buf, res.ptr);
    }
    default:
      return Internal("not a numeric column");
  }
}

Result<std::string> ValueConverter::ConvertNonNull(const ColumnSpec& column, size_t index,
                                                   std::string_view text) const {
  if (patterns_[index].has_value()) {
    if (text.size() > kMaxPatternInput) {
      return Violation(column, "too long for pattern");
    }
    if (!std::regex_match(text.begin(), text.end(), *patterns_[index])) {
      return Violation(column, "does not match pattern");
    }
  }
  const CsvFormat& f = contract_.format;
  TemporalValue tv;
  switch (column.type) {
    case ColumnType::kString:
      return std::string(text);
    case ColumnType::kInteger:
    case ColumnType::kDecimal:
    case ColumnType::kDouble:
      return ConvertNumber(column, text);
    case ColumnType::kDate:
      for (const TemporalFormat& fmt : date_formats_) {
        if (MatchTemporal(fmt, text, &tv)) {
          return FormatDate(tv);
        }
      }
      return Violation(column, "not a valid date in the contract's date formats");
    case ColumnType::kTime:
      for (const TemporalFormat& fmt : time_formats_) {
        if (MatchTemporal(fmt, text, &tv)) {
          return FormatTime(tv);
        }
      }
      return Violation(column, "not a valid time in the contract's time formats");
    case ColumnType::kTimestamp:
      for (const TemporalFormat& fmt : timestamp_formats_) {
        if (MatchTemporal(fmt, text, &tv)) {
          return fmt.has_date ? FormatTimestamp(tv) : FormatTime(tv);
        }
      }
      return Violation(column, "not a valid timestamp in the contract's timestamp formats");
    case ColumnType::kBoolean:
      for (const std::string& t : f.true_values) {
        if (EqualsIgnoreCase(text, t)) {
          return std::string("true");
        }
      }
      for (const std::string& t : f.false_values) {
        if (EqualsIgnoreCase(text, t)) {
          return std::string("false");
        }
      }
      return Violation(column, "not a boolean in the contract's true/false values");
    case ColumnType::kCode: {
      const std::string key(text);
      if (column.values.count(key) > 0) {
        return key;
      }
      if (!column.code_map.empty()) {
        auto it = contract_.code_maps.find(column.code_map);
        if (it != contract_.code_maps.end() && it->second.map.count(key) > 0) {
          return key;
        }
      }
      return Violation(column, "code not in the contract's values or code_map");
    }
  }
  return Internal("unknown column type");
}

Result<std::optional<std::string>> ValueConverter::Convert(size_t column,
                                                           std::string_view text) const {
  const ColumnSpec& spec = contract_.columns[column];
  const auto& nulls = contract_.format.null_values;
  if (std::find(nulls.begin(), nulls.end(), text) != nulls.end()) {
    if (spec.required) {
      return Violation(spec, "required value missing");
    }
    return std::optional<std::string>();
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::string value, ConvertNonNull(spec, column, text));
  return std::optional<std::string>(std::move(value));
}

std::string ValueConverter::ConvertRow(const std::vector<std::string>& fields,
                                       std::vector<std::optional<std::string>>* values) const {
  std::string reasons;
  values->clear();
  values->reserve(fields.size());
  for (size_t i = 0; i < fields.size() && i < contract_.columns.size(); ++i) {
    Result<std::optional<std::string>> v = Convert(i, fields[i]);
    if (v.ok()) {
      values->push_back(std::move(v).value());
      continue;
    }
    values->emplace_back();
    if (!reasons.empty()) {
      reasons += "; ";
    }
    reasons += v.status().message();
  }
  return reasons;
}

}  // namespace medlake::ingest::csv
