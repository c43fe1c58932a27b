#include "ingest/hl7v2/hl7_datetime.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"

namespace medlake::ingest::hl7v2 {
namespace {

constexpr int64_t kSecond = 1'000'000;

TEST(Hl7DateTimeTest, ParsesFullPrecisionWithOffset) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7DateTime t, ParseHl7DateTime("20240131235959.1234+0100"));
  EXPECT_EQ(t.utc_micros, 1706741999 * kSecond + 123400);  // 2024-01-31T22:59:59.1234Z
  EXPECT_FALSE(t.offset_missing);
  EXPECT_EQ(t.offset_minutes, 60);
  EXPECT_EQ(t.precision, Hl7DateTimePrecision::kFraction);
}

TEST(Hl7DateTimeTest, AppliesOffsetsWithMinutes) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7DateTime t, ParseHl7DateTime("198908181126+0215"));
  EXPECT_EQ(t.utc_micros, 619434660 * kSecond);  // 1989-08-18T09:11:00Z
  EXPECT_EQ(t.offset_minutes, 135);
  EXPECT_EQ(t.precision, Hl7DateTimePrecision::kMinute);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7DateTime w, ParseHl7DateTime("20160308180405-0500"));
  EXPECT_EQ(w.utc_micros, 1457478245 * kSecond);  // 2016-03-08T23:04:05Z
  EXPECT_EQ(w.offset_minutes, -300);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7DateTime z, ParseHl7DateTime("20230101010000-0000"));
  EXPECT_EQ(z.utc_micros, 1672534800 * kSecond);
  EXPECT_FALSE(z.offset_missing);
}

TEST(Hl7DateTimeTest, WithoutOffsetIsUtcAndFlagged) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7DateTime t, ParseHl7DateTime("2024"));
  EXPECT_EQ(t.utc_micros, 1704067200 * kSecond);
  EXPECT_TRUE(t.offset_missing);
  EXPECT_EQ(t.precision, Hl7DateTimePrecision::kYear);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7DateTime d, ParseHl7DateTime("20240229"));
  EXPECT_EQ(d.precision, Hl7DateTimePrecision::kDay);
  EXPECT_TRUE(d.offset_missing);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7DateTime m, ParseHl7DateTime("202402"));
  EXPECT_EQ(m.precision, Hl7DateTimePrecision::kMonth);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7DateTime h, ParseHl7DateTime("2024022913"));
  EXPECT_EQ(h.precision, Hl7DateTimePrecision::kHour);
}

TEST(Hl7DateTimeTest, RejectsMalformedValues) {
  for (const char* bad : {"", "abcd", "202", "2024013", "20241301", "20240230", "20230229",
                          "2024013125", "202401312360", "20240131235960", "20240131+01",
                          "20240131+1500", "20240131+0160", "20240131.5", "20240131120000.",
                          "20240131120000.12345", "2024-01-31", "20240131120000+01:00"}) {
    EXPECT_THAT(ParseHl7DateTime(bad), StatusIs(StatusCode::kInvalidArgument, "data_type_error"))
        << bad;
  }
}

TEST(Hl7DateTimeTest, FormatsUtcToTheSecond) {
  EXPECT_EQ(FormatHl7DateTime(0), "19700101000000+0000");
  EXPECT_EQ(FormatHl7DateTime(1706741999 * kSecond + 5), "20240131225959+0000");
  EXPECT_EQ(FormatHl7DateTime(-1), "19691231235959+0000");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7DateTime t,
                               ParseHl7DateTime(FormatHl7DateTime(619434660 * kSecond)));
  EXPECT_EQ(t.utc_micros, 619434660 * kSecond);
}

}  // namespace
}  // namespace medlake::ingest::hl7v2
