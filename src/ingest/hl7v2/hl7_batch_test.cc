#include "ingest/hl7v2/hl7_batch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/testing/status_matchers.h"
#include "ingest/hl7v2/hl7_message.h"

namespace medlake::ingest::hl7v2 {
namespace {

using ::testing::HasSubstr;

std::string Msg(const std::string& control_id, const std::string& end = "\r") {
  return "MSH|^~\\&|A|F|R|RF|20240101||ADT^A01|" + control_id + "|P|2.5" + end + "PID|1||" +
         control_id + "^^^H^MR" + end;
}

// Every byte is covered exactly once, in order.
void ExpectCoverage(std::string_view buffer, const Hl7BatchSplit& split) {
  size_t pos = 0;
  for (const Hl7Span& s : split.spans) {
    EXPECT_EQ(s.offset, pos);
    EXPECT_GT(s.length, 0u);
    pos = s.offset + s.length;
  }
  EXPECT_EQ(pos, buffer.size());
}

std::vector<std::string_view> Messages(std::string_view buffer, const Hl7BatchSplit& split) {
  std::vector<std::string_view> out;
  for (const Hl7Span& s : split.spans) {
    if (s.kind == Hl7SpanKind::kMessage) {
      out.push_back(SpanBytes(buffer, s));
    }
  }
  return out;
}

std::vector<const Hl7Span*> OfKind(const Hl7BatchSplit& split, Hl7SpanKind kind) {
  std::vector<const Hl7Span*> out;
  for (const Hl7Span& s : split.spans) {
    if (s.kind == kind) {
      out.push_back(&s);
    }
  }
  return out;
}

TEST(Hl7BatchTest, SplitsConcatenatedMessages) {
  const std::string buffer = Msg("C1") + Msg("C2") + Msg("C3");
  const Hl7BatchSplit split = SplitHl7Batch(buffer);
  ExpectCoverage(buffer, split);
  EXPECT_EQ(split.message_count, 3u);
  EXPECT_EQ(split.rejected_count, 0u);
  EXPECT_TRUE(split.issues.empty());
  const auto messages = Messages(buffer, split);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[1], Msg("C2"));
  EXPECT_EQ(split.spans[1].offset, Msg("C1").size());
  for (std::string_view m : messages) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(Hl7Message parsed, ParseHl7Message(m));
    EXPECT_EQ(parsed.segment_count(), 2u);
  }
}

TEST(Hl7BatchTest, BlankLinesBetweenMessagesAreSeparators) {
  const std::string buffer = "\n" + Msg("C1", "\n") + "\n  \n" + Msg("C2", "\r\n") + "\r\n";
  const Hl7BatchSplit split = SplitHl7Batch(buffer);
  ExpectCoverage(buffer, split);
  const auto messages = Messages(buffer, split);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], Msg("C1", "\n"));
  EXPECT_EQ(messages[1], Msg("C2", "\r\n"));
  EXPECT_EQ(OfKind(split, Hl7SpanKind::kSeparator).size(), 3u);
}

TEST(Hl7BatchTest, BlankLineInsideAMessageStaysInIt) {
  const std::string buffer = "MSH|^~\\&|A\r\rPID|1\r" + Msg("C2");
  const Hl7BatchSplit split = SplitHl7Batch(buffer);
  const auto messages = Messages(buffer, split);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], "MSH|^~\\&|A\r\rPID|1\r");
}

TEST(Hl7BatchTest, RejectsGarbageBeforeTheFirstMsh) {
  const std::string buffer = "garbage line\rmore\r" + Msg("C1");
  const Hl7BatchSplit split = SplitHl7Batch(buffer);
  ExpectCoverage(buffer, split);
  ASSERT_EQ(split.spans.size(), 2u);
  EXPECT_EQ(split.spans[0].kind, Hl7SpanKind::kRejected);
  EXPECT_EQ(split.spans[0].length, 18u);
  EXPECT_THAT(split.spans[0].reason, HasSubstr("before the first MSH"));
  EXPECT_EQ(split.rejected_count, 1u);
  EXPECT_EQ(split.message_count, 1u);
}

TEST(Hl7BatchTest, ReadsBatchEnvelopes) {
  const std::string buffer = "FHS|^~\\&|A\rBHS|^~\\&|A\r" + Msg("C1") + Msg("C2") +
                             "BTS|2\rBHS|^~\\&|A\r" + Msg("C3") + "BTS|1\rFTS|2\r";
  const Hl7BatchSplit split = SplitHl7Batch(buffer);
  ExpectCoverage(buffer, split);
  EXPECT_EQ(split.message_count, 3u);
  EXPECT_EQ(OfKind(split, Hl7SpanKind::kEnvelope).size(), 6u);
  EXPECT_TRUE(split.issues.empty());
  for (std::string_view m : Messages(buffer, split)) {
    MEDLAKE_EXPECT_OK(ParseHl7Message(m));
  }
}

TEST(Hl7BatchTest, ReportsBatchCountMismatches) {
  const std::string buffer =
      "BHS|^~\\&|A\r" + Msg("C1") + "BTS|3\rBHS|^~\\&\r" + Msg("C2") + "BTS|x\r";
  const Hl7BatchSplit split = SplitHl7Batch(buffer);
  ExpectCoverage(buffer, split);
  ASSERT_EQ(split.issues.size(), 2u);
  EXPECT_THAT(split.issues[0].reason,
              HasSubstr("BTS-1 batch message count 3 does not match the 1 messages"));
  EXPECT_EQ(split.issues[0].offset, buffer.find("BTS|3"));
  EXPECT_THAT(split.issues[1].reason, HasSubstr("not a number"));
  EXPECT_EQ(split.message_count, 2u);
}

TEST(Hl7BatchTest, ReportsUnbalancedEnvelopes) {
  const std::string buffer = "FHS|^~\\&\rBHS|^~\\&\r" + Msg("C1") + "BTS\rBTS|0\r";
  const Hl7BatchSplit split = SplitHl7Batch(buffer);
  ExpectCoverage(buffer, split);
  std::vector<std::string> reasons;
  for (const Hl7BatchIssue& i : split.issues) {
    reasons.push_back(i.reason);
  }
  EXPECT_THAT(reasons, ::testing::ElementsAre(HasSubstr("BTS without BHS"),
                                              HasSubstr("file not closed by FTS")));
}

TEST(Hl7BatchTest, RejectsDataOutsideMessagesAfterAnEnvelope) {
  const std::string buffer = "BHS|^~\\&\r" + Msg("C1") + "BTS|1\rstray\r";
  const Hl7BatchSplit split = SplitHl7Batch(buffer);
  ExpectCoverage(buffer, split);
  const auto rejected = OfKind(split, Hl7SpanKind::kRejected);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_THAT(rejected[0]->reason, HasSubstr("outside a message"));
}

TEST(Hl7BatchTest, RemovesMllpFraming) {
  const std::string buffer =
      "\x0B" + Msg("C1") + "\x1C\r" + "\x0B" + Msg("C2") + "\x1C\r\n" + "\x0B" + Msg("C3") + "\x1C";
  const Hl7BatchSplit split = SplitHl7Batch(buffer);
  ExpectCoverage(buffer, split);
  const auto messages = Messages(buffer, split);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0], Msg("C1"));
  EXPECT_EQ(messages[2], Msg("C3"));
  EXPECT_EQ(split.spans[1].offset, 1u);
  EXPECT_EQ(split.rejected_count, 0u);
}

TEST(Hl7BatchTest, RejectsBytesOutsideMllpFramesAndUnterminatedFrames) {
  const std::string buffer =
      "\x0B" + Msg("C1") + "\x1C\r" + "noise" + "\x0B" + Msg("C2") + "\x0B" + Msg("C3") + "\x1C\r";
  const Hl7BatchSplit split = SplitHl7Batch(buffer);
  ExpectCoverage(buffer, split);
  const auto rejected = OfKind(split, Hl7SpanKind::kRejected);
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_THAT(rejected[0]->reason, HasSubstr("outside an MLLP frame"));
  EXPECT_THAT(rejected[1]->reason, HasSubstr("not terminated"));
  const auto messages = Messages(buffer, split);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1], Msg("C3"));
}

TEST(Hl7BatchTest, ByteOrderMarksBeforeMessagesAreSeparators) {
  const std::string bom = "\xEF\xBB\xBF";
  const std::string buffer = bom + Msg("C1", "\n") + bom + Msg("C2", "\n");
  const Hl7BatchSplit split = SplitHl7Batch(buffer);
  ExpectCoverage(buffer, split);
  const auto messages = Messages(buffer, split);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1], Msg("C2", "\n"));
  EXPECT_EQ(split.spans[0].kind, Hl7SpanKind::kSeparator);
  EXPECT_EQ(split.spans[0].length, 3u);
}

TEST(Hl7BatchTest, EmptyBufferHasNoSpans) {
  const Hl7BatchSplit split = SplitHl7Batch("");
  EXPECT_TRUE(split.spans.empty());
  EXPECT_EQ(split.message_count, 0u);
}

TEST(Hl7BatchTest, CoversEveryByteOfRandomInput) {
  std::mt19937 rng(7);
  const std::string alphabet = "MSHBTFPID|^~\\&\r\n\x0B\x1C 1";
  for (int round = 0; round < 2000; ++round) {
    std::string buffer;
    const size_t len = rng() % 200;
    for (size_t i = 0; i < len; ++i) {
      buffer.push_back(rng() % 4 == 0 ? static_cast<char>(rng() % 256)
                                      : alphabet[rng() % alphabet.size()]);
    }
    if (round % 3 == 0) {
      buffer = Msg("R") + buffer + Msg("S");
    }
    const Hl7BatchSplit split = SplitHl7Batch(buffer);
    ExpectCoverage(buffer, split);
    for (std::string_view m : Messages(buffer, split)) {
      auto parsed = ParseHl7Message(m);
      if (!parsed.ok()) {
        EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
      }
    }
  }
}

}  // namespace
}  // namespace medlake::ingest::hl7v2
