#include "ingest/csv/temporal_format.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"

namespace medlake::ingest::csv {
namespace {

std::string Match(std::string_view pattern, std::string_view text) {
  Result<TemporalFormat> f = CompileTemporalFormat(pattern);
  if (!f.ok()) {
    return "<bad pattern>";
  }
  TemporalValue v;
  if (!MatchTemporal(*f, text, &v)) {
    return "<no match>";
  }
  if (f->has_date && f->has_time) {
    return FormatTimestamp(v);
  }
  return f->has_date ? FormatDate(v) : FormatTime(v);
}

TEST(TemporalFormatTest, LdmlAndStrftimePatterns) {
  EXPECT_EQ(Match("dd/MM/yyyy", "01/03/2024"), "2024-03-01");
  EXPECT_EQ(Match("%d/%m/%Y", "01/03/2024"), "2024-03-01");
  EXPECT_EQ(Match("d/M/yyyy", "1/3/2024"), "2024-03-01");
  EXPECT_EQ(Match("d/M/yyyy", "01/12/2024"), "2024-12-01");
  EXPECT_EQ(Match("HH:mm", "08:21"), "08:21:00");
  EXPECT_EQ(Match("%T", "23:59:59"), "23:59:59");
  EXPECT_EQ(Match("yyyy-MM-dd'T'HH:mm:ss.SSS", "2024-02-29T10:11:12.345"),
            "2024-02-29T10:11:12.345000");
  EXPECT_EQ(Match("%F %H:%M:%S.%f", "2024-02-29 10:11:12.5"), "2024-02-29T10:11:12.500000");
  EXPECT_EQ(Match("yyyyMMdd", "20240301"), "2024-03-01");
  EXPECT_EQ(Match("'day' dd 'of' MM yyyy", "day 01 of 03 2024"), "2024-03-01");
}

TEST(TemporalFormatTest, RejectsImpossibleAndMisshapenValues) {
  EXPECT_EQ(Match("dd/MM/yyyy", "31/02/2015"), "<no match>");
  EXPECT_EQ(Match("dd/MM/yyyy", "29/02/2023"), "<no match>");
  EXPECT_EQ(Match("dd/MM/yyyy", "00/01/2023"), "<no match>");
  EXPECT_EQ(Match("dd/MM/yyyy", "1/03/2024"), "<no match>");
  EXPECT_EQ(Match("dd/MM/yyyy", "01/03/2024 "), "<no match>");
  EXPECT_EQ(Match("dd/MM/yyyy", "2024-03-01"), "<no match>");
  EXPECT_EQ(Match("dd/MM/yyyy", ""), "<no match>");
  EXPECT_EQ(Match("HH:mm", "24:00"), "<no match>");
  EXPECT_EQ(Match("HH:mm", "10:60"), "<no match>");
  EXPECT_EQ(Match("HH:mm:ss", "10:00:60"), "<no match>");
}

TEST(TemporalFormatTest, RefusesAmbiguousOrBrokenPatterns) {
  for (const char* bad : {"", "dd/MM/yy", "%y", "dd/MMM/yyyy", "dd/MM", "HH", "ss", "'open",
                          "dd/MM/yyyy/dd", "qq", "%Q", "%", "HH:mm.SSS"}) {
    EXPECT_THAT(CompileTemporalFormat(bad), StatusIs(StatusCode::kInvalidArgument, "")) << bad;
  }
}

}  // namespace
}  // namespace medlake::ingest::csv
