#include "ingest/csv/temporal_format.h"

#include <cstdint>
#include <cstdio>

#include "core/civil_date.h"

namespace medlake::ingest::csv {
namespace {

using Field = TemporalFormat::Field;
using Token = TemporalFormat::Token;

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return IsAsciiDigit(c); }

void AddLiteral(std::vector<Token>* tokens, std::string_view text) {
  if (!tokens->empty() && tokens->back().field == Field::kLiteral) {
    tokens->back().literal.append(text);
    return;
  }
  Token t;
  t.literal = std::string(text);
  tokens->push_back(std::move(t));
}

Token Numeric(Field field, int min_digits, int max_digits) {
  Token t;
  t.field = field;
  t.min_digits = min_digits;
  t.max_digits = max_digits;
  return t;
}

Status CompileLdml(std::string_view p, std::vector<Token>* tokens) {
  size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    if (c == '\'') {
      const size_t end = p.find('\'', i + 1);
      if (end == std::string_view::npos) {
        return InvalidArgument("unterminated quote in date/time pattern");
      }
      AddLiteral(tokens, end == i + 1 ? std::string_view("'") : p.substr(i + 1, end - i - 1));
      i = end + 1;
      continue;
    }
    if (!IsLetter(c)) {
      AddLiteral(tokens, p.substr(i, 1));
      ++i;
      continue;
    }
    size_t n = 1;
    while (i + n < p.size() && p[i + n] == c) {
      ++n;
    }
    const int count = static_cast<int>(n);
    switch (c) {
      case 'y':
      case 'u':
        if (count != 4) {
          return InvalidArgument("date/time pattern: only four-digit years (yyyy) are supported");
        }
        tokens->push_back(Numeric(Field::kYear, 4, 4));
        break;
      case 'M':
        if (count > 2) {
          return InvalidArgument("date/time pattern: month names (MMM) are not supported");
        }
        tokens->push_back(Numeric(Field::kMonth, count, 2));
        break;
      case 'd':
        if (count > 2) {
          return InvalidArgument("date/time pattern: bad day field");
        }
        tokens->push_back(Numeric(Field::kDay, count, 2));
        break;
      case 'H':
        if (count > 2) {
          return InvalidArgument("date/time pattern: bad hour field");
        }
        tokens->push_back(Numeric(Field::kHour, count, 2));
        break;
      case 'm':
        if (count != 2) {
          return InvalidArgument("date/time pattern: minutes must be mm");
        }
        tokens->push_back(Numeric(Field::kMinute, 2, 2));
        break;
      case 's':
        if (count != 2) {
          return InvalidArgument("date/time pattern: seconds must be ss");
        }
        tokens->push_back(Numeric(Field::kSecond, 2, 2));
        break;
      case 'S':
        if (count > 9) {
          return InvalidArgument("date/time pattern: at most 9 fraction digits");
        }
        tokens->push_back(Numeric(Field::kFraction, count, count));
        break;
      default:
        return InvalidArgument(std::string("date/time pattern: unsupported letter '") + c + "'");
    }
    i += n;
  }
  return Status::OK();
}

Status CompileStrftime(std::string_view p, std::vector<Token>* tokens) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '%') {
      AddLiteral(tokens, p.substr(i, 1));
      continue;
    }
    if (++i >= p.size()) {
      return InvalidArgument("date/time pattern ends with '%'");
    }
    switch (p[i]) {
      case 'Y':
        tokens->push_back(Numeric(Field::kYear, 4, 4));
        break;
      case 'm':
        tokens->push_back(Numeric(Field::kMonth, 2, 2));
        break;
      case 'd':
        tokens->push_back(Numeric(Field::kDay, 2, 2));
        break;
      case 'H':
        tokens->push_back(Numeric(Field::kHour, 2, 2));
        break;
      case 'M':
        tokens->push_back(Numeric(Field::kMinute, 2, 2));
        break;
      case 'S':
        tokens->push_back(Numeric(Field::kSecond, 2, 2));
        break;
      case 'f':
        tokens->push_back(Numeric(Field::kFraction, 1, 9));
        break;
      case 'F':
        MEDLAKE_RETURN_IF_ERROR(CompileStrftime("%Y-%m-%d", tokens));
        break;
      case 'T':
        MEDLAKE_RETURN_IF_ERROR(CompileStrftime("%H:%M:%S", tokens));
        break;
      case '%':
        AddLiteral(tokens, "%");
        break;
      case 'y':
        return InvalidArgument("date/time pattern: two-digit years (%y) are not supported");
      default:
        return InvalidArgument(std::string("date/time pattern: unsupported conversion '%") + p[i] +
                               "'");
    }
  }
  return Status::OK();
}

}  // namespace

Result<TemporalFormat> CompileTemporalFormat(std::string_view pattern) {
  if (pattern.empty()) {
    return InvalidArgument("empty date/time pattern");
  }
  TemporalFormat format;
  if (pattern.find('%') != std::string_view::npos) {
    MEDLAKE_RETURN_IF_ERROR(CompileStrftime(pattern, &format.tokens));
  } else {
    MEDLAKE_RETURN_IF_ERROR(CompileLdml(pattern, &format.tokens));
  }
  int seen[7] = {0, 0, 0, 0, 0, 0, 0};
  for (const Token& t : format.tokens) {
    if (t.field != Field::kLiteral && ++seen[static_cast<int>(t.field)] > 1) {
      return InvalidArgument("date/time pattern repeats a field");
    }
  }
  const bool year = seen[0] > 0;
  const bool month = seen[1] > 0;
  const bool day = seen[2] > 0;
  if ((year || month || day) && !(year && month && day)) {
    return InvalidArgument("date/time pattern must have year, month and day together");
  }
  const bool hour = seen[3] > 0;
  const bool minute = seen[4] > 0;
  if ((hour || minute || seen[5] > 0 || seen[6] > 0) && !(hour && minute)) {
    return InvalidArgument("date/time pattern must have hour and minute together");
  }
  if (seen[6] > 0 && seen[5] == 0) {
    return InvalidArgument("date/time pattern has a fraction without seconds");
  }
  format.has_date = year;
  format.has_time = hour;
  if (!format.has_date && !format.has_time) {
    return InvalidArgument("date/time pattern has no date or time fields");
  }
  return format;
}

bool MatchTemporal(const TemporalFormat& format, std::string_view text, TemporalValue* out) {
  TemporalValue v;
  size_t pos = 0;
  for (size_t ti = 0; ti < format.tokens.size(); ++ti) {
    const Token& t = format.tokens[ti];
    if (t.field == Field::kLiteral) {
      if (text.substr(pos, t.literal.size()) != t.literal) {
        return false;
      }
      pos += t.literal.size();
      continue;
    }
    int digits = 0;
    int64_t value = 0;
    while (digits < t.max_digits && pos < text.size() && IsDigit(text[pos])) {
      value = value * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits < t.min_digits) {
      return false;
    }
    switch (t.field) {
      case Field::kYear:
        v.year = static_cast<int>(value);
        break;
      case Field::kMonth:
        v.month = static_cast<int>(value);
        break;
      case Field::kDay:
        v.day = static_cast<int>(value);
        break;
      case Field::kHour:
        v.hour = static_cast<int>(value);
        break;
      case Field::kMinute:
        v.minute = static_cast<int>(value);
        break;
      case Field::kSecond:
        v.second = static_cast<int>(value);
        break;
      case Field::kFraction: {
        int64_t micros = value;
        for (int d = digits; d < 6; ++d) {
          micros *= 10;
        }
        for (int d = digits; d > 6; --d) {
          micros /= 10;
        }
        v.micros = static_cast<int>(micros);
        v.has_fraction = true;
        break;
      }
      case Field::kLiteral:
        break;
    }
  }
  if (pos != text.size()) {
    return false;
  }
  if (format.has_date && (v.year < 1 || v.month < 1 || v.month > 12 || v.day < 1 ||
                          v.day > DaysInMonth(v.year, v.month))) {
    return false;
  }
  if (v.hour > 23 || v.minute > 59 || v.second > 59) {
    return false;
  }
  *out = v;
  return true;
}

std::string FormatDate(const TemporalValue& v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", v.year, v.month, v.day);
  return buf;
}

std::string FormatTime(const TemporalValue& v) {
  char buf[24];
  if (v.has_fraction) {
    std::snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%06d", v.hour, v.minute, v.second, v.micros);
  } else {
    std::snprintf(buf, sizeof(buf), "%02d:%02d:%02d", v.hour, v.minute, v.second);
  }
  return buf;
}

std::string FormatTimestamp(const TemporalValue& v) { return FormatDate(v) + "T" + FormatTime(v); }

}  // namespace medlake::ingest::csv
