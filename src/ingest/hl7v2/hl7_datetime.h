// ingest/hl7v2/hl7_datetime.h: the HL7 v2 DTM (and TS.1) date/time type.
//
// Part of ingest/hl7v2. Format (HL7 v2.5 chapter 2A, DTM):
//   YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]
// A value without an offset is read as UTC and flagged, so callers can tell "UTC by declaration"
// from "UTC by assumption" (the sender's local time is unknown to us).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace medlake::ingest::hl7v2 {

// How much of a DTM was given.
enum class Hl7DateTimePrecision { kYear, kMonth, kDay, kHour, kMinute, kSecond, kFraction };

struct Hl7DateTime {
  int64_t utc_micros = 0;      // microseconds since 1970-01-01T00:00:00Z (offset applied)
  bool offset_missing = true;  // no +/-ZZZZ: the value was taken as UTC
  int offset_minutes = 0;      // the declared offset east of UTC (0 when missing)
  Hl7DateTimePrecision precision = Hl7DateTimePrecision::kYear;
};

// Parses a DTM. Missing parts default to the start of the period (month 1, day 1, 00:00:00).
// Returns InvalidArgument "hl7.data_type_error: ..." for anything else: wrong length, non-digits,
// out-of-range month/day/hour/minute/second, an offset beyond +/-14:59. The error never repeats
// the value.
Result<Hl7DateTime> ParseHl7DateTime(std::string_view dtm);

// Formats `utc_micros` as a DTM to the second with a +0000 offset: "20240131235959+0000".
std::string FormatHl7DateTime(int64_t utc_micros);

}  // namespace medlake::ingest::hl7v2
