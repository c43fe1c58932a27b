#include "synth/calendar.h"

namespace medlake::synth {

Date DateFromYmd(int year, int month, int day) {
  // Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms", days_from_civil.
  year -= month <= 2 ? 1 : 0;
  const int era = (year >= 0 ? year : year - 399) / 400;
  const int yoe = year - era * 400;
  const int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Ymd YmdFromDate(Date d) {
  const int z = d + 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const int doe = z - era * 146097;
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  Ymd out;
  out.day = doy - (153 * mp + 2) / 5 + 1;
  out.month = mp + (mp < 10 ? 3 : -9);
  out.year = yoe + era * 400 + (out.month <= 2 ? 1 : 0);
  return out;
}

int Weekday(Date d) {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  const int w = (d + 3) % 7;
  return w < 0 ? w + 7 : w;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

int AgeInYears(Date birth, Date on) {
  const Ymd b = YmdFromDate(birth);
  const Ymd o = YmdFromDate(on);
  int age = o.year - b.year;
  if (o.month < b.month || (o.month == b.month && o.day < b.day))
    --age;
  return age;
}

std::optional<Date> ParseIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-')
    return std::nullopt;
  int parts[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8};
  const size_t lens[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (size_t i = 0; i < lens[p]; ++i) {
      const char c = text[starts[p] + i];
      if (c < '0' || c > '9')
        return std::nullopt;
      parts[p] = parts[p] * 10 + (c - '0');
    }
  }
  if (parts[1] < 1 || parts[1] > 12)
    return std::nullopt;
  if (parts[2] < 1 || parts[2] > DaysInMonth(parts[0], parts[1]))
    return std::nullopt;
  return DateFromYmd(parts[0], parts[1], parts[2]);
}

namespace {

Date LastSunday(int year, int month) {
  Date d = DateFromYmd(year, month, DaysInMonth(year, month));
  return d - (Weekday(d) + 1) % 7;
}

}  // namespace

int MadridUtcOffsetMinutes(LocalTime t) {
  // Summer time runs from 02:00 local (01:00 UTC) on the last Sunday of March to 03:00 local
  // (01:00 UTC) on the last Sunday of October (Directive 2000/84/EC).
  const int year = YmdFromDate(DateOf(t)).year;
  const LocalTime begins = AtTime(LastSunday(year, 3), 2, 0);
  const LocalTime ends = AtTime(LastSunday(year, 10), 3, 0);
  return (t >= begins && t < ends) ? 120 : 60;
}

namespace {

// Writes `value` as exactly `width` decimal digits at `p` (callers keep values in range).
char* Digits(char* p, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return p + width;
}

struct Parts {
  Ymd ymd;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int offset = 60;
};

Parts Split(LocalTime t) {
  Parts p;
  const Date d = DateOf(t);
  p.ymd = YmdFromDate(d);
  const int secs = static_cast<int>(t - static_cast<LocalTime>(d) * 86400);
  p.hour = secs / 3600;
  p.minute = secs / 60 % 60;
  p.second = secs % 60;
  p.offset = MadridUtcOffsetMinutes(t);
  return p;
}

}  // namespace

std::string FormatIsoDate(Date d) {
  const Ymd y = YmdFromDate(d);
  char buf[10];
  char* p = Digits(buf, y.year, 4);
  *p++ = '-';
  p = Digits(p, y.month, 2);
  *p++ = '-';
  Digits(p, y.day, 2);
  return std::string(buf, 10);
}

std::string FormatHl7Date(Date d) {
  const Ymd y = YmdFromDate(d);
  char buf[8];
  char* p = Digits(buf, y.year, 4);
  p = Digits(p, y.month, 2);
  Digits(p, y.day, 2);
  return std::string(buf, 8);
}

std::string FormatSpanishDate(Date d) {
  const Ymd y = YmdFromDate(d);
  char buf[10];
  char* p = Digits(buf, y.day, 2);
  *p++ = '/';
  p = Digits(p, y.month, 2);
  *p++ = '/';
  Digits(p, y.year, 4);
  return std::string(buf, 10);
}

std::string FormatHl7DateTime(LocalTime t) {
  const Parts x = Split(t);
  char buf[19];
  char* p = Digits(buf, x.ymd.year, 4);
  p = Digits(p, x.ymd.month, 2);
  p = Digits(p, x.ymd.day, 2);
  p = Digits(p, x.hour, 2);
  p = Digits(p, x.minute, 2);
  p = Digits(p, x.second, 2);
  *p++ = '+';
  p = Digits(p, x.offset / 60, 2);
  Digits(p, x.offset % 60, 2);
  return std::string(buf, 19);
}

std::string FormatFhirDateTime(LocalTime t) {
  const Parts x = Split(t);
  char buf[25];
  char* p = Digits(buf, x.ymd.year, 4);
  *p++ = '-';
  p = Digits(p, x.ymd.month, 2);
  *p++ = '-';
  p = Digits(p, x.ymd.day, 2);
  *p++ = 'T';
  p = Digits(p, x.hour, 2);
  *p++ = ':';
  p = Digits(p, x.minute, 2);
  *p++ = ':';
  p = Digits(p, x.second, 2);
  *p++ = '+';
  p = Digits(p, x.offset / 60, 2);
  *p++ = ':';
  Digits(p, x.offset % 60, 2);
  return std::string(buf, 25);
}

}  // namespace medlake::synth
