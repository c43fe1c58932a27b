#include "ingest/fhir/fhir_datetime.h"

#include <string>

#include "core/civil_date.h"

namespace medlake::ingest::fhir {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;

bool IsDigit(char c) { return IsAsciiDigit(c); }

bool ReadDigits(std::string_view s, size_t* pos, size_t n, int* out) { return ReadFixedDigits(s, pos, n, out); }

Status Bad(std::string_view what) {
  return InvalidArgument("not a valid FHIR " + std::string(what));
}

Result<FhirDateTime> Parse(std::string_view s, bool instant) {
  const std::string_view kind = instant ? "instant" : "dateTime";
  size_t pos = 0;
  int year = 0;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int64_t fraction_micros = 0;
  FhirDateTime out;
  // R4 grammar: the year is four digits and not 0000.
  if (!ReadDigits(s, &pos, 4, &year) || year == 0) {
    return Bad(kind);
  }
  out.precision = DateTimePrecision::kYear;
  if (pos < s.size()) {
    if (s[pos] != '-' || (++pos, !ReadDigits(s, &pos, 2, &month)) || month < 1 || month > 12) {
      return Bad(kind);
    }
    out.precision = DateTimePrecision::kMonth;
  }
  if (pos < s.size()) {
    if (s[pos] != '-' || (++pos, !ReadDigits(s, &pos, 2, &day)) || day < 1 ||
        day > DaysInMonth(year, month)) {
      return Bad(kind);
    }
    out.precision = DateTimePrecision::kDay;
  }
  if (pos < s.size()) {
    if (s[pos] != 'T') {
      return Bad(kind);
    }
    ++pos;
    if (!ReadDigits(s, &pos, 2, &hour) || hour > 23 || pos >= s.size() || s[pos++] != ':' ||
        !ReadDigits(s, &pos, 2, &minute) || minute > 59 || pos >= s.size() || s[pos++] != ':' ||
        !ReadDigits(s, &pos, 2, &second) || second > 60) {
      return Bad(kind);
    }
    if (second == 60) {
      second = 59;  // leap second: FHIR allows it, UTC micros cannot express it
    }
    out.precision = DateTimePrecision::kSecond;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      size_t digits = 0;
      int64_t scale = 100'000;
      while (pos < s.size() && IsDigit(s[pos])) {
        if (scale > 0) {
          fraction_micros += (s[pos] - '0') * scale;
          scale /= 10;
        }
        ++pos;
        ++digits;
      }
      if (digits == 0) {
        return Bad(kind);
      }
      out.precision = DateTimePrecision::kFraction;
    }
    // The offset is required whenever a time is present.
    if (pos >= s.size()) {
      return Bad(kind);
    }
    int64_t offset_minutes = 0;
    if (s[pos] == 'Z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      const bool negative = s[pos] == '-';
      ++pos;
      int oh = 0;
      int om = 0;
      if (!ReadDigits(s, &pos, 2, &oh) || pos >= s.size() || s[pos++] != ':' ||
          !ReadDigits(s, &pos, 2, &om) || om > 59 || oh > 14 || (oh == 14 && om != 0)) {
        return Bad(kind);
      }
      offset_minutes = (negative ? -1 : 1) * (oh * 60 + om);
    } else {
      return Bad(kind);
    }
    if (pos != s.size()) {
      return Bad(kind);
    }
    out.has_offset = true;
    const int64_t days =
        DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    out.utc_micros = seconds * kMicrosPerSecond + fraction_micros;
    return out;
  }
  if (instant) {
    return Bad(kind);
  }
  out.utc_micros = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) *
                   86400 * kMicrosPerSecond;
  return out;
}

}  // namespace

std::string_view DateTimePrecisionName(DateTimePrecision precision) {
  switch (precision) {
    case DateTimePrecision::kYear:
      return "year";
    case DateTimePrecision::kMonth:
      return "month";
    case DateTimePrecision::kDay:
      return "day";
    case DateTimePrecision::kSecond:
      return "second";
    case DateTimePrecision::kFraction:
      return "fraction";
  }
  return "unknown";
}

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  return ::medlake::DaysFromCivil(year, month, day);
}

Result<FhirDateTime> ParseFhirDateTime(std::string_view text) { return Parse(text, false); }

Result<FhirDateTime> ParseFhirInstant(std::string_view text) { return Parse(text, true); }

}  // namespace medlake::ingest::fhir
