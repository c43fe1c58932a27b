#include "ingest/mllp/mllp_server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "ingest/mllp/mllp_test_client_internal.h"

namespace medlake::ingest::mllp {
namespace {

using testing::AckCode;
using testing::AckedControlId;
using testing::MllpTestClient;
using testing::TestMessage;

std::vector<WalEntry> ReadAll(const StagingWal& wal) {
  std::vector<WalEntry> all, part;
  uint64_t next = wal.checkpoint(), from = 0;
  do {
    from = next;
    EXPECT_THAT(wal.Read(from, 1000, 1 << 30, &part, &next), IsOk());
    all.insert(all.end(), part.begin(), part.end());
  } while (!part.empty());
  return all;
}

class MllpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto wal = StagingWal::Open(tmp_.Join("wal"));
    ASSERT_THAT(wal, IsOk());
    wal_ = std::move(*wal);
    MllpServerOptions options;
    options.max_frame_bytes = 1 << 20;
    options.on_durable = [this](size_t n) { durable_ += n; };
    auto server = MllpServer::Start(options, *wal_);
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    ASSERT_GT(server_->port(), 0);
  }

  TempDir tmp_;
  std::unique_ptr<StagingWal> wal_;
  std::unique_ptr<MllpServer> server_;
  std::atomic<size_t> durable_{0};
};

TEST_F(MllpServerTest, AcknowledgesAfterTheMessageIsDurable) {
  MllpTestClient c;
  MEDLAKE_ASSERT_OK(c.Connect(server_->port()));
  MEDLAKE_ASSERT_OK(c.Send(TestMessage("S1")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ack, c.ReadAck());
  EXPECT_EQ(AckCode(ack), "AA");
  EXPECT_EQ(AckedControlId(ack), "S1");
  // The ACK was sent, so the record is in the WAL.
  auto all = ReadAll(*wal_);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].record.payload, TestMessage("S1"));
  EXPECT_EQ(all[0].record.kind, WalRecordKind::kAccepted);
  EXPECT_EQ(durable_.load(), 1u);
}

TEST_F(MllpServerTest, RejectedMessagesAreLoggedAndAnsweredWithErr) {
  MllpTestClient c;
  MEDLAKE_ASSERT_OK(c.Connect(server_->port()));
  MEDLAKE_ASSERT_OK(c.Send("not hl7 at all"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ar, c.ReadAck());
  EXPECT_EQ(AckCode(ar), "AR");
  EXPECT_NE(ar.find("\rERR|"), std::string::npos);
  MEDLAKE_ASSERT_OK(c.Send(TestMessage("")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ae, c.ReadAck());
  EXPECT_EQ(AckCode(ae), "AE");
  auto all = ReadAll(*wal_);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].record.kind, WalRecordKind::kRejected);
  EXPECT_EQ(all[1].record.reason_code, "hl7.required_field_missing");
  EXPECT_EQ(server_->stats().rejected, 2u);
}

TEST_F(MllpServerTest, PipelinedFramesInOneWriteAreAckedInOrder) {
  MllpTestClient c;
  MEDLAKE_ASSERT_OK(c.Connect(server_->port()));
  std::string burst;
  for (int i = 0; i < 20; ++i)
    burst += EncodeMllpFrame(TestMessage("P" + std::to_string(i)));
  MEDLAKE_ASSERT_OK(c.SendRaw(burst));
  for (int i = 0; i < 20; ++i) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ack, c.ReadAck());
    EXPECT_EQ(AckedControlId(ack), "P" + std::to_string(i));
  }
}

TEST_F(MllpServerTest, FrameSplitAcrossWrites) {
  MllpTestClient c;
  MEDLAKE_ASSERT_OK(c.Connect(server_->port()));
  std::string frame = EncodeMllpFrame(TestMessage("SPLIT"));
  MEDLAKE_ASSERT_OK(c.SendRaw(frame.substr(0, 10)));
  MEDLAKE_ASSERT_OK(c.SendRaw(frame.substr(10)));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ack, c.ReadAck());
  EXPECT_EQ(AckedControlId(ack), "SPLIT");
}

TEST_F(MllpServerTest, ManyConcurrentSenders) {
  constexpr int kSenders = 16, kMessages = 25;
  std::atomic<int> acked{0};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int s = 0; s < kSenders; ++s) {
    threads.emplace_back([&, s] {
      MllpTestClient c;
      if (!c.Connect(server_->port()).ok())
        return;
      for (int i = 0; i < kMessages; ++i) {
        std::string id = "C" + std::to_string(s) + "-" + std::to_string(i);
        if (!c.Send(TestMessage(id)).ok())
          return;
        auto ack = c.ReadAck();
        if (ack.ok() && AckCode(*ack) == "AA" && AckedControlId(*ack) == id)
          ++acked;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(acked.load(), kSenders * kMessages);
  EXPECT_EQ(ReadAll(*wal_).size(), static_cast<size_t>(kSenders * kMessages));
  std::printf("%d senders x %d messages: %.0f acks/s, %llu fdatasync calls\n", kSenders, kMessages,
              kSenders * kMessages / secs, static_cast<unsigned long long>(wal_->sync_count()));
}

TEST_F(MllpServerTest, ReportsSingleSenderAckLatency) {
  MllpTestClient c;
  MEDLAKE_ASSERT_OK(c.Connect(server_->port()));
  std::vector<double> micros;
  for (int i = 0; i < 200; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    MEDLAKE_ASSERT_OK(c.Send(TestMessage("L" + std::to_string(i))));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ack, c.ReadAck());
    ASSERT_EQ(AckCode(ack), "AA");
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(micros.begin(), micros.end());
  std::printf(
      "single sender ACK latency (send -> AA, includes fdatasync): p50 %.0f us, p99 %.0f us\n",
      micros[micros.size() / 2], micros[micros.size() * 99 / 100]);
}

TEST_F(MllpServerTest, OversizedFrameClosesTheConnection) {
  MllpTestClient c;
  MEDLAKE_ASSERT_OK(c.Connect(server_->port()));
  MEDLAKE_ASSERT_OK(c.SendRaw("\x0b" + std::string((1 << 20) + 10, 'x')));
  EXPECT_THAT(c.ReadAck(), StatusIs(StatusCode::kIOError, "closed"));
  EXPECT_EQ(server_->stats().oversized_frames, 1u);
  MllpTestClient again;  // the server keeps serving others
  MEDLAKE_ASSERT_OK(again.Connect(server_->port()));
  MEDLAKE_ASSERT_OK(again.Send(TestMessage("AFTER")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string ack, again.ReadAck());
  EXPECT_EQ(AckCode(ack), "AA");
}

TEST_F(MllpServerTest, StopClosesIdleConnections) {
  MllpTestClient c;
  MEDLAKE_ASSERT_OK(c.Connect(server_->port()));
  MEDLAKE_ASSERT_OK(c.Send(TestMessage("BEFORE")));
  MEDLAKE_ASSERT_OK(c.ReadAck().status());
  server_->Stop();
  EXPECT_THAT(c.ReadAck(2000), StatusIs(StatusCode::kIOError, "closed"));
  server_->Stop();  // idempotent
}

TEST(MllpServerStartTest, RejectsBadAddress) {
  TempDir tmp;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(tmp.Join("wal")));
  MllpServerOptions options;
  options.bind_address = "not-an-ip";
  EXPECT_THAT(MllpServer::Start(options, *wal), StatusIs(StatusCode::kInvalidArgument, "IPv4"));
}

}  // namespace
}  // namespace medlake::ingest::mllp
