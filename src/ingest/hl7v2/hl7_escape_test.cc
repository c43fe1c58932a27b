#include "ingest/hl7v2/hl7_escape.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/testing/status_matchers.h"

namespace medlake::ingest::hl7v2 {
namespace {

const Hl7Delimiters kStd{};

std::string Unescape(std::string_view raw, Hl7Charset cs = Hl7Charset::kUtf8,
                     const Hl7Delimiters& d = kStd) {
  auto r = Hl7Unescape(raw, d, cs);
  EXPECT_THAT(r, IsOk());
  return r.ok() ? *r : std::string("<error>");
}

TEST(Hl7EscapeTest, UnescapesDelimiterSequences) {
  EXPECT_EQ(Unescape(R"(a\F\b\S\c\T\d\R\e\E\f)"), "a|b^c&d~e\\f");
}

TEST(Hl7EscapeTest, PlainValueIsCopiedUnchanged) {
  EXPECT_EQ(Unescape("plain value"), "plain value");
  EXPECT_EQ(Unescape(""), "");
}

TEST(Hl7EscapeTest, UsesTheMessageDelimiters) {
  Hl7Delimiters d;
  d.field = '#';
  d.component = '*';
  d.repetition = '!';
  d.escape = '@';
  d.subcomponent = '%';
  EXPECT_EQ(Unescape("x@F@y@S@z@T@w@R@v@E@", Hl7Charset::kUtf8, d), "x#y*z%w!v@");
}

TEST(Hl7EscapeTest, TruncationEscapeOnlyWhenDeclared) {
  Hl7Delimiters d;
  d.truncation = '#';
  EXPECT_EQ(Unescape(R"(a\P\b)", Hl7Charset::kUtf8, d), "a#b");
  EXPECT_EQ(Unescape(R"(a\P\b)"), R"(a\P\b)");
}

TEST(Hl7EscapeTest, HexEscapeIsReadInTheMessageCharset) {
  EXPECT_EQ(Unescape(R"(caf\XC3A9\)"), "caf\xC3\xA9");
  EXPECT_EQ(Unescape(R"(caf\XE9\)", Hl7Charset::kIso8859_1), "caf\xC3\xA9");
  EXPECT_EQ(Unescape(R"(line\X0D0A\next)", Hl7Charset::kAscii), "line\r\nnext");
  // A character split between \X\ bytes and literal bytes is still one character.
  EXPECT_EQ(Unescape("\\XC3\\\xA9"), "\xC3\xA9");
}

TEST(Hl7EscapeTest, HexEscapeRejectsBytesInvalidInCharset) {
  EXPECT_THAT(Hl7Unescape(R"(a\XFF\)", kStd, Hl7Charset::kUtf8),
              StatusIs(StatusCode::kInvalidArgument, "invalid_character_encoding"));
  EXPECT_THAT(Hl7Unescape(R"(a\XE9\)", kStd, Hl7Charset::kAscii),
              StatusIs(StatusCode::kInvalidArgument, "non-ASCII"));
}

TEST(Hl7EscapeTest, LiteralBytesAreConvertedToUtf8) {
  EXPECT_EQ(Unescape("Espa\xF1"
                     "a",
                     Hl7Charset::kIso8859_1),
            "Espa\xC3\xB1"
            "a");
  EXPECT_THAT(Hl7Unescape("Espa\xF1"
                          "a",
                          kStd, Hl7Charset::kAscii),
              StatusIs(StatusCode::kInvalidArgument, "non-ASCII"));
  EXPECT_THAT(Hl7Unescape("bad \xC3\x28", kStd, Hl7Charset::kUtf8),
              StatusIs(StatusCode::kInvalidArgument, "invalid UTF-8"));
}

TEST(Hl7EscapeTest, LineBreakBecomesNewline) { EXPECT_EQ(Unescape(R"(one\.br\two)"), "one\ntwo"); }

TEST(Hl7EscapeTest, UnknownEscapesAreKeptVerbatim) {
  EXPECT_EQ(Unescape(R"(\H\bold\N\)"), R"(\H\bold\N\)");
  EXPECT_EQ(Unescape(R"(\Zlocal\)"), R"(\Zlocal\)");
  EXPECT_EQ(Unescape(R"(\.sp2\)"), R"(\.sp2\)");
  EXPECT_EQ(Unescape(R"(odd \X0\ hex)"), R"(odd \X0\ hex)");
  EXPECT_EQ(Unescape(R"(bad \XZZ\ hex)"), R"(bad \XZZ\ hex)");
  EXPECT_EQ(Unescape(R"(no close \F)"), R"(no close \F)");
  EXPECT_EQ(Unescape(R"(\\)"), R"(\\)");
}

TEST(Hl7EscapeTest, EscapeThenUnescapeRoundTrips) {
  const std::vector<std::string> texts = {"",
                                          "plain",
                                          "a|b^c~d\\e&f",
                                          "\\F\\ literally",
                                          "CR\rLF\nTAB\t",
                                          "Jos\xC3\xA9 \xE2\x82\xAC",
                                          "trailing\\",
                                          "|||",
                                          "^~\\&"};
  for (const std::string& t : texts) {
    const std::string escaped = Hl7Escape(t, kStd);
    EXPECT_EQ(escaped.find_first_of("|^~&\r\n"), std::string::npos) << escaped;
    EXPECT_EQ(Unescape(escaped), t);
  }
  Hl7Delimiters d;
  d.truncation = '#';
  EXPECT_EQ(Hl7Escape("a#b", d), R"(a\P\b)");
  EXPECT_EQ(Unescape(Hl7Escape("a#b|c", d), Hl7Charset::kUtf8, d), "a#b|c");
}

TEST(Hl7EscapeTest, ParsesCharsetCodes) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto empty, ParseHl7Charset(""));
  EXPECT_EQ(empty, Hl7Charset::kUtf8);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto utf8, ParseHl7Charset("UNICODE UTF-8"));
  EXPECT_EQ(utf8, Hl7Charset::kUtf8);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto lower, ParseHl7Charset(" unicode utf-8 "));
  EXPECT_EQ(lower, Hl7Charset::kUtf8);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto ascii, ParseHl7Charset("ASCII"));
  EXPECT_EQ(ascii, Hl7Charset::kAscii);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto latin1, ParseHl7Charset("8859/1"));
  EXPECT_EQ(latin1, Hl7Charset::kIso8859_1);
  EXPECT_THAT(ParseHl7Charset("UNICODE UTF-16"),
              StatusIs(StatusCode::kInvalidArgument, "unsupported character set"));
  EXPECT_THAT(ParseHl7Charset("ISO IR87"),
              StatusIs(StatusCode::kInvalidArgument, "unsupported character set"));
  EXPECT_EQ(Hl7CharsetCode(Hl7Charset::kIso8859_1), "8859/1");
}

}  // namespace
}  // namespace medlake::ingest::hl7v2
