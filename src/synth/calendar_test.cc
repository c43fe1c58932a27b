#include "synth/calendar.h"

#include <gtest/gtest.h>

namespace medlake::synth {
namespace {

TEST(CalendarTest, RoundTripsDates) {
  for (Date d = DateFromYmd(1900, 1, 1); d < DateFromYmd(2101, 1, 1); d += 17) {
    const Ymd y = YmdFromDate(d);
    EXPECT_EQ(DateFromYmd(y.year, y.month, y.day), d);
  }
  EXPECT_EQ(DateFromYmd(1970, 1, 1), 0);
  EXPECT_EQ(FormatIsoDate(DateFromYmd(2024, 2, 29)), "2024-02-29");
}

TEST(CalendarTest, KnowsWeekdaysAndAges) {
  EXPECT_EQ(Weekday(DateFromYmd(2024, 3, 9)), 5);  // a Saturday
  EXPECT_EQ(AgeInYears(DateFromYmd(2000, 6, 15), DateFromYmd(2020, 6, 14)), 19);
  EXPECT_EQ(AgeInYears(DateFromYmd(2000, 6, 15), DateFromYmd(2020, 6, 15)), 20);
}

TEST(CalendarTest, ParsesOnlyRealIsoDates) {
  EXPECT_EQ(ParseIsoDate("2015-01-01"), DateFromYmd(2015, 1, 1));
  EXPECT_FALSE(ParseIsoDate("2015-02-29").has_value());
  EXPECT_FALSE(ParseIsoDate("2015-13-01").has_value());
  EXPECT_FALSE(ParseIsoDate("2015/01/01").has_value());
  EXPECT_FALSE(ParseIsoDate("15-01-01").has_value());
}

TEST(CalendarTest, MadridSummerTimeFollowsEuRule) {
  // 2024: summer time from 31 March 02:00 to 27 October 03:00 local.
  EXPECT_EQ(MadridUtcOffsetMinutes(AtTime(DateFromYmd(2024, 3, 31), 1, 59)), 60);
  EXPECT_EQ(MadridUtcOffsetMinutes(AtTime(DateFromYmd(2024, 3, 31), 3, 0)), 120);
  EXPECT_EQ(MadridUtcOffsetMinutes(AtTime(DateFromYmd(2024, 7, 1), 12, 0)), 120);
  EXPECT_EQ(MadridUtcOffsetMinutes(AtTime(DateFromYmd(2024, 10, 27), 3, 0)), 60);
  EXPECT_EQ(MadridUtcOffsetMinutes(AtTime(DateFromYmd(2024, 12, 1), 3, 0)), 60);
}

TEST(CalendarTest, FormatsHl7FhirAndSpanishForms) {
  const LocalTime t = AtTime(DateFromYmd(2024, 3, 9), 14, 30, 5);
  EXPECT_EQ(FormatHl7DateTime(t), "20240309143005+0100");
  EXPECT_EQ(FormatFhirDateTime(t), "2024-03-09T14:30:05+01:00");
  EXPECT_EQ(FormatHl7Date(DateOf(t)), "20240309");
  EXPECT_EQ(FormatSpanishDate(DateOf(t)), "09/03/2024");
  EXPECT_EQ(FormatFhirDateTime(AtTime(DateFromYmd(2024, 8, 1), 0, 0)), "2024-08-01T00:00:00+02:00");
}

}  // namespace
}  // namespace medlake::synth
