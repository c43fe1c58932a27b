// Date, DateTime and Time values of the FHIRPath engine: parsing of the FHIR / FHIRPath text
// forms, precision-aware comparison (FHIRPath N1 "Comparison" on Date/DateTime/Time) and
// lowBoundary()/highBoundary().
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "pipeline/sof/fhirpath_internal.h"

#include "core/civil_date.h"

namespace medlake::pipeline::sof::internal {
namespace {

bool IsDigit(char c) { return IsAsciiDigit(c); }

bool ReadDigits(std::string_view s, size_t* pos, size_t n, int* value) { return ReadFixedDigits(s, pos, n, value); }

// CivilFromDays into the int fields of a Temporal.
void CivilFromDays(int64_t days, int* year, int* month, int* day) {
  int64_t y = 0, m = 0, d = 0;
  ::medlake::CivilFromDays(days, &y, &m, &d);
  *year = static_cast<int>(y);
  *month = static_cast<int>(m);
  *day = static_cast<int>(d);
}

// Parses "hh[:mm[:ss[.fff...]]]" at *pos into `t` (precision 4..7).
bool ParseTimePart(std::string_view s, size_t* pos, Temporal* t) {
  if (!ReadDigits(s, pos, 2, &t->hour) || t->hour > 23) {
    return false;
  }
  t->precision = 4;
  if (*pos < s.size() && s[*pos] == ':') {
    ++*pos;
    if (!ReadDigits(s, pos, 2, &t->minute) || t->minute > 59) {
      return false;
    }
    t->precision = 5;
    if (*pos < s.size() && s[*pos] == ':') {
      ++*pos;
      if (!ReadDigits(s, pos, 2, &t->second) || t->second > 59) {
        return false;
      }
      t->precision = 6;
      if (*pos < s.size() && s[*pos] == '.') {
        ++*pos;
        size_t digits = 0;
        int millis = 0;
        while (*pos < s.size() && IsDigit(s[*pos])) {
          if (digits < 3) {
            millis = millis * 10 + (s[*pos] - '0');
          }
          ++digits;
          ++*pos;
        }
        if (digits == 0) {
          return false;
        }
        for (size_t i = digits; i < 3; ++i) {
          millis *= 10;
        }
        t->millisecond = millis;
        t->precision = 7;
      }
    }
  }
  return true;
}

bool ParseOffset(std::string_view s, size_t* pos, Temporal* t) {
  if (*pos >= s.size()) {
    return true;
  }
  if (s[*pos] == 'Z') {
    ++*pos;
    t->has_offset = true;
    t->zulu = true;
    return true;
  }
  if (s[*pos] != '+' && s[*pos] != '-') {
    return false;
  }
  const int sign = s[*pos] == '-' ? -1 : 1;
  ++*pos;
  int hh = 0;
  int mm = 0;
  if (!ReadDigits(s, pos, 2, &hh) || *pos >= s.size() || s[*pos] != ':') {
    return false;
  }
  ++*pos;
  if (!ReadDigits(s, pos, 2, &mm) || hh > 14 || mm > 59) {
    return false;
  }
  t->has_offset = true;
  t->offset_minutes = sign * (hh * 60 + mm);
  return true;
}

// Minutes since the epoch of a value with at least hour precision (missing minute = 0).
int64_t EpochMinutes(const Temporal& t) {
  return DaysFromCivil(t.year, t.month, t.day) * 1440 + t.hour * 60 + t.minute;
}

// Shifts a dateTime with an offset to UTC (same precision).
Temporal ToUtc(const Temporal& t) {
  Temporal u = t;
  const int64_t minutes = EpochMinutes(t) - t.offset_minutes;
  int64_t days = minutes / 1440;
  int64_t rest = minutes % 1440;
  if (rest < 0) {
    rest += 1440;
    --days;
  }
  CivilFromDays(days, &u.year, &u.month, &u.day);
  u.hour = static_cast<int>(rest / 60);
  u.minute = static_cast<int>(rest % 60);
  u.offset_minutes = 0;
  return u;
}

std::string FormatOffset(const Temporal& t) {
  if (t.zulu) {
    return "Z";
  }
  const int abs_minutes = t.offset_minutes < 0 ? -t.offset_minutes : t.offset_minutes;
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%c%02d:%02d", t.offset_minutes < 0 ? '-' : '+', abs_minutes / 60,
                abs_minutes % 60);
  return buf;
}

}  // namespace

std::optional<TemporalKind> GuessTemporalKind(std::string_view text) {
  if (text.size() >= 2 && IsDigit(text[0]) && IsDigit(text[1]) &&
      (text.size() == 2 || text[2] == ':')) {
    return TemporalKind::kTime;
  }
  if (text.size() < 4 || !IsDigit(text[0]) || !IsDigit(text[1]) || !IsDigit(text[2]) ||
      !IsDigit(text[3])) {
    return std::nullopt;
  }
  if (text.find('T') != std::string_view::npos) {
    return TemporalKind::kDateTime;
  }
  return TemporalKind::kDate;
}

std::optional<Temporal> ParseTemporal(std::string_view s, TemporalKind kind) {
  Temporal t;
  t.kind = kind;
  size_t pos = 0;
  if (kind == TemporalKind::kTime) {
    if (!ParseTimePart(s, &pos, &t) || pos != s.size()) {
      return std::nullopt;
    }
    return t;
  }
  if (!ReadDigits(s, &pos, 4, &t.year)) {
    return std::nullopt;
  }
  t.precision = 1;
  if (pos < s.size() && s[pos] == '-') {
    ++pos;
    if (!ReadDigits(s, &pos, 2, &t.month) || t.month < 1 || t.month > 12) {
      return std::nullopt;
    }
    t.precision = 2;
    if (pos < s.size() && s[pos] == '-') {
      ++pos;
      if (!ReadDigits(s, &pos, 2, &t.day) || t.day < 1 || t.day > DaysInMonth(t.year, t.month)) {
        return std::nullopt;
      }
      t.precision = 3;
    }
  }
  if (pos < s.size() && s[pos] == 'T') {
    if (kind == TemporalKind::kDate || t.precision != 3) {
      return std::nullopt;
    }
    ++pos;
    // FHIRPath allows "@2020-01-02T" (dateTime at day precision).
    if (pos < s.size() && IsDigit(s[pos])) {
      if (!ParseTimePart(s, &pos, &t) || !ParseOffset(s, &pos, &t)) {
        return std::nullopt;
      }
    }
  }
  if (pos != s.size()) {
    return std::nullopt;
  }
  return t;
}

std::optional<int> CompareTemporal(const Temporal& a_in, const Temporal& b_in) {
  if ((a_in.kind == TemporalKind::kTime) != (b_in.kind == TemporalKind::kTime)) {
    return std::nullopt;
  }
  Temporal a = a_in;
  Temporal b = b_in;
  if (a.kind != TemporalKind::kTime && a.has_offset && b.has_offset && a.precision >= 4 &&
      b.precision >= 4) {
    a = ToUtc(a);
    b = ToUtc(b);
  }
  // Seconds and fractions are one precision (FHIRPath: "seconds and milliseconds are
  // considered a single precision using a decimal").
  const int pa = a.precision == 7 ? 6 : a.precision;
  const int pb = b.precision == 7 ? 6 : b.precision;
  const int first = a.kind == TemporalKind::kTime ? 4 : 1;
  const int common = pa < pb ? pa : pb;
  for (int level = first; level <= common; ++level) {
    int va = 0;
    int vb = 0;
    switch (level) {
      case 1:
        va = a.year;
        vb = b.year;
        break;
      case 2:
        va = a.month;
        vb = b.month;
        break;
      case 3:
        va = a.day;
        vb = b.day;
        break;
      case 4:
        va = a.hour;
        vb = b.hour;
        break;
      case 5:
        va = a.minute;
        vb = b.minute;
        break;
      default:
        va = a.second * 1000 + a.millisecond;
        vb = b.second * 1000 + b.millisecond;
        break;
    }
    if (va != vb) {
      return va < vb ? -1 : 1;
    }
  }
  if (pa != pb) {
    return std::nullopt;
  }
  return 0;
}

std::string FormatTemporal(const Temporal& t) {
  char buf[64];
  std::string out;
  if (t.kind != TemporalKind::kTime) {
    std::snprintf(buf, sizeof(buf), "%04d", t.year);
    out += buf;
    if (t.precision >= 2) {
      std::snprintf(buf, sizeof(buf), "-%02d", t.month);
      out += buf;
    }
    if (t.precision >= 3) {
      std::snprintf(buf, sizeof(buf), "-%02d", t.day);
      out += buf;
    }
    if (t.precision >= 4) {
      out += 'T';
    }
  }
  if (t.precision >= 4) {
    std::snprintf(buf, sizeof(buf), "%02d", t.hour);
    out += buf;
  }
  if (t.precision >= 5) {
    std::snprintf(buf, sizeof(buf), ":%02d", t.minute);
    out += buf;
  }
  if (t.precision >= 6) {
    std::snprintf(buf, sizeof(buf), ":%02d", t.second);
    out += buf;
  }
  if (t.precision >= 7) {
    std::snprintf(buf, sizeof(buf), ".%03d", t.millisecond);
    out += buf;
  }
  if (t.kind == TemporalKind::kDateTime && t.precision >= 4 && t.has_offset) {
    out += FormatOffset(t);
  }
  return out;
}

std::string TemporalBoundary(const Temporal& value, bool high) {
  Temporal t = value;
  if (t.kind != TemporalKind::kTime) {
    if (t.precision < 2) {
      t.month = high ? 12 : 1;
    }
    if (t.precision < 3) {
      t.day = high ? DaysInMonth(t.year, t.month) : 1;
    }
  }
  if (t.kind == TemporalKind::kDate) {
    t.precision = 3;
    return FormatTemporal(t);
  }
  if (t.precision < 4) {
    t.hour = high ? 23 : 0;
  }
  if (t.precision < 5) {
    t.minute = high ? 59 : 0;
  }
  if (t.precision < 6) {
    t.second = high ? 59 : 0;
  }
  if (t.precision < 7) {
    t.millisecond = high ? 999 : 0;
  }
  t.precision = 7;
  if (t.kind == TemporalKind::kDateTime && !t.has_offset) {
    // Unknown offset: the earliest instant is at +14:00, the latest at -12:00.
    t.has_offset = true;
    t.zulu = false;
    t.offset_minutes = high ? -12 * 60 : 14 * 60;
  }
  return FormatTemporal(t);
}

}  // namespace medlake::pipeline::sof::internal
