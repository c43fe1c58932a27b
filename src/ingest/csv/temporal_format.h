// ingest/csv/temporal_format.h: date, time and timestamp patterns of source contracts.
//
// A contract writes a pattern either with LDML letters (CONTRACT_FORMAT.md: "dd/MM/yyyy",
// "HH:mm", "yyyy-MM-dd'T'HH:mm:ss.SSS") or in strftime style ("%d/%m/%Y", "%H:%M:%S").
// Supported fields: year yyyy / %Y (four digits), month MM / M / %m, day dd / d / %d,
// hour HH / H / %H (00-23), minute mm / %M, second ss / %S, fraction S... (exactly that many
// digits) / %f (1-9 digits); literals: any other non-letter character, 'quoted text', %%.
// Two-digit years (yy, %y) are refused: the century would be a guess.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace medlake::ingest::csv {

struct TemporalFormat {
  enum class Field { kYear, kMonth, kDay, kHour, kMinute, kSecond, kFraction, kLiteral };
  struct Token {
    Field field = Field::kLiteral;
    int min_digits = 0;
    int max_digits = 0;
    std::string literal;  // for kLiteral
  };
  std::vector<Token> tokens;
  bool has_date = false;  // year, month and day all present
  bool has_time = false;  // hour and minute present
};

// A matched value; fields absent from the pattern stay 0 (month/day 1).
struct TemporalValue {
  int year = 0;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int micros = 0;
  bool has_fraction = false;
};

// Compiles `pattern`. InvalidArgument naming the problem (unknown letter, two-digit year,
// unterminated quote, a date part without year/month/day, a repeated field, empty).
Result<TemporalFormat> CompileTemporalFormat(std::string_view pattern);

// Matches the whole of `text`; false when it does not fit or names an impossible date or time
// (31/02, 24:00, minute 60). Thread-safe.
bool MatchTemporal(const TemporalFormat& format, std::string_view text, TemporalValue* out);

// Canonical texts: "YYYY-MM-DD", "HH:MM:SS[.ffffff]", "YYYY-MM-DDTHH:MM:SS[.ffffff]".
std::string FormatDate(const TemporalValue& v);
std::string FormatTime(const TemporalValue& v);
std::string FormatTimestamp(const TemporalValue& v);

}  // namespace medlake::ingest::csv
