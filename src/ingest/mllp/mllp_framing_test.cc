#include "ingest/mllp/mllp_framing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace medlake::ingest::mllp {
namespace {

std::vector<std::string> Frames(const std::vector<MllpEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (e.kind == MllpEventKind::kFrame)
      out.push_back(e.payload);
  }
  return out;
}

TEST(MllpFrameDecoderTest, DecodesOneFrame) {
  MllpFrameDecoder d;
  std::vector<MllpEvent> ev;
  d.Feed(EncodeMllpFrame("MSH|a\rPID|b\r"), &ev);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, MllpEventKind::kFrame);
  EXPECT_EQ(ev[0].payload, "MSH|a\rPID|b\r");
  EXPECT_FALSE(d.in_frame());
}

TEST(MllpFrameDecoderTest, FramesSplitAtEveryByte) {
  std::string stream = EncodeMllpFrame("MSH|one\r") + EncodeMllpFrame("MSH|two\r");
  MllpFrameDecoder d;
  std::vector<MllpEvent> ev;
  for (char c : stream)
    d.Feed(std::string_view(&c, 1), &ev);
  EXPECT_EQ(Frames(ev), (std::vector<std::string>{"MSH|one\r", "MSH|two\r"}));
}

TEST(MllpFrameDecoderTest, ManyFramesInOneRead) {
  std::string stream;
  for (int i = 0; i < 100; ++i)
    stream += EncodeMllpFrame("MSH|" + std::to_string(i) + "\r");
  MllpFrameDecoder d;
  std::vector<MllpEvent> ev;
  d.Feed(stream, &ev);
  auto frames = Frames(ev);
  ASSERT_EQ(frames.size(), 100u);
  EXPECT_EQ(frames[42], "MSH|42\r");
}

TEST(MllpFrameDecoderTest, EndMarkerSplitBetweenReads) {
  MllpFrameDecoder d;
  std::vector<MllpEvent> ev;
  d.Feed("\x0bMSH|x\r\x1c", &ev);
  EXPECT_TRUE(ev.empty());
  EXPECT_TRUE(d.in_frame());
  d.Feed("\r", &ev);
  EXPECT_EQ(Frames(ev), std::vector<std::string>{"MSH|x\r"});
}

TEST(MllpFrameDecoderTest, ReportsGarbageOutsideFrames) {
  MllpFrameDecoder d;
  std::vector<MllpEvent> ev;
  d.Feed("junk" + EncodeMllpFrame("MSH|x\r") + "\r\n" + EncodeMllpFrame("MSH|y\r"), &ev);
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].kind, MllpEventKind::kGarbage);
  EXPECT_EQ(ev[0].size, 4u);
  EXPECT_FALSE(ev[0].whitespace_only);
  EXPECT_EQ(ev[2].kind, MllpEventKind::kGarbage);
  EXPECT_TRUE(ev[2].whitespace_only);
  EXPECT_EQ(Frames(ev), (std::vector<std::string>{"MSH|x\r", "MSH|y\r"}));
}

TEST(MllpFrameDecoderTest, StartBlockInsideFrameRestarts) {
  MllpFrameDecoder d;
  std::vector<MllpEvent> ev;
  d.Feed("\x0bMSH|lost" + EncodeMllpFrame("MSH|kept\r"), &ev);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, MllpEventKind::kGarbage);
  EXPECT_EQ(ev[0].size, 9u);
  EXPECT_EQ(ev[1].payload, "MSH|kept\r");
}

TEST(MllpFrameDecoderTest, EndBlockWithoutCarriageReturnIsPayload) {
  MllpFrameDecoder d;
  std::vector<MllpEvent> ev;
  d.Feed(std::string("\x0b"
                     "a\x1c"
                     "b\x1c\r"),
         &ev);
  EXPECT_EQ(Frames(ev), std::vector<std::string>{"a\x1c"
                                                 "b"});
}

TEST(MllpFrameDecoderTest, OversizedFrameIsReportedAndSkipped) {
  MllpFrameDecoder d(10);
  std::vector<MllpEvent> ev;
  d.Feed("\x0b" + std::string(6, 'x'), &ev);
  d.Feed(std::string(6, 'y'), &ev);
  EXPECT_LE(d.buffered(), 10u);
  d.Feed(std::string(100, 'z') + "\x1c\r" + EncodeMllpFrame("ok"), &ev);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, MllpEventKind::kOversized);
  EXPECT_EQ(ev[1].payload, "ok");
}

TEST(MllpFrameDecoderTest, FrameOfExactlyTheCapIsAccepted) {
  MllpFrameDecoder d(10);
  std::vector<MllpEvent> ev;
  d.Feed(EncodeMllpFrame(std::string(10, 'x')), &ev);
  EXPECT_EQ(Frames(ev), std::vector<std::string>{std::string(10, 'x')});
}

TEST(MllpFrameDecoderTest, FinishReportsUnfinishedFrame) {
  MllpFrameDecoder d;
  std::vector<MllpEvent> ev;
  d.Feed("\x0bMSH|half", &ev);
  d.Finish(&ev);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, MllpEventKind::kGarbage);
  EXPECT_EQ(ev[0].size, 9u);
  EXPECT_FALSE(d.in_frame());
}

TEST(MllpFrameEncoderTest, WrapsPayload) {
  EXPECT_EQ(EncodeMllpFrame("abc"), std::string("\x0b"
                                                "abc\x1c\r"));
}

}  // namespace
}  // namespace medlake::ingest::mllp
