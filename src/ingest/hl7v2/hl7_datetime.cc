#include "ingest/hl7v2/hl7_datetime.h"

#include <cstdio>

#include "core/civil_date.h"

namespace medlake::ingest::hl7v2 {
namespace {

bool AllDigits(std::string_view s) {
  for (char ch : s) {
    if (ch < '0' || ch > '9') {
      return false;
    }
  }
  return true;
}

int64_t Num(std::string_view s) {
  int64_t v = 0;
  for (char ch : s) {
    v = v * 10 + (ch - '0');
  }
  return v;
}

Status Bad(const char* why) {
  return InvalidArgument(std::string("hl7.data_type_error: not a valid DTM (") + why + ")");
}

}  // namespace

Result<Hl7DateTime> ParseHl7DateTime(std::string_view dtm) {
  Hl7DateTime out;
  std::string_view offset;
  const size_t sign = dtm.find_first_of("+-");
  std::string_view main = dtm;
  if (sign != std::string_view::npos) {
    offset = dtm.substr(sign);
    main = dtm.substr(0, sign);
  }
  std::string_view fraction;
  const size_t dot = main.find('.');
  if (dot != std::string_view::npos) {
    fraction = main.substr(dot + 1);
    main = main.substr(0, dot);
    if (main.size() != 14) {
      return Bad("fraction without seconds");
    }
    if (fraction.empty() || fraction.size() > 4 || !AllDigits(fraction)) {
      return Bad("fraction must be 1 to 4 digits");
    }
  }
  const size_t len = main.size();
  if ((len != 4 && len != 6 && len != 8 && len != 10 && len != 12 && len != 14) ||
      !AllDigits(main)) {
    return Bad("expected YYYY[MM[DD[HH[MM[SS]]]]]");
  }
  const int64_t year = Num(main.substr(0, 4));
  const int64_t month = len >= 6 ? Num(main.substr(4, 2)) : 1;
  const int64_t day = len >= 8 ? Num(main.substr(6, 2)) : 1;
  const int64_t hour = len >= 10 ? Num(main.substr(8, 2)) : 0;
  const int64_t minute = len >= 12 ? Num(main.substr(10, 2)) : 0;
  const int64_t second = len >= 14 ? Num(main.substr(12, 2)) : 0;
  if (month < 1 || month > 12) {
    return Bad("month out of range");
  }
  if (day < 1 || day > DaysInMonth(year, month)) {
    return Bad("day out of range");
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return Bad("time out of range");
  }
  static constexpr Hl7DateTimePrecision kByLength[] = {
      Hl7DateTimePrecision::kYear, Hl7DateTimePrecision::kMonth,  Hl7DateTimePrecision::kDay,
      Hl7DateTimePrecision::kHour, Hl7DateTimePrecision::kMinute, Hl7DateTimePrecision::kSecond};
  out.precision = fraction.empty() ? kByLength[(len - 4) / 2] : Hl7DateTimePrecision::kFraction;
  int64_t micros = 0;
  for (size_t i = 0; i < 6; ++i) {
    micros = micros * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  if (!offset.empty()) {
    if (offset.size() != 5 || !AllDigits(offset.substr(1))) {
      return Bad("offset must be +/-HHMM");
    }
    const int64_t oh = Num(offset.substr(1, 2));
    const int64_t om = Num(offset.substr(3, 2));
    if (oh > 14 || om > 59) {
      return Bad("offset out of range");
    }
    out.offset_minutes = static_cast<int>((oh * 60 + om) * (offset[0] == '-' ? -1 : 1));
    out.offset_missing = false;
  }
  const int64_t seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                          second - int64_t{out.offset_minutes} * 60;
  out.utc_micros = seconds * 1'000'000 + micros;
  return out;
}

std::string FormatHl7DateTime(int64_t utc_micros) {
  int64_t seconds = utc_micros / 1'000'000;
  if (utc_micros % 1'000'000 < 0) {
    --seconds;
  }
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y = 0;
  int64_t m = 0;
  int64_t d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld%02lld%02lld%02lld%02lld%02lld+0000",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60));
  return buf;
}

}  // namespace medlake::ingest::hl7v2
