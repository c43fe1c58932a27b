#include "ingest/csv/text_encoding.h"

#include <gtest/gtest.h>

#include "core/testing/status_matchers.h"

namespace medlake::ingest::csv {
namespace {

TEST(TextEncodingTest, Latin1MapsEveryByte) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string s, DecodeToUtf8("Ib\xE1\xF1"
                                                           "ez \xB5",
                                                           Encoding::kLatin1));
  EXPECT_EQ(s,
            "Ib\xC3\xA1\xC3\xB1"
            "ez \xC2\xB5");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string c1, DecodeToUtf8("\x80", Encoding::kLatin1));
  EXPECT_EQ(c1, "\xC2\x80");
}

TEST(TextEncodingTest, Windows1252MapsC1RangeAndRefusesUndefinedBytes) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string s, DecodeToUtf8("\x80\x93\xE9", Encoding::kWindows1252));
  EXPECT_EQ(s, "\xE2\x82\xAC\xE2\x80\x9C\xC3\xA9");
  EXPECT_THAT(DecodeToUtf8("a\x81", Encoding::kWindows1252),
              StatusIs(StatusCode::kInvalidArgument, "undefined in windows-1252"));
}

TEST(TextEncodingTest, Utf8IsValidated) {
  MEDLAKE_EXPECT_OK(
      DecodeToUtf8("Ib\xC3\xA1\xC3\xB1"
                   "ez \xF0\x9F\x98\x80",
                   Encoding::kUtf8));
  for (const char* bad :
       {"\xE1", "\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "a\x80"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
    EXPECT_THAT(DecodeToUtf8(bad, Encoding::kUtf8),
                StatusIs(StatusCode::kInvalidArgument, "invalid UTF-8"));
  }
}

}  // namespace
}  // namespace medlake::ingest::csv
