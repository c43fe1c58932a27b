#include "core/civil_date.h"

#include <gtest/gtest.h>

namespace medlake {
namespace {

TEST(CivilDateTest, DaysFromCivilRoundTripsOverFourCenturies) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  for (int64_t d = DaysFromCivil(1800, 1, 1); d <= DaysFromCivil(2200, 12, 31); d += 7) {
    int64_t y = 0, m = 0, day = 0;
    CivilFromDays(d, &y, &m, &day);
    ASSERT_EQ(DaysFromCivil(y, m, day), d);
    ASSERT_GE(day, 1);
    ASSERT_LE(day, DaysInMonth(y, m));
  }
}

TEST(CivilDateTest, LeapYearsAndMonthLengths) {
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2023, 2), 28);
  EXPECT_EQ(DaysInMonth(2023, 12), 31);
  EXPECT_EQ(DaysInMonth(2023, 13), 0);
}

TEST(CivilDateTest, ReadFixedDigitsReadsExactlyN) {
  size_t pos = 1;
  int v = 0;
  EXPECT_TRUE(ReadFixedDigits("x2024-", &pos, 4, &v));
  EXPECT_EQ(v, 2024);
  EXPECT_EQ(pos, 5u);
  EXPECT_FALSE(ReadFixedDigits("x2024-", &pos, 2, &v));  // '-' is not a digit
  EXPECT_EQ(pos, 5u);
  EXPECT_FALSE(ReadFixedDigits("12", &pos, 2, &v));      // past the end
}

}  // namespace
}  // namespace medlake
