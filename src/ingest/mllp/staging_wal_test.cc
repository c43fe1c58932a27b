#include "ingest/mllp/staging_wal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"

namespace medlake::ingest::mllp {
namespace {

WalRecord Rec(const std::string& payload, WalRecordKind kind = WalRecordKind::kAccepted) {
  WalRecord r;
  r.kind = kind;
  r.received_micros = 1700000000000000;
  r.peer = "127.0.0.1:4000";
  r.payload = payload;
  if (kind == WalRecordKind::kRejected) {
    r.reason_code = "hl7.msh_missing";
    r.reason = "first segment is not MSH";
  }
  return r;
}

std::vector<WalEntry> ReadAll(const StagingWal& wal, uint64_t from) {
  std::vector<WalEntry> all, part;
  uint64_t next = from;
  do {
    from = next;
    EXPECT_THAT(wal.Read(from, 7, 1 << 20, &part, &next), IsOk());
    all.insert(all.end(), part.begin(), part.end());
  } while (!part.empty());
  return all;
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind("wal-", 0) == 0)
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(StagingWalTest, AppendsAndReadsBack) {
  TempDir tmp;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(tmp.Join("wal")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(uint64_t p0, wal->Append(Rec("one")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(uint64_t p1, wal->Append(Rec("two", WalRecordKind::kRejected)));
  EXPECT_LT(p0, p1);
  auto all = ReadAll(*wal, wal->checkpoint());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].position, p0);
  EXPECT_EQ(all[0].record.payload, "one");
  EXPECT_EQ(all[0].record.peer, "127.0.0.1:4000");
  EXPECT_EQ(all[1].record.kind, WalRecordKind::kRejected);
  EXPECT_EQ(all[1].record.reason_code, "hl7.msh_missing");
  EXPECT_EQ(wal->durable_records(), 2u);
}

TEST(StagingWalTest, RejectsOversizedPayload) {
  TempDir tmp;
  StagingWalOptions options;
  options.max_payload_bytes = 10;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(tmp.Join("wal"), options));
  EXPECT_THAT(wal->Append(Rec(std::string(11, 'x'))),
              StatusIs(StatusCode::kInvalidArgument, "exceeds"));
  MEDLAKE_EXPECT_OK(wal->Append(Rec("small")));
}

TEST(StagingWalTest, TornTailIsIgnoredOnReplay) {
  TempDir tmp;
  const std::string dir = tmp.Join("wal");
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(dir));
    MEDLAKE_ASSERT_OK(wal->Append(Rec("first")));
    MEDLAKE_ASSERT_OK(wal->Append(Rec("second")));
  }
  // Simulate a crash in the middle of writing a third record: half of it reached the disk.
  auto segs = SegmentFiles(dir);
  ASSERT_FALSE(segs.empty());
  std::string third = EncodeWalRecord(Rec("third, never acknowledged"));
  {
    std::ofstream f(segs.back(), std::ios::binary | std::ios::app);
    f.write(third.data(), static_cast<std::streamsize>(third.size() / 2));
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(dir));
  MEDLAKE_ASSERT_OK(wal->Append(Rec("fourth")));
  auto all = ReadAll(*wal, 0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].record.payload, "first");
  EXPECT_EQ(all[1].record.payload, "second");
  EXPECT_EQ(all[2].record.payload, "fourth");
}

TEST(StagingWalTest, CorruptRecordIsDetectedByCrc) {
  TempDir tmp;
  const std::string dir = tmp.Join("wal");
  uint64_t second = 0;
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(dir));
    MEDLAKE_ASSERT_OK(wal->Append(Rec("first")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(second, wal->Append(Rec("second")));
  }
  auto segs = SegmentFiles(dir);
  {
    std::fstream f(segs.back(), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(second + 20));
    f.put('X');
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(dir));
  auto all = ReadAll(*wal, 0);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].record.payload, "first");
}

TEST(StagingWalTest, GroupCommitSharesSyncsAcrossThreads) {
  TempDir tmp;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(tmp.Join("wal")));
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> positions(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto p = wal->Append(Rec("t" + std::to_string(t) + "-" + std::to_string(i)));
        ASSERT_TRUE(p.ok());
        // Durable on return: the record is below the durable end.
        EXPECT_LT(*p, wal->durable_end());
        positions[t].push_back(*p);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  std::set<uint64_t> unique;
  for (const auto& v : positions)
    unique.insert(v.begin(), v.end());
  EXPECT_EQ(unique.size(), static_cast<size_t>(kThreads * kPerThread));
  auto all = ReadAll(*wal, 0);
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<std::string> payloads;
  for (const auto& e : all)
    payloads.insert(e.record.payload);
  EXPECT_EQ(payloads.size(), all.size());
  EXPECT_LE(wal->sync_count(), static_cast<uint64_t>(kThreads * kPerThread));
  std::printf("group commit: %d records, %llu fdatasync calls\n", kThreads * kPerThread,
              static_cast<unsigned long long>(wal->sync_count()));
}

TEST(StagingWalTest, BatchAppendIsOneSync) {
  TempDir tmp;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(tmp.Join("wal")));
  std::vector<WalRecord> batch{Rec("a"), Rec("b"), Rec("c")};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto pos, wal->Append(batch));
  ASSERT_EQ(pos.size(), 3u);
  EXPECT_EQ(wal->sync_count(), 1u);
}

TEST(StagingWalTest, CheckpointSurvivesReopenAndDeletesCommittedSegments) {
  TempDir tmp;
  const std::string dir = tmp.Join("wal");
  StagingWalOptions options;
  options.segment_bytes = 200;  // a few records per segment
  uint64_t checkpoint = 0;
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(dir, options));
    for (int i = 0; i < 20; ++i)
      MEDLAKE_ASSERT_OK(wal->Append(Rec("message " + std::to_string(i))));
    EXPECT_GT(wal->segment_count(), 3u);
    auto all = ReadAll(*wal, 0);
    ASSERT_EQ(all.size(), 20u);
    checkpoint = all[15].position;  // records 0..14 committed
    const size_t before = SegmentFiles(dir).size();
    MEDLAKE_ASSERT_OK(wal->Checkpoint(checkpoint));
    EXPECT_LT(SegmentFiles(dir).size(), before);
    EXPECT_THAT(wal->Checkpoint(checkpoint - 1), StatusIs(StatusCode::kInvalidArgument, "outside"));
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(dir, options));
  EXPECT_EQ(wal->checkpoint(), checkpoint);
  auto rest = ReadAll(*wal, wal->checkpoint());
  ASSERT_EQ(rest.size(), 5u);
  EXPECT_EQ(rest[0].record.payload, "message 15");
  // Positions keep growing after a restart: never reused.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(uint64_t p, wal->Append(Rec("after restart")));
  EXPECT_GT(p, rest.back().position);
}

TEST(StagingWalTest, PositionsNeverReusedAfterEverythingCommitted) {
  TempDir tmp;
  const std::string dir = tmp.Join("wal");
  uint64_t last = 0;
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(dir));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(last, wal->Append(Rec("x")));
    MEDLAKE_ASSERT_OK(wal->Checkpoint(wal->durable_end()));
  }
  for (const auto& seg : SegmentFiles(dir))
    std::filesystem::remove(seg);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(dir));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(uint64_t p, wal->Append(Rec("y")));
  EXPECT_GT(p, last);
}

TEST(StagingWalTest, CorruptCheckpointIsDataLoss) {
  TempDir tmp;
  const std::string dir = tmp.Join("wal");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/CHECKPOINT") << "garbage";
  EXPECT_THAT(StagingWal::Open(dir), StatusIs(StatusCode::kDataLoss, "checkpoint"));
}

}  // namespace
}  // namespace medlake::ingest::mllp
