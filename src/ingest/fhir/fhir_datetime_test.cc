#include "ingest/fhir/fhir_datetime.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"

namespace medlake::ingest::fhir {
namespace {

constexpr int64_t kDay = 86'400'000'000;

TEST(FhirDateTimeTest, ParsesPartialDatesAsUtcStartOfPeriod) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirDateTime year, ParseFhirDateTime("1970"));
  EXPECT_EQ(year.utc_micros, 0);
  EXPECT_EQ(year.precision, DateTimePrecision::kYear);
  EXPECT_FALSE(year.has_offset);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirDateTime month, ParseFhirDateTime("1970-02"));
  EXPECT_EQ(month.utc_micros, 31 * kDay);
  EXPECT_EQ(month.precision, DateTimePrecision::kMonth);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirDateTime day, ParseFhirDateTime("2024-02-29"));
  EXPECT_EQ(day.utc_micros, DaysFromCivil(2024, 2, 29) * kDay);
  EXPECT_EQ(day.precision, DateTimePrecision::kDay);
}

TEST(FhirDateTimeTest, ParsesTimesWithOffsetsToUtc) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirDateTime z, ParseFhirDateTime("2021-02-11T15:48:43Z"));
  EXPECT_EQ(z.utc_micros, 1613058523LL * 1'000'000);
  EXPECT_EQ(z.precision, DateTimePrecision::kSecond);
  EXPECT_TRUE(z.has_offset);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirDateTime plus, ParseFhirDateTime("2021-02-11T17:48:43+02:00"));
  EXPECT_EQ(plus.utc_micros, z.utc_micros);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirDateTime minus,
                               ParseFhirDateTime("2021-02-11T11:18:43.346-04:30"));
  EXPECT_EQ(minus.utc_micros, z.utc_micros + 346'000);
  EXPECT_EQ(minus.precision, DateTimePrecision::kFraction);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirDateTime nanos,
                               ParseFhirDateTime("2021-02-11T15:48:43.123456789Z"));
  EXPECT_EQ(nanos.utc_micros, z.utc_micros + 123'456);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirDateTime leap, ParseFhirDateTime("2016-12-31T23:59:60Z"));
  EXPECT_EQ(leap.utc_micros, (DaysFromCivil(2017, 1, 1) * 86400 - 1) * 1'000'000);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(FhirDateTime before_epoch, ParseFhirDateTime("1927-05-21"));
  EXPECT_LT(before_epoch.utc_micros, 0);
}

TEST(FhirDateTimeTest, RejectsMalformedValuesWithoutEchoingThem) {
  for (const char* bad : {"",
                          "0000",
                          "202",
                          "2024-2",
                          "2024-13",
                          "2024-00",
                          "2024-02-30",
                          "2023-02-29",
                          "2024-04-31",
                          "2024-01-01T10:00",
                          "2024-01-01T10:00:00",
                          "2024-01-01T24:00:00Z",
                          "2024-01-01T10:60:00Z",
                          "2024-01-01T10:00:00+15:00",
                          "2024-01-01T10:00:00+14:30",
                          "2024-01-01T10:00:00.Z",
                          "2024-01-01T10:00:00Zjunk",
                          "2024-01-01 10:00:00Z",
                          "2024-01-01T10:00:00+0100",
                          "24-01-01",
                          "2024-01-01x"}) {
    Result<FhirDateTime> r = ParseFhirDateTime(bad);
    EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, "not a valid FHIR dateTime")) << bad;
    if (!r.ok() && std::string_view(bad).size() > 4) {
      EXPECT_EQ(r.status().message().find(bad), std::string::npos);
    }
  }
}

TEST(FhirDateTimeTest, InstantRequiresSecondsAndOffset) {
  MEDLAKE_EXPECT_OK(ParseFhirInstant("2021-02-11T15:48:43.346Z"));
  EXPECT_THAT(ParseFhirInstant("2021-02-11"),
              StatusIs(StatusCode::kInvalidArgument, "not a valid FHIR instant"));
  EXPECT_THAT(ParseFhirInstant("2021"), StatusIs(StatusCode::kInvalidArgument, "instant"));
}

TEST(FhirDateTimeTest, NamesPrecisions) {
  EXPECT_EQ(DateTimePrecisionName(DateTimePrecision::kDay), "day");
  EXPECT_EQ(DateTimePrecisionName(DateTimePrecision::kFraction), "fraction");
}

}  // namespace
}  // namespace medlake::ingest::fhir
