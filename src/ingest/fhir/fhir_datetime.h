// ingest/fhir/fhir_datetime.h: FHIR R4 date, dateTime and instant values as UTC microseconds.
//
// FHIR R4 section 2.24.0.1 ("Primitive Types"): a dateTime is YYYY, YYYY-MM, YYYY-MM-DD or
// YYYY-MM-DDThh:mm:ss(.fraction)(Z|+hh:mm|-hh:mm); when a time is given the offset is required.
// An instant is a dateTime with at least seconds and an offset. Part of medlake::ingest_fhir;
// used by fhir_resource.h to fill the raw table's lastUpdated and effective-time columns.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace medlake::ingest::fhir {

// How much of the value was given. Partial values stand for the start of the period.
enum class DateTimePrecision { kYear, kMonth, kDay, kSecond, kFraction };

struct FhirDateTime {
  // Microseconds since 1970-01-01T00:00:00Z. A value without an offset (a partial date) is read
  // as UTC; a fraction finer than microseconds is truncated; leap second 60 is read as 59.
  int64_t utc_micros = 0;
  DateTimePrecision precision = DateTimePrecision::kYear;
  bool has_offset = false;  // true when the text carried Z or +hh:mm/-hh:mm
};

// Returns the name of `precision` ("year", "month", "day", "second", "fraction").
std::string_view DateTimePrecisionName(DateTimePrecision precision);

// Parses a FHIR dateTime (partial dates allowed). InvalidArgument when the text does not match
// the R4 grammar or names an impossible calendar date (e.g. 30 February); the message never
// repeats the text. Thread-safe (pure function).
Result<FhirDateTime> ParseFhirDateTime(std::string_view text);

// Parses a FHIR instant: like ParseFhirDateTime but seconds and an offset are required.
Result<FhirDateTime> ParseFhirInstant(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian civil date (no validation).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace medlake::ingest::fhir
