// core/civil_date.h: proleptic Gregorian calendar arithmetic and fixed-width digit reading,
// shared by the date/time parsers (HL7 v2, FHIR, FHIRPath, CSV contracts).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace medlake {

inline bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` ASCII digits of `s` at `*pos` into `*value` and advances `*pos`; false (and
// nothing changed) when fewer than `n` digits are there. `n` must be at most 9.
bool ReadFixedDigits(std::string_view s, size_t* pos, size_t n, int* value);

bool IsLeapYear(int64_t year);

// Days in `month` (1..12) of `year`.
int DaysInMonth(int64_t year, int64_t month);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31), and back
// (H. Hinnant's days_from_civil / civil_from_days algorithms).
int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day);
void CivilFromDays(int64_t days, int64_t* year, int64_t* month, int64_t* day);

}  // namespace medlake
