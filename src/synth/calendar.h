// synth/calendar.h: dates and local times for the generator, without the C library's clock.
//
// A `Date` counts days since 1970-01-01 in the proleptic Gregorian calendar (Hinnant's
// days_from_civil algorithm). A `LocalTime` is seconds since 1970-01-01T00:00 wall-clock time in
// Madrid; its UTC offset (+01:00, or +02:00 in summer time, EU rule: last Sunday of March to last
// Sunday of October, 01:00 UTC) is computed here rather than by the C library's time zone
// database, so output is identical on every machine.
//
// Thread-safety: pure functions on values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace medlake::synth {

struct Ymd {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

using Date = int32_t;       // days since 1970-01-01
using LocalTime = int64_t;  // seconds since 1970-01-01T00:00:00 Madrid wall-clock time

Date DateFromYmd(int year, int month, int day);
Ymd YmdFromDate(Date d);
// Day of week, 0 = Monday .. 6 = Sunday.
int Weekday(Date d);
int DaysInMonth(int year, int month);
// Whole years from `birth` to `on` (age on that day).
int AgeInYears(Date birth, Date on);
// Parses "YYYY-MM-DD"; nullopt when malformed or not a real date.
std::optional<Date> ParseIsoDate(std::string_view text);

inline LocalTime AtTime(Date d, int hour, int minute, int second = 0) {
  return static_cast<LocalTime>(d) * 86400 + hour * 3600 + minute * 60 + second;
}
inline Date DateOf(LocalTime t) {
  return static_cast<Date>(t >= 0 ? t / 86400 : (t - 86399) / 86400);
}
// Minutes east of UTC of Madrid's wall clock at local time `t` (60 or 120).
int MadridUtcOffsetMinutes(LocalTime t);

// Formats. "Hl7" forms follow HL7 v2.5 DT/DTM; "Fhir" forms follow FHIR R4 date/dateTime.
std::string FormatIsoDate(Date d);            // 2024-03-09
std::string FormatHl7Date(Date d);            // 20240309
std::string FormatSpanishDate(Date d);        // 09/03/2024
std::string FormatHl7DateTime(LocalTime t);   // 20240309143000+0100
std::string FormatFhirDateTime(LocalTime t);  // 2024-03-09T14:30:00+01:00

}  // namespace medlake::synth
