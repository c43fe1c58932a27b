#include "ingest/hl7v2/hl7_text_path.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace medlake::ingest::hl7v2 {
namespace {

std::string Or(std::optional<std::string_view> v, const char* missing = "<none>") {
  return v ? std::string(*v) : std::string(missing);
}

TEST(Hl7TextPathTest, SegmentsAreFoundAtLineStartsOnly) {
  const std::string msg = "MSH|^~\\&|A|B\rPID|1||X^^^PI\nZPV|PV1|not a segment\r\nPV1|1|I\rOBX|1\rOBX|2";
  EXPECT_EQ(Or(Hl7SegmentOf(msg, "MSH")), "MSH|^~\\&|A|B");
  EXPECT_EQ(Or(Hl7SegmentOf(msg, "PID")), "PID|1||X^^^PI");
  EXPECT_EQ(Or(Hl7SegmentOf(msg, "PV1")), "PV1|1|I");  // not the "PV1|" inside ZPV
  EXPECT_EQ(Or(Hl7SegmentOf(msg, "OBX")), "OBX|1");
  EXPECT_FALSE(Hl7SegmentOf(msg, "NK1"));
  EXPECT_FALSE(Hl7SegmentOf(msg, "PV"));  // a prefix of an id is not the id
  EXPECT_FALSE(Hl7SegmentOf(msg, ""));
  EXPECT_FALSE(Hl7SegmentOf(msg, "B\rPID"));  // an id across a line break is no id
  EXPECT_FALSE(Hl7SegmentOf("OBX", "OBX"));  // no field separator: not a segment
  std::vector<std::string> obx;
  ForEachHl7Segment(msg, "OBX", [&](std::string_view s) { obx.emplace_back(s); });
  EXPECT_EQ(obx, (std::vector<std::string>{"OBX|1", "OBX|2"}));
}

TEST(Hl7TextPathTest, FieldsComponentsAndSubcomponentsAreNumberedAsInTheStandard) {
  const std::string msh = "MSH|^~\\&|APP|FAC|||20240301||ADT^A01|X1";
  EXPECT_EQ(Or(Hl7FieldOf(msh, 0)), "MSH");
  EXPECT_EQ(Or(Hl7FieldOf(msh, 1)), "|");
  EXPECT_EQ(Or(Hl7FieldOf(msh, 2)), "^~\\&");
  EXPECT_EQ(Or(Hl7FieldOf(msh, 3)), "APP");
  EXPECT_EQ(Or(Hl7FieldOf(msh, 9)), "ADT^A01");
  EXPECT_FALSE(Hl7FieldOf(msh, 5));   // empty
  EXPECT_FALSE(Hl7FieldOf(msh, 11));  // past the end
  EXPECT_FALSE(Hl7FieldOf(msh, -1));
  const std::string pid = "PID|1||A1^^^H01^PI~B2^^^H02^PI||Gar\\T\\cia&&Lopez^Ana";
  EXPECT_EQ(Or(Hl7FieldOf(pid, 0)), "PID");
  EXPECT_EQ(Or(Hl7FieldOf(pid, 3)), "A1^^^H01^PI~B2^^^H02^PI");
  EXPECT_EQ(Or(Hl7ComponentOf(*Hl7FieldOf(pid, 3), 4)), "H01");  // the first repetition only
  EXPECT_FALSE(Hl7ComponentOf(*Hl7FieldOf(pid, 3), 2));
  EXPECT_FALSE(Hl7ComponentOf(*Hl7FieldOf(pid, 3), 9));
  EXPECT_FALSE(Hl7ComponentOf(*Hl7FieldOf(pid, 3), 0));
  EXPECT_EQ(Or(Hl7SubcomponentOf(*Hl7FieldOf(pid, 5), 1, 1)), "Gar\\T\\cia");
  EXPECT_FALSE(Hl7SubcomponentOf(*Hl7FieldOf(pid, 5), 1, 2));
  EXPECT_EQ(Or(Hl7SubcomponentOf(*Hl7FieldOf(pid, 5), 1, 3)), "Lopez");
  EXPECT_EQ(Or(Hl7SubcomponentOf(*Hl7FieldOf(pid, 5), 2, 1)), "Ana");
}

TEST(Hl7TextPathTest, UnescapingDecodesTheStandardSequencesAndKeepsBadOnes) {
  std::string scratch;
  EXPECT_EQ(Hl7UnescapeText("plain", scratch), "plain");
  EXPECT_EQ(Hl7UnescapeText("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f", scratch), "a|b^c&d~e\\f");
  EXPECT_EQ(Hl7UnescapeText("line\\.br\\next", scratch), "line\nnext");
  EXPECT_EQ(Hl7UnescapeText("\\XC3A9\\", scratch), "\xC3\xA9");
  // \E\ decodes to the escape character and is not read again as the start of a sequence.
  EXPECT_EQ(Hl7UnescapeText("\\E\\F\\", scratch), "\\F\\");
  // Bytes that would not be UTF-8: the value is kept as it was.
  EXPECT_EQ(Hl7UnescapeText("x\\XFF\\", scratch), "x\\XFF\\");
}

TEST(Hl7TextPathTest, TimesNeedADayAndApplyTheOffset) {
  EXPECT_EQ(Hl7TimestampMicros("20240301101500+0100"), int64_t{1709284500} * 1'000'000);
  EXPECT_EQ(Hl7TimestampMicros("20240301"), int64_t{1709251200} * 1'000'000);
  EXPECT_EQ(Hl7TimestampMicros("20240301101500.25"), int64_t{1709288100} * 1'000'000 + 250'000);
  EXPECT_FALSE(Hl7TimestampMicros("2024"));
  EXPECT_FALSE(Hl7TimestampMicros("202403"));
  EXPECT_FALSE(Hl7TimestampMicros("20240230"));
  EXPECT_FALSE(Hl7TimestampMicros("2024030110150"));
  EXPECT_FALSE(Hl7TimestampMicros("20240301 junk"));
  EXPECT_EQ(Hl7DateDays("19800102"), 3653);
  EXPECT_EQ(Hl7DateDays("19691231235959-0500"), -1);  // the date as written, no offset
  EXPECT_EQ(Hl7DateDays("20240301101500+0100"), 19783);
  EXPECT_FALSE(Hl7DateDays("1980010"));
  EXPECT_FALSE(Hl7DateDays("19801302"));
}

}  // namespace
}  // namespace medlake::ingest::hl7v2
