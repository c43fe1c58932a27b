#include "ingest/hl7v2/hl7_message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/testing/status_matchers.h"
#include "ingest/hl7v2/hl7_scan_internal.h"

namespace medlake::ingest::hl7v2 {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Synthetic test patient (no real person).
const std::string kAdt =
    "MSH|^~\\&|SEND^1.2.3^ISO|FAC|RECV|RFAC|20240131120000+0100||ADT^A01^ADT_A01|CTRL1|P|2.5.1\r"
    "EVN|A01|20240131120000\r"
    "PID|1||111^^^HOSP&1.2.3&ISO^MR~222^^^NAT^NI||ZZTEST^PATIENT^^^^^L||19800101|M\r"
    "ZPI|custom|x\\F\\y\r";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

Hl7Rejection RejectionOf(std::string_view bytes, const Hl7ParseOptions& options = {}) {
  Hl7Rejection r;
  auto m = ParseHl7Message(bytes, options, &r);
  EXPECT_FALSE(m.ok());
  if (m.ok()) {
    return {};
  }
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr(std::string(Hl7RejectReasonCode(r.reason))));
  return r;
}

TEST(Hl7MessageTest, ParsesSegmentsAndFields) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(kAdt));
  ASSERT_EQ(m.segment_count(), 4u);
  EXPECT_EQ(m.SegmentId(0), "MSH");
  EXPECT_EQ(m.SegmentId(1), "EVN");
  EXPECT_EQ(m.SegmentId(2), "PID");
  EXPECT_EQ(m.SegmentId(3), "ZPI");
  EXPECT_EQ(m.SegmentId(4), "");
  EXPECT_EQ(m.Field(0, 0), "MSH");
  EXPECT_EQ(m.Field(0, 1), "|");
  EXPECT_EQ(m.Field(0, 2), "^~\\&");
  EXPECT_EQ(m.Field(0, 3), "SEND^1.2.3^ISO");
  EXPECT_EQ(m.Field(0, 9), "ADT^A01^ADT_A01");
  EXPECT_EQ(m.Field(0, 12), "2.5.1");
  EXPECT_EQ(m.Field(0, 13), "");
  EXPECT_EQ(m.FieldCount(0), 12u);
  EXPECT_EQ(m.FieldCount(2), 8u);
  EXPECT_EQ(m.Field(2, 1), "1");
  EXPECT_EQ(m.Field(2, 2), "");
  EXPECT_EQ(m.SegmentText(1), "EVN|A01|20240131120000");
  EXPECT_EQ(m.SegmentOffset(1), kAdt.find("EVN"));
  EXPECT_EQ(m.delimiters().component, '^');
  EXPECT_EQ(m.delimiters().truncation, '\0');
  EXPECT_EQ(m.charset(), Hl7Charset::kUtf8);
  EXPECT_FALSE(m.had_bom());
  EXPECT_EQ(m.CountSegments("PID"), 1u);
  EXPECT_EQ(m.FindSegment("ZPI"), std::optional<size_t>(3));
  EXPECT_EQ(m.FindSegment("PID", 2), std::nullopt);
}

TEST(Hl7MessageTest, FieldsAreViewsIntoTheInput) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(kAdt));
  const std::string_view pid3 = m.Field(2, 3);
  EXPECT_GE(pid3.data(), kAdt.data());
  EXPECT_LE(pid3.data() + pid3.size(), kAdt.data() + kAdt.size());
  EXPECT_EQ(m.bytes().data(), kAdt.data());
}

TEST(Hl7MessageTest, SplitsRepetitionsComponentsAndSubcomponents) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(kAdt));
  EXPECT_EQ(m.RepetitionCount(2, 3), 2u);
  EXPECT_EQ(m.Repetition(2, 3, 1), "111^^^HOSP&1.2.3&ISO^MR");
  EXPECT_EQ(m.Repetition(2, 3, 2), "222^^^NAT^NI");
  EXPECT_EQ(m.Repetition(2, 3, 3), "");
  EXPECT_EQ(m.Repetition(2, 3, 0), "");
  EXPECT_EQ(m.ComponentCount(2, 3, 1), 5u);
  EXPECT_EQ(m.Component(2, 3, 1, 1), "111");
  EXPECT_EQ(m.Component(2, 3, 1, 4), "HOSP&1.2.3&ISO");
  EXPECT_EQ(m.Component(2, 3, 1, 9), "");
  EXPECT_EQ(m.Subcomponent(2, 3, 1, 4, 1), "HOSP");
  EXPECT_EQ(m.Subcomponent(2, 3, 1, 4, 2), "1.2.3");
  EXPECT_EQ(m.Subcomponent(2, 3, 1, 4, 3), "ISO");
  EXPECT_EQ(m.Subcomponent(2, 3, 1, 4, 4), "");
  EXPECT_EQ(m.RepetitionCount(2, 2), 0u);
  EXPECT_EQ(m.Component(9, 3, 1, 1), "");  // segment out of range
}

TEST(Hl7MessageTest, MshDelimiterFieldsAreNeverSplit) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(kAdt));
  EXPECT_EQ(m.RepetitionCount(0, 2), 1u);
  EXPECT_EQ(m.Repetition(0, 2, 1), "^~\\&");
  EXPECT_EQ(m.Component(0, 2, 1, 1), "^~\\&");
  EXPECT_EQ(m.Subcomponent(0, 2, 1, 1, 1), "^~\\&");
  EXPECT_EQ(m.Component(0, 2, 1, 2), "");
  EXPECT_EQ(m.Component(0, 1, 1, 1), "|");
}

TEST(Hl7MessageTest, GetReadsTerserPaths) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(kAdt));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto v, m.Get("PID-3[2].4.1"));
  EXPECT_EQ(v, "NAT");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v, m.Get("MSH-9.2"));
  EXPECT_EQ(v, "A01");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v, m.Get("MSH-1"));
  EXPECT_EQ(v, "|");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v, m.Get("MSH-2"));
  EXPECT_EQ(v, "^~\\&");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v, m.Get("PID-3"));
  EXPECT_EQ(v, "111^^^HOSP&1.2.3&ISO^MR~222^^^NAT^NI");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v, m.Get("PID-3[2]"));
  EXPECT_EQ(v, "222^^^NAT^NI");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v, m.Get("PID-3.1"));
  EXPECT_EQ(v, "111");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v, m.Get("PID(1)-3[1].4.2"));
  EXPECT_EQ(v, "1.2.3");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v, m.Get("PID-99"));
  EXPECT_EQ(v, "");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v, m.Get("ZPI-2"));
  EXPECT_EQ(v, "x\\F\\y");
  EXPECT_THAT(m.Get("PID(2)-3"), StatusIs(StatusCode::kNotFound, "PID(2)"));
  EXPECT_THAT(m.Get("OBX-5"), StatusIs(StatusCode::kNotFound, "OBX"));
  for (const char* bad : {"PID", "PID-", "PID-0", "PID-3.0", "pid-3", "PID-3[0]", "PID-3x",
                          "PID-3[2", "PID(0)-3", "PID-3.1.2.3", "PID-1234567890", ""}) {
    EXPECT_THAT(m.Get(bad), StatusIs(StatusCode::kInvalidArgument, "invalid_path")) << bad;
  }
}

TEST(Hl7MessageTest, DecodedUnescapesIntoUtf8) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(kAdt));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string v, m.Decoded("ZPI-2"));
  EXPECT_EQ(v, "x|y");
  EXPECT_THAT(m.Decoded("OBX-5"), StatusIs(StatusCode::kNotFound, "OBX"));
}

TEST(Hl7MessageTest, AcceptsLfCrlfAndTrailingTerminators) {
  for (const std::string& end : {std::string("\n"), std::string("\r\n")}) {
    const std::string text = Replace(kAdt, "\r", end) + end + end;
    MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(text));
    EXPECT_EQ(m.segment_count(), 4u);
    EXPECT_EQ(m.Field(2, 3), "111^^^HOSP&1.2.3&ISO^MR~222^^^NAT^NI");
    EXPECT_EQ(m.Field(3, 2), "x\\F\\y");
  }
  // No terminator at all after the last segment.
  const std::string unterminated = kAdt.substr(0, kAdt.size() - 1);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(unterminated));
  EXPECT_EQ(m.segment_count(), 4u);
  EXPECT_EQ(m.Field(3, 2), "x\\F\\y");
}

TEST(Hl7MessageTest, SkipsUtf8ByteOrderMark) {
  const std::string text = "\xEF\xBB\xBF" + kAdt;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(text));
  EXPECT_TRUE(m.had_bom());
  EXPECT_EQ(m.SegmentId(0), "MSH");
  EXPECT_EQ(m.SegmentOffset(0), 3u);
  EXPECT_EQ(m.SegmentOffset(1), text.find("EVN"));
}

TEST(Hl7MessageTest, UsesDelimitersDeclaredInMsh) {
  const std::string text =
      "MSH#*!@%#APP#FAC#R#RF#20240101##ADT*A04#C9#P#2.3\rPID#1##A1*x@F@y*%*AUTH%OID*MR!B2\r";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(text));
  EXPECT_EQ(m.Field(0, 1), "#");
  EXPECT_EQ(m.Field(0, 2), "*!@%");
  EXPECT_EQ(m.delimiters().escape, '@');
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto v, m.Get("MSH-9.2"));
  EXPECT_EQ(v, "A04");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v, m.Get("PID-3[1].4.2"));
  EXPECT_EQ(v, "OID");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v, m.Get("PID-3[2]"));
  EXPECT_EQ(v, "B2");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string d, m.Decoded("PID-3.2"));
  EXPECT_EQ(d, "x#y");
}

TEST(Hl7MessageTest, ReadsTheV27TruncationCharacter) {
  const std::string text = "MSH|^~\\&#|APP|FAC|||20240101||ADT^A01|C1|P|2.8\rNTE|1||a\\P\\b\r";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(text));
  EXPECT_EQ(m.delimiters().truncation, '#');
  EXPECT_EQ(m.Field(0, 2), "^~\\&#");
  EXPECT_EQ(m.Field(0, 3), "APP");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string d, m.Decoded("NTE-3"));
  EXPECT_EQ(d, "a#b");
}

TEST(Hl7MessageTest, AcceptsZSegmentsAndSegmentsWithoutFields) {
  const std::string text = "MSH|^~\\&|A\rZX1|1|2\rPV1\rZZZ\r";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(text));
  ASSERT_EQ(m.segment_count(), 4u);
  EXPECT_EQ(m.SegmentId(1), "ZX1");
  EXPECT_EQ(m.SegmentId(2), "PV1");
  EXPECT_EQ(m.FieldCount(2), 0u);
}

TEST(Hl7MessageTest, DecodesIso88591AndChecksAscii) {
  const std::string latin1 =
      "MSH|^~\\&|A|F|||20240101||ADT^A01|C1|P|2.5||||||8859/1\rPID|1||1||Mu\xF1oz\r";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(latin1));
  EXPECT_EQ(m.charset(), Hl7Charset::kIso8859_1);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string name, m.Decoded("PID-5"));
  EXPECT_EQ(name, "Mu\xC3\xB1oz");

  const std::string ascii = Replace(latin1, "8859/1", "ASCII");
  const Hl7Rejection r = RejectionOf(ascii);
  EXPECT_EQ(r.reason, Hl7RejectReason::kInvalidCharacterEncoding);
  EXPECT_EQ(r.segment_index, 2u);
  EXPECT_EQ(r.segment_id, "PID");
  EXPECT_EQ(r.field, 5u);
  const std::string ascii_only = Replace(Replace(latin1, "8859/1", "ASCII"), "\xF1", "n");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message a, ParseHl7Message(ascii_only));
  EXPECT_EQ(a.charset(), Hl7Charset::kAscii);
}

TEST(Hl7MessageTest, RejectsInvalidUtf8WithLocationButNoValue) {
  const std::string text = Replace(kAdt, "ZZTEST", "ZZTEST\xC3\x28");
  const Hl7Rejection r = RejectionOf(text);
  EXPECT_EQ(r.reason, Hl7RejectReason::kInvalidCharacterEncoding);
  EXPECT_EQ(r.segment_index, 3u);
  EXPECT_EQ(r.segment_id, "PID");
  EXPECT_EQ(r.segment_sequence, 1u);
  EXPECT_EQ(r.field, 5u);
  EXPECT_EQ(r.byte_offset, text.find("\xC3\x28"));
  EXPECT_THAT(r.ToStatus().message(), HasSubstr("invalid UTF-8"));
  EXPECT_THAT(r.ToStatus().message(), Not(HasSubstr("ZZTEST")));
}

TEST(Hl7MessageTest, RejectsUnsupportedCharacterSet) {
  const std::string text =
      "MSH|^~\\&|A|F|||20240101||ADT^A01|C1|P|2.5||||||UNICODE UTF-16\rPID|1\r";
  const Hl7Rejection r = RejectionOf(text);
  EXPECT_EQ(r.reason, Hl7RejectReason::kUnsupportedCharacterSet);
  EXPECT_EQ(r.field, 18u);
  EXPECT_THAT(r.ToStatus().message(), HasSubstr("unsupported character set"));
  // Not checking the charset reads the message anyway (best-effort mode for ACKs).
  Hl7ParseOptions lenient;
  lenient.check_character_set = false;
  MEDLAKE_EXPECT_OK(ParseHl7Message(text, lenient));
}

TEST(Hl7MessageTest, RejectsEmptyAndMissingMsh) {
  EXPECT_EQ(RejectionOf("").reason, Hl7RejectReason::kEmpty);
  EXPECT_EQ(RejectionOf("\r\n\r\n").reason, Hl7RejectReason::kEmpty);
  EXPECT_EQ(RejectionOf("\xEF\xBB\xBF").reason, Hl7RejectReason::kEmpty);
  const Hl7Rejection r = RejectionOf("PID|1||123\r");
  EXPECT_EQ(r.reason, Hl7RejectReason::kMshMissing);
  EXPECT_THAT(r.ToStatus().message(), HasSubstr("MSH segment missing"));
  EXPECT_EQ(RejectionOf("MS").reason, Hl7RejectReason::kMshMissing);
  EXPECT_EQ(RejectionOf("\rMSH|^~\\&|A\r").reason, Hl7RejectReason::kMshMissing);
}

TEST(Hl7MessageTest, RejectsBadFieldSeparator) {
  EXPECT_EQ(RejectionOf("MSH").reason, Hl7RejectReason::kInvalidFieldSeparator);
  EXPECT_EQ(RejectionOf("MSHA^~\\&A").reason, Hl7RejectReason::kInvalidFieldSeparator);
  EXPECT_EQ(RejectionOf("MSH ^~\\& A").reason, Hl7RejectReason::kInvalidFieldSeparator);
  EXPECT_EQ(RejectionOf("MSH\r^~\\&").reason, Hl7RejectReason::kInvalidFieldSeparator);
}

TEST(Hl7MessageTest, RejectsBadEncodingCharacters) {
  for (const char* bad : {"MSH|^~", "MSH|^~\\&", "MSH|", "MSH||A", "MSH|^^\\&|A", "MSH|^~\\|A",
                          "MSH|^~\\&AB|A", "MSH|^~\\&#!|A", "MSH|^~\\ |A", "MSH|^~\\a|A"}) {
    std::string text = bad;
    if (text == "MSH|^~\\&") {
      continue;  // a complete MSH-2 with nothing after it is valid
    }
    const Hl7Rejection r = RejectionOf(text);
    EXPECT_EQ(r.reason, Hl7RejectReason::kInvalidEncodingCharacters) << bad;
    EXPECT_EQ(r.field, 2u);
    EXPECT_THAT(r.ToStatus().message(), HasSubstr("MSH-2 encoding characters invalid"));
  }
  MEDLAKE_EXPECT_OK(ParseHl7Message("MSH|^~\\&"));
}

TEST(Hl7MessageTest, RejectsInvalidSegmentIds) {
  for (const char* seg : {"pid|1", "PIDX|1", "PI|1", "1ID|1", "P-D|1", " PID|1"}) {
    const std::string text = "MSH|^~\\&|A\rEVN|A01\r" + std::string(seg) + "\r";
    const Hl7Rejection r = RejectionOf(text);
    EXPECT_EQ(r.reason, Hl7RejectReason::kInvalidSegmentId) << seg;
    EXPECT_EQ(r.segment_index, 3u);
    EXPECT_THAT(r.ToStatus().message(), HasSubstr("segment 3 has an invalid id"));
  }
}

TEST(Hl7MessageTest, RejectsFieldSeparatorMismatch) {
  const Hl7Rejection r = RejectionOf("MSH|^~\\&|A\rPID^1^^123\r");
  EXPECT_EQ(r.reason, Hl7RejectReason::kFieldSeparatorMismatch);
  EXPECT_EQ(r.segment_index, 2u);
  EXPECT_EQ(r.segment_id, "PID");
  EXPECT_THAT(r.ToStatus().message(), HasSubstr("field separator mismatch"));
}

TEST(Hl7MessageTest, RejectsHeaderSegmentsInsideAMessage) {
  EXPECT_EQ(RejectionOf(kAdt + kAdt).reason, Hl7RejectReason::kUnexpectedSegment);
  EXPECT_EQ(RejectionOf(kAdt + "BTS|1\r").reason, Hl7RejectReason::kUnexpectedSegment);
  EXPECT_EQ(RejectionOf(kAdt + "FHS|^~\\&\r").reason, Hl7RejectReason::kUnexpectedSegment);
}

TEST(Hl7MessageTest, RejectsMessagesOverTheSizeLimit) {
  Hl7ParseOptions options;
  options.max_message_bytes = 64;
  const Hl7Rejection r = RejectionOf(kAdt, options);
  EXPECT_EQ(r.reason, Hl7RejectReason::kMessageTooLarge);
  EXPECT_THAT(r.ToStatus().message(), HasSubstr("exceeds the limit of 64 bytes"));
}

TEST(Hl7MessageTest, ParsesHugeFieldsAndManySegments) {
  std::string text = "MSH|^~\\&|A|F|||20240101||ORU^R01|C1|P|2.5\r";
  text += "OBX|1|ED|PDF||^AP^^Base64^" + std::string(8 << 20, 'A') + "\r";
  for (int i = 0; i < 100'000; ++i) {
    text += "NTE|" + std::to_string(i) + "||x\r";
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message m, ParseHl7Message(text));
  EXPECT_EQ(m.segment_count(), 100'002u);
  EXPECT_EQ(m.Component(1, 5, 1, 5).size(), size_t{8} << 20);
  EXPECT_EQ(m.Field(100'001, 1), "99999");
}

TEST(Hl7MessageTest, NeverCrashesOnTruncationsOrMutations) {
  // Every prefix of a valid message either parses or is rejected with InvalidArgument.
  for (size_t len = 0; len <= kAdt.size(); ++len) {
    auto m = ParseHl7Message(std::string_view(kAdt).substr(0, len));
    if (!m.ok()) {
      EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument) << len;
    }
  }
  std::mt19937 rng(42);
  for (int round = 0; round < 5000; ++round) {
    std::string text = kAdt;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      text[rng() % text.size()] = static_cast<char>(rng() % 256);
    }
    auto m = ParseHl7Message(text);
    if (!m.ok()) {
      EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
      continue;
    }
    for (size_t s = 0; s < m->segment_count(); ++s) {
      for (size_t f = 0; f <= m->FieldCount(s); ++f) {
        (void)m->Subcomponent(s, f, 1, 2, 2);
        (void)m->Decode(m->Field(s, f));
      }
    }
  }
}

// --- The scan kernels and message reuse ---------------------------------------------------------

// A deliberately naive model of the structure: segments are the non-empty lines between CR/LF,
// fields the pieces between field separators; for MSH, field 1 is the separator itself.
std::vector<std::vector<std::string>> NaiveFields(const std::string& text) {
  const char fs = text[3];
  std::vector<std::vector<std::string>> out;
  std::string line;
  auto flush = [&] {
    if (line.empty()) {
      return;
    }
    std::vector<std::string> fields;
    std::string cur;
    size_t start = 0;
    if (out.empty()) {  // MSH: "MSH", the separator, then fields from MSH-2 on
      fields = {"MSH", std::string(1, fs)};
      start = 4;
    }
    for (size_t i = start; i < line.size(); ++i) {
      if (line[i] == fs) {
        fields.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(line[i]);
      }
    }
    fields.push_back(cur);
    out.push_back(fields);
    line.clear();
  };
  for (char ch : text) {
    if (ch == '\r' || ch == '\n') {
      flush();
    } else {
      line.push_back(ch);
    }
  }
  flush();
  return out;
}

std::vector<std::vector<std::string>> ParsedFields(const Hl7Message& m) {
  std::vector<std::vector<std::string>> out;
  for (size_t s = 0; s < m.segment_count(); ++s) {
    std::vector<std::string> fields;
    for (size_t f = 0; f <= m.FieldCount(s); ++f) {
      fields.emplace_back(m.Field(s, f));
    }
    out.push_back(fields);
  }
  return out;
}

// A random well-formed message: fields of 0 to ~150 bytes (so fields and segments cross the
// scan's 64-byte blocks anywhere), CR, LF or CRLF ends, empty lines, 2- to 4-byte UTF-8 text.
std::string RandomMessage(std::mt19937& rng) {
  static const std::vector<std::string> kPieces = {"a", "Z", "9", "^", "~", "&", " ", "\\E\\",
                                                   "\xC3\xB1", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
  static const std::vector<std::string> kEnds = {"\r", "\n", "\r\n", "\r\r"};
  std::string text = "MSH|^~\\&|APP|FAC|||20240101||ADT^A01|C" + std::to_string(rng() % 1000) +
                     "|P|2.5||||||UNICODE UTF-8";
  const size_t segments = rng() % 6;
  for (size_t s = 0; s <= segments; ++s) {
    if (s > 0) {
      text += "Z" + std::string(1, static_cast<char>('A' + rng() % 26)) + std::to_string(rng() % 10);
    }
    const size_t fields = rng() % 12;
    for (size_t f = 0; f < fields; ++f) {
      text += "|";
      const size_t len = rng() % 4 == 0 ? rng() % 150 : rng() % 8;
      for (size_t k = 0; k < len; ++k) {
        text += kPieces[rng() % kPieces.size()];
      }
    }
    if (s < segments || rng() % 2 == 0) {
      text += kEnds[rng() % kEnds.size()];
    }
  }
  return text;
}

// Runs `body` once per scan kernel this machine has, then restores the default.
template <class Body>
void ForEachKernel(Body body) {
  std::vector<internal::ScanKernel> kernels = {internal::ScanKernel::kPortable};
  if (internal::Avx2ScanAvailable()) {
    kernels.push_back(internal::ScanKernel::kAvx2);
  }
  for (internal::ScanKernel k : kernels) {
    internal::SetScanKernelForTesting(k);
    body(k);
  }
  internal::SetScanKernelForTesting(internal::ScanKernel::kAuto);
}

TEST(Hl7MessageScanTest, EveryKernelMatchesANaiveSplit) {
  ForEachKernel([](internal::ScanKernel kernel) {
    std::mt19937 rng(7);
    Hl7Message reused;
    for (int round = 0; round < 3000; ++round) {
      const std::string text = RandomMessage(rng);
      const auto expected = NaiveFields(text);
      MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message fresh, ParseHl7Message(text));
      ASSERT_EQ(ParsedFields(fresh), expected)
          << "kernel " << static_cast<int>(kernel) << " round " << round;
      MEDLAKE_ASSERT_OK(ParseHl7MessageInto(text, {}, &reused));
      ASSERT_EQ(ParsedFields(reused), expected)
          << "kernel " << static_cast<int>(kernel) << " round " << round;
      EXPECT_EQ(reused.SegmentOffset(reused.segment_count() - 1),
                fresh.SegmentOffset(fresh.segment_count() - 1));
    }
  });
}

TEST(Hl7MessageScanTest, KernelsAgreeOnRejections) {
  // Mutated messages: the outcome, reason and location must not depend on the kernel.
  std::mt19937 rng(11);
  std::vector<std::string> texts;
  for (int round = 0; round < 3000; ++round) {
    std::string text = RandomMessage(rng);
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      text[rng() % text.size()] = static_cast<char>(rng() % 256);
    }
    texts.push_back(text);
  }
  std::vector<std::string> outcomes[2];
  int slot = 0;
  ForEachKernel([&](internal::ScanKernel) {
    for (const std::string& text : texts) {
      Hl7Rejection r;
      auto m = ParseHl7Message(text, {}, &r);
      outcomes[slot].push_back(
          m.ok() ? "ok " + std::to_string(m->segment_count())
                 : std::string(Hl7RejectReasonCode(r.reason)) + " " +
                       std::to_string(r.segment_index) + " " + r.segment_id + " " +
                       std::to_string(r.field) + " " + std::to_string(r.byte_offset));
    }
    ++slot;
  });
  if (slot < 2) {
    GTEST_SKIP() << "this CPU has no AVX2: only the portable scan runs";
  }
  size_t rejected = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ(outcomes[0][i], outcomes[1][i]) << i;
    rejected += outcomes[0][i].rfind("ok", 0) == 0 ? 0 : 1;
  }
  EXPECT_GT(rejected, 100u);  // the mutations do reach the error paths
}

TEST(Hl7MessageScanTest, AReusedMessageForgetsEverythingOfThePreviousOne) {
  ForEachKernel([](internal::ScanKernel) {
    Hl7Message m;
    std::string big = kAdt;
    for (int i = 0; i < 500; ++i) {
      big += "OBX|" + std::to_string(i) + "|ST|X||value " + std::to_string(i) + "\r";
    }
    MEDLAKE_ASSERT_OK(ParseHl7MessageInto(big, {}, &m));
    EXPECT_EQ(m.segment_count(), 504u);
    // A rejected message leaves no segments behind.
    Hl7Rejection r;
    EXPECT_THAT(ParseHl7MessageInto(Replace(kAdt, "ZPI|", "zpi|"), {}, &m, &r), Not(IsOk()));
    EXPECT_EQ(r.reason, Hl7RejectReason::kInvalidSegmentId);
    EXPECT_EQ(m.segment_count(), 0u);
    // A smaller message afterwards reads exactly as when parsed fresh.
    const std::string small = "MSH#!@$%#A#B\nPID#1##X!Y%Z\n";
    MEDLAKE_ASSERT_OK(ParseHl7MessageInto(small, {}, &m));
    EXPECT_EQ(ParsedFields(m), NaiveFields(small));
    EXPECT_EQ(m.delimiters().component, '!');
    EXPECT_EQ(m.Component(1, 3, 1, 2), "Y%Z");
    EXPECT_EQ(m.Subcomponent(1, 3, 1, 2, 2), "Z");
    EXPECT_EQ(m.FindSegment("OBX"), std::nullopt);
  });
}

}  // namespace
}  // namespace medlake::ingest::hl7v2
