#include "synth/hl7_writer.h"

#include <gtest/gtest.h>

namespace medlake::synth {
namespace {

TEST(Hl7EscapeTest, EscapesEveryDelimiter) {
  EXPECT_EQ(Hl7Escape("a|b^c~d\\e&f"), "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f");
  EXPECT_EQ(Hl7Escape("line\rbreak\n"), "line\\X0D\\break\\X0A\\");
  EXPECT_EQ(Hl7Escape("Calle Mayor 12, 3º B"), "Calle Mayor 12, 3º B");
}

TEST(Hl7EscapeTest, RoundTripsThroughUnescape) {
  const std::string samples[] = {
      "", "plain", "|^~\\&", "a\\b", "x&y|z", "\\F\\ literal", "Ñandú & Cía | S.L."};
  for (const std::string& s : samples)
    EXPECT_EQ(Hl7Unescape(Hl7Escape(s)), s) << s;
}

TEST(Hl7EscapeTest, UnescapeKeepsUnknownSequences) {
  EXPECT_EQ(Hl7Unescape("\\H\\bold\\N\\"), "\\H\\bold\\N\\");
  EXPECT_EQ(Hl7Unescape("dangling\\"), "dangling\\");
}

}  // namespace
}  // namespace medlake::synth
