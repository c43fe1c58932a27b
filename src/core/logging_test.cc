#include "core/logging.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/progress.h"
#include "core/testing/manual_clock.h"

namespace medlake {
namespace {

class CaptureSink : public LogSink {
 public:
  void Write(LogLevel, std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_ = std::make_shared<CaptureSink>();
    previous_ = SetLogSinkForTest(sink_);
    level_ = GetLogLevel();
    SetLogLevel(LogLevel::kInfo);
  }
  void TearDown() override {
    SetLogSinkForTest(previous_);
    SetLogLevel(level_);
  }
  std::shared_ptr<CaptureSink> sink_;
  std::shared_ptr<LogSink> previous_;
  LogLevel level_ = LogLevel::kWarn;
};

TEST_F(LoggingTest, WritesEventAndTypedFields) {
  Log(LogLevel::kInfo, "batch_committed",
      {{"table", LogId("raw.hl7_messages")}, {"rows", int64_t{42}}, {"ok", true}});
  ASSERT_EQ(sink_->lines.size(), 1u);
  const std::string& line = sink_->lines[0];
  EXPECT_NE(line.find(" INFO batch_committed table=raw.hl7_messages rows=42 ok=true"),
            std::string::npos)
      << line;
}

TEST_F(LoggingTest, FiltersBelowLevel) {
  Log(LogLevel::kDebug, "noise");
  EXPECT_TRUE(sink_->lines.empty());
  SetLogLevel(LogLevel::kError);
  Log(LogLevel::kWarn, "still_filtered");
  EXPECT_TRUE(sink_->lines.empty());
}

TEST_F(LoggingTest, QuotesValuesWithSpacesAndStripsControlCharacters) {
  Log(LogLevel::kWarn, "file_rejected", {{"path", LogId("/in/a b\n.hl7")}});
  ASSERT_EQ(sink_->lines.size(), 1u);
  EXPECT_NE(sink_->lines[0].find("path=\"/in/a b .hl7\""), std::string::npos) << sink_->lines[0];
}

TEST(ProgressBarTest, DisabledBarPrintsNothing) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressBar bar("loading", 10, f, /*enabled=*/false);
    bar.Advance(5);
    bar.Finish();
  }
  EXPECT_EQ(std::ftell(f), 0);
  std::fclose(f);
}

TEST(ProgressBarTest, EnabledBarDrawsPercentAndCount) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ManualClock clock;
  ProgressBar bar("loading", 4, f, /*enabled=*/true, clock);
  clock.AdvanceMicros(1'000'000);
  bar.Advance(2);
  EXPECT_NE(bar.RenderForTest().find(" 50% 2/4 2/s"), std::string::npos) << bar.RenderForTest();
  bar.Finish();
  EXPECT_GT(std::ftell(f), 0);
  std::fclose(f);
}

}  // namespace
}  // namespace medlake
