#include "security/audit/audit_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "core/crypto.h"
#include "core/testing/manual_clock.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"

namespace medlake::security {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

AuditRecord MakeRecord(const std::string& actor, int i) {
  AuditRecord r;
  r.actor = actor;
  r.client = "cli";
  r.purpose = "treatment";
  r.action = "statement";
  r.statement = "SELECT count(*) FROM curated.person WHERE n = " + std::to_string(i);
  r.tables = {"curated.person"};
  r.columns = {"curated.person.person_id"};
  r.rows = i;
  r.outcome = "ok";
  r.decisions = {"row_filter hospital_scope on curated.person"};
  return r;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line))
    lines.push_back(line);
  return lines;
}

// Rewrites `path` in place (same inode and mode), one line each, newline-terminated.
void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& l : lines)
    out << l << '\n';
}

void AppendBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t FileSizeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

// Recomputes a record's hash, as a forger with write access would.
void Rehash(AuditRecord* r) { r->hash = HexEncode(Sha256(CanonicalAuditJson(*r))); }

class AuditLogTest : public ::testing::Test {
 protected:
  std::string Dir() const { return tmp_.Join("audit"); }
  std::string Segment(int n = 1) const {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "/audit-%06d.jsonl", n);
    return Dir() + buf;
  }
  std::unique_ptr<AuditLog> OpenLog(int64_t segment_bytes = int64_t{64} << 20, int sync_interval_ms = 0) {
    AuditLogOptions options;
    options.clock = &clock_;
    options.segment_bytes = segment_bytes;
    options.sync_interval_ms = sync_interval_ms;
    auto log = AuditLog::Open(Dir(), options);
    EXPECT_THAT(log, IsOk());
    return log.ok() ? std::move(log).value() : nullptr;
  }
  void AppendN(AuditLog* log, int n, const std::string& actor = "user") {
    for (int i = 1; i <= n; ++i) {
      AuditRecord r = MakeRecord(actor, i);
      MEDLAKE_ASSERT_OK(log->Append(r));
      clock_.AdvanceMicros(1000);
    }
  }

  // The log verifies as one whole chain of `n` records, no two with the same (actor, rows).
  static void ExpectOneChainOfDistinctRecords(AuditLog* log, int n) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
    EXPECT_THAT(report.problems, IsEmpty());
    EXPECT_EQ(report.records, n);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto all, log->Read());
    std::set<std::pair<std::string, int64_t>> seen;
    for (const auto& r : all)
      seen.emplace(r.actor, r.rows);
    EXPECT_EQ(seen.size(), static_cast<size_t>(n));
  }

  TempDir tmp_;
  ManualClock clock_{1'700'000'000'123'456};
};

TEST_F(AuditLogTest, AppendFillsChainFieldsAndVerifies) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  std::string prev(kAuditGenesisHash);
  for (int i = 1; i <= 5; ++i) {
    AuditRecord r = MakeRecord("alice", i);
    MEDLAKE_ASSERT_OK(log->Append(r));
    EXPECT_EQ(r.seq, i);
    EXPECT_EQ(r.prev_hash, prev);
    EXPECT_EQ(r.hash, HexEncode(Sha256(CanonicalAuditJson(r))));
    prev = r.hash;
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.records, 5);
  EXPECT_EQ(report.head_seq, 5);
  EXPECT_EQ(report.head_hash, prev);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto head, log->Head());
  EXPECT_EQ(head.seq, 5);
  EXPECT_EQ(head.hash, prev);
}

TEST_F(AuditLogTest, TimeComesFromTheClockInUtcMilliseconds) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AuditRecord r = MakeRecord("alice", 1);
  MEDLAKE_ASSERT_OK(log->Append(r));
  EXPECT_EQ(r.time, "2023-11-14T22:13:20.123Z");
  // The same second again, the next second, a later day, and back: each formatted in full.
  const std::pair<int64_t, const char*> steps[] = {
      {7'000, "2023-11-14T22:13:20.130Z"},       {870'000, "2023-11-14T22:13:21.000Z"},
      {86'400'000'000, "2023-11-15T22:13:21.000Z"}, {-86'400'999'000, "2023-11-14T22:13:20.001Z"},
      {9'000, "2023-11-14T22:13:20.010Z"}};
  for (const auto& [advance, expected] : steps) {
    clock_.AdvanceMicros(advance);
    AuditRecord next = MakeRecord("alice", 2);
    MEDLAKE_ASSERT_OK(log->Append(next));
    EXPECT_EQ(next.time, expected);
  }
}

TEST_F(AuditLogTest, FilesArePrivate) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 1);
  struct stat st {};
  ASSERT_EQ(::stat(Dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(Segment().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((Dir() + "/HEAD").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AuditLogTest, LinesRoundTripEscapesAndInvalidUtf8) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AuditRecord r = MakeRecord("ana\u00F1a", 1);  // valid UTF-8 kept
  r.statement = "SELECT '\"quoted\"\\path'\n\tFROM x -- \x01 bell\x7f";
  r.error = std::string("bad \xFF byte") + '\0' + "nul";
  r.acting_as = "bob";
  r.break_glass = true;
  MEDLAKE_ASSERT_OK(log->Append(r));
  EXPECT_EQ(r.error, std::string("bad \xEF\xBF\xBD byte") + '\0' + "nul");  // stored as U+FFFD

  auto lines = ReadLines(Segment());
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_EQ(lines[0], AuditRecordLine(r));
  EXPECT_THAT(lines[0], HasSubstr("\\n\\tFROM x -- \\u0001 bell"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AuditRecord back, ParseAuditRecordLine(lines[0]));
  EXPECT_EQ(back.actor, r.actor);
  EXPECT_EQ(back.statement, r.statement);
  EXPECT_EQ(back.error, r.error);
  EXPECT_EQ(back.acting_as, "bob");
  EXPECT_TRUE(back.break_glass);
  EXPECT_EQ(back.tables, r.tables);
  EXPECT_EQ(back.rows, 1);
  EXPECT_EQ(back.hash, r.hash);
  EXPECT_EQ(CanonicalAuditJson(back), CanonicalAuditJson(r));

  // Keys in another order or with spaces parse as JSON but are not the canonical form.
  EXPECT_THAT(ParseAuditRecordLine("{\"seq\": 1}"), StatusIs(StatusCode::kDataLoss, ""));
}

TEST_F(AuditLogTest, RejectsRecordsWithoutActionOrWithUnknownOutcome) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AuditRecord r = MakeRecord("alice", 1);
  r.action.clear();
  EXPECT_THAT(log->Append(r), StatusIs(StatusCode::kInvalidArgument, "action"));
  r = MakeRecord("alice", 1);
  r.outcome = "maybe";
  EXPECT_THAT(log->Append(r), StatusIs(StatusCode::kInvalidArgument, "outcome"));
  r = MakeRecord("alice", 1);
  r.rows = -2;
  EXPECT_THAT(log->Append(r), StatusIs(StatusCode::kInvalidArgument, "rows"));
  EXPECT_EQ(FileSizeOf(Segment()), -1);  // nothing written
}

TEST_F(AuditLogTest, CutsOversizedStatementsAndKeepsTheirDigest) {
  AuditLogOptions options;
  options.clock = &clock_;
  options.max_statement_bytes = 10;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto log, AuditLog::Open(Dir(), options));
  AuditRecord r = MakeRecord("alice", 1);
  r.statement = "SELECT 12\xC3\xB1 FROM t";  // byte 10 is inside the 2-byte character
  const std::string digest = HexEncode(Sha256(r.statement));
  MEDLAKE_ASSERT_OK(log->Append(r));
  EXPECT_EQ(r.statement, "SELECT 12...[truncated: 18 bytes, sha256 " + digest + "]");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_TRUE(report.ok());
}

TEST_F(AuditLogTest, ChainContinuesAcrossSegments) {
  auto log = OpenLog(/*segment_bytes=*/1500);
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 30);
  EXPECT_GT(FileSizeOf(Segment(3)), 0);  // rolled over at least twice
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.records, 30);
  EXPECT_EQ(report.head_seq, 30);

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto all, log->Read());
  ASSERT_THAT(all, SizeIs(30));
  for (int i = 0; i < 30; ++i)
    EXPECT_EQ(all[i].seq, i + 1);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto some, log->Read(17, 5));
  ASSERT_THAT(some, SizeIs(5));
  EXPECT_EQ(some.front().seq, 17);
  EXPECT_EQ(some.back().seq, 21);
  EXPECT_EQ(some.front().prev_hash, all[15].hash);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto none, log->Read(31));
  EXPECT_THAT(none, IsEmpty());
}

TEST_F(AuditLogTest, ReopenContinuesTheChain) {
  std::string last_hash;
  {
    auto log = OpenLog(/*segment_bytes=*/1500);
    ASSERT_NE(log, nullptr);
    AppendN(log.get(), 3);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto head, log->Head());
    last_hash = head.hash;
  }
  auto log = OpenLog(/*segment_bytes=*/1500);
  ASSERT_NE(log, nullptr);
  AuditRecord r = MakeRecord("bob", 4);
  MEDLAKE_ASSERT_OK(log->Append(r));
  EXPECT_EQ(r.seq, 4);
  EXPECT_EQ(r.prev_hash, last_hash);
  AppendN(log.get(), 10);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.records, 14);
}

TEST_F(AuditLogTest, DetectsAnEditedRecordWithItsSeq) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 5);
  auto lines = ReadLines(Segment());
  ASSERT_THAT(lines, SizeIs(5));
  const std::string from = "\"actor\":\"user\"";
  const size_t at = lines[2].find(from);
  ASSERT_NE(at, std::string::npos);
  lines[2].replace(at, from.size(), "\"actor\":\"someone-else\"");
  WriteLines(Segment(), lines);

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  ASSERT_THAT(report.problems, SizeIs(1));
  EXPECT_EQ(report.problems[0].seq, 3);
  EXPECT_EQ(report.problems[0].file, "audit-000001.jsonl");
  EXPECT_EQ(report.problems[0].line, 3);
  EXPECT_THAT(report.problems[0].what, HasSubstr("edited"));
  EXPECT_EQ(report.records, 5);
}

TEST_F(AuditLogTest, DetectsAnEditedRecordWhoseHashWasRecomputed) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 5);
  auto lines = ReadLines(Segment());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(AuditRecord r, ParseAuditRecordLine(lines[2]));
  r.outcome = "denied";
  Rehash(&r);
  lines[2] = AuditRecordLine(r);
  WriteLines(Segment(), lines);

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  ASSERT_THAT(report.problems, SizeIs(1));
  EXPECT_EQ(report.problems[0].seq, 4);
  EXPECT_EQ(report.problems[0].line, 4);
  EXPECT_THAT(report.problems[0].what, HasSubstr("chain broken"));
}

TEST_F(AuditLogTest, DetectsADeletedRecord) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 5);
  auto lines = ReadLines(Segment());
  lines.erase(lines.begin() + 2);  // record 3
  WriteLines(Segment(), lines);

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  ASSERT_THAT(report.problems, SizeIs(1));
  EXPECT_EQ(report.problems[0].seq, 3);
  EXPECT_EQ(report.problems[0].line, 3);  // where record 4 now is
  EXPECT_THAT(report.problems[0].what, HasSubstr("record 3 missing before record 4"));
  EXPECT_EQ(report.records, 4);
  EXPECT_EQ(report.head_seq, 5);
}

TEST_F(AuditLogTest, DetectsTwoSwappedRecords) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 5);
  auto lines = ReadLines(Segment());
  std::swap(lines[1], lines[2]);  // records 2 and 3
  WriteLines(Segment(), lines);

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  ASSERT_THAT(report.problems, SizeIs(2));
  EXPECT_EQ(report.problems[0].seq, 2);
  EXPECT_EQ(report.problems[0].line, 2);
  EXPECT_THAT(report.problems[0].what, HasSubstr("missing"));
  EXPECT_EQ(report.problems[1].seq, 2);
  EXPECT_EQ(report.problems[1].line, 3);
  EXPECT_THAT(report.problems[1].what, HasSubstr("out of order"));
  // The chain resyncs: records 4 and 5 are not reported.
  EXPECT_EQ(report.head_seq, 5);
}

TEST_F(AuditLogTest, DetectsACutTailAndRefusesToChainOverIt) {
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    AppendN(log.get(), 5);
  }
  auto lines = ReadLines(Segment());
  lines.resize(3);  // records 4 and 5 removed; HEAD kept
  WriteLines(Segment(), lines);

  auto log = OpenLog();  // opens anyway, so the damage can be reported
  ASSERT_NE(log, nullptr);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  ASSERT_THAT(report.problems, SizeIs(1));
  EXPECT_EQ(report.problems[0].seq, 5);
  EXPECT_EQ(report.problems[0].file, "HEAD");
  EXPECT_THAT(report.problems[0].what, HasSubstr("records 4..5 were removed from the end"));
  AuditRecord r = MakeRecord("alice", 6);
  EXPECT_THAT(log->Append(r), StatusIs(StatusCode::kDataLoss, "records were removed"));
  EXPECT_EQ(r.seq, 0);
}

TEST_F(AuditLogTest, ResyncsAfterAnUnreadableLine) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 5);
  auto lines = ReadLines(Segment());
  lines[1] = "this is not a record";
  lines[3] = lines[3].substr(0, lines[3].size() / 2);  // half a record, newline kept
  WriteLines(Segment(), lines);

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  ASSERT_THAT(report.problems, SizeIs(2));
  EXPECT_EQ(report.problems[0].line, 2);
  EXPECT_THAT(report.problems[0].what, HasSubstr("not an audit record"));
  EXPECT_EQ(report.problems[1].line, 4);
  EXPECT_EQ(report.records, 3);
  EXPECT_EQ(report.head_seq, 5);
}

TEST_F(AuditLogTest, RepairsATornLastLine) {
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    AppendN(log.get(), 3);
  }
  const int64_t good_size = FileSizeOf(Segment());
  const std::string third = ReadLines(Segment())[2];
  AppendBytes(Segment(), third.substr(0, 40));  // a crash in the middle of a write

  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(FileSizeOf(Segment()), good_size);  // cut back by Open
  AuditRecord r = MakeRecord("alice", 4);
  MEDLAKE_ASSERT_OK(log->Append(r));
  EXPECT_EQ(r.seq, 4);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.records, 4);
}

TEST_F(AuditLogTest, RepairsATornLineWrittenBehindAnOpenLog) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 2);
  const int64_t good_size = FileSizeOf(Segment());
  AppendBytes(Segment(), "{\"seq\":3,\"ti");  // another process died mid-line
  AuditRecord r = MakeRecord("alice", 3);
  MEDLAKE_ASSERT_OK(log->Append(r));
  EXPECT_EQ(r.seq, 3);
  EXPECT_GT(FileSizeOf(Segment()), good_size);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.records, 3);
}

TEST_F(AuditLogTest, AdoptsRecordsWrittenBeforeACrashLeftHeadBehind) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 2);
  const std::string stale_head = ReadAll(Dir() + "/HEAD");
  AuditRecord third = MakeRecord("alice", 3);
  MEDLAKE_ASSERT_OK(log->Append(third));
  // The writer died after fdatasync of the segment, before HEAD was replaced.
  {
    std::ofstream out(Dir() + "/HEAD", std::ios::binary | std::ios::trunc);
    out << stale_head;
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto head, log->Head());
  EXPECT_EQ(head.seq, 3);
  EXPECT_EQ(head.hash, third.hash);
  AuditRecord fourth = MakeRecord("alice", 4);
  MEDLAKE_ASSERT_OK(log->Append(fourth));
  EXPECT_EQ(fourth.prev_hash, third.hash);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
}

TEST_F(AuditLogTest, RebuildsAMissingHeadFromTheLastRecord) {
  {
    auto log = OpenLog(/*segment_bytes=*/1500);
    ASSERT_NE(log, nullptr);
    AppendN(log.get(), 12);
  }
  int newest = 1;
  while (FileSizeOf(Segment(newest + 1)) > 0)
    ++newest;
  ASSERT_GT(newest, 1);
  ASSERT_EQ(std::remove((Dir() + "/HEAD").c_str()), 0);
  AppendBytes(Segment(newest), "{\"seq\":");  // and a torn line, for good measure
  auto log = OpenLog(/*segment_bytes=*/1500);
  ASSERT_NE(log, nullptr);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto head, log->Head());
  EXPECT_EQ(head.seq, 12);
  AppendN(log.get(), 2);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.records, 14);
}

TEST_F(AuditLogTest, RefusesToChainOverForeignLinesAfterTheHead) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 2);
  AppendBytes(Segment(), "{\"seq\":3,\"forged\":true}\n");
  AuditRecord r = MakeRecord("alice", 3);
  EXPECT_THAT(log->Append(r), StatusIs(StatusCode::kDataLoss, "not the record after 2"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  ASSERT_THAT(report.problems, SizeIs(1));
  EXPECT_EQ(report.problems[0].line, 3);
}

TEST_F(AuditLogTest, ExpectHeadFindsAPublishedHashAndCatchesAFullRewrite) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 3);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto published, log->Verify());
  ASSERT_TRUE(published.ok());
  AppendN(log.get(), 2);  // the log grows after the hash was published

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify(published.head_hash));
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.expected_head_seq, 3);

  std::string upper = published.head_hash;
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto upper_report, log->Verify(upper));
  EXPECT_TRUE(upper_report.ok());

  EXPECT_THAT(log->Verify("abc"), StatusIs(StatusCode::kInvalidArgument, "64 hexadecimal"));

  // Someone with write access rewrites record 2 and re-forges every later hash and HEAD: the
  // chain is consistent again, and only the published head shows it.
  auto lines = ReadLines(Segment());
  std::string prev(kAuditGenesisHash);
  for (size_t i = 0; i < lines.size(); ++i) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(AuditRecord r, ParseAuditRecordLine(lines[i]));
    if (r.seq == 2)
      r.actor = "nobody";
    r.prev_hash = prev;
    Rehash(&r);
    lines[i] = AuditRecordLine(r);
    prev = r.hash;
  }
  WriteLines(Segment(), lines);
  ASSERT_EQ(std::remove((Dir() + "/HEAD").c_str()), 0);  // rebuilt from the forged tail

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto forged, log->Verify());
  EXPECT_TRUE(forged.ok()) << "a consistent rewrite is invisible without an anchor";
  EXPECT_NE(forged.head_hash, report.head_hash);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto anchored, log->Verify(published.head_hash));
  ASSERT_THAT(anchored.problems, SizeIs(1));
  EXPECT_THAT(anchored.problems[0].what, HasSubstr("is not in the log"));
}

TEST_F(AuditLogTest, ThreadsAppendOneChainWithEveryRecord) {
  auto log = OpenLog(/*segment_bytes=*/16 * 1024);
  ASSERT_NE(log, nullptr);
  auto second = OpenLog(/*segment_bytes=*/16 * 1024);  // another object on the same directory
  ASSERT_NE(second, nullptr);
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      AuditLog* target = t % 2 == 0 ? log.get() : second.get();
      for (int i = 1; i <= kEach; ++i) {
        AuditRecord r = MakeRecord("thread-" + std::to_string(t), i);
        if (!target->Append(r).ok())
          ++failures;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);

  ExpectOneChainOfDistinctRecords(log.get(), kThreads * kEach);
}

TEST_F(AuditLogTest, AppendAllWritesAGroupInOrderAmongOtherThreadsRecords) {
  auto log = OpenLog(/*segment_bytes=*/16 * 1024);
  ASSERT_NE(log, nullptr);
  // Another thread appends one by one meanwhile; each group stays contiguous and in order.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread other([&] {
    for (int i = 1; !stop.load() && i <= 2000; ++i) {
      AuditRecord r = MakeRecord("single", i);
      if (!log->Append(r).ok()) ++failures;
    }
  });
  constexpr int kGroups = 20;
  constexpr int kEach = 7;
  for (int g = 0; g < kGroups; ++g) {
    std::vector<AuditRecord> group;
    for (int i = 1; i <= kEach; ++i) group.push_back(MakeRecord("group-" + std::to_string(g), i));
    std::vector<AuditRecord*> records;
    for (auto& r : group) records.push_back(&r);
    MEDLAKE_ASSERT_OK(log->AppendAll(records));
    for (int i = 1; i < kEach; ++i) {
      EXPECT_EQ(group[i].seq, group[i - 1].seq + 1);
      EXPECT_EQ(group[i].prev_hash, group[i - 1].hash);
    }
  }
  stop = true;
  other.join();
  EXPECT_EQ(failures.load(), 0);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto all, log->Read());
  int grouped = 0;
  for (const auto& r : all) grouped += r.actor.rfind("group-", 0) == 0 ? 1 : 0;
  EXPECT_EQ(grouped, kGroups * kEach);
  // A group with an invalid record is refused whole: nothing of it is written.
  const int64_t before = static_cast<int64_t>(all.size());
  std::vector<AuditRecord> bad{MakeRecord("bad", 1), MakeRecord("bad", 2)};
  bad[1].outcome = "maybe";
  std::vector<AuditRecord*> bad_records{&bad[0], &bad[1]};
  EXPECT_THAT(log->AppendAll(bad_records), StatusIs(StatusCode::kInvalidArgument, "outcome"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(all, log->Read());
  EXPECT_EQ(static_cast<int64_t>(all.size()), before);
  MEDLAKE_ASSERT_OK(log->AppendAll({}));
}

TEST_F(AuditLogTest, ProcessesAppendOneChainWithEveryRecord) {
  auto log = OpenLog(/*segment_bytes=*/16 * 1024);
  ASSERT_NE(log, nullptr);
  constexpr int kProcesses = 4;
  constexpr int kEach = 25;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Half the children open the log themselves; the others use the object inherited from
      // the parent (each append takes its own lock, so this is safe too).
      std::unique_ptr<AuditLog> own;
      AuditLog* target = log.get();
      if (p % 2 == 0) {
        AuditLogOptions options;
        options.segment_bytes = 16 * 1024;
        auto opened = AuditLog::Open(Dir(), options);
        if (!opened.ok())
          ::_exit(2);
        own = std::move(opened).value();
        target = own.get();
      }
      for (int i = 1; i <= kEach; ++i) {
        AuditRecord r = MakeRecord("process-" + std::to_string(p), i);
        if (!target->Append(r).ok())
          ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  AppendN(log.get(), kEach, "parent");
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.records, (kProcesses + 1) * kEach);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto all, log->Read());
  std::set<std::pair<std::string, int64_t>> seen;
  for (const auto& r : all)
    seen.emplace(r.actor, r.rows);
  EXPECT_EQ(seen.size(), static_cast<size_t>((kProcesses + 1) * kEach));
  EXPECT_EQ(seen.count({"process-3", kEach}), 1u);
}

TEST_F(AuditLogTest, ASegmentOrHeadReplacedBetweenAppendsIsNoticed) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 3);
  // HEAD deleted (or replaced by another process's repair): the next append writes it again.
  ASSERT_EQ(std::remove((Dir() + "/HEAD").c_str()), 0);
  AuditRecord fourth = MakeRecord("alice", 4);
  MEDLAKE_ASSERT_OK(log->Append(fourth));
  EXPECT_EQ(ReadAll(Dir() + "/HEAD").rfind("medlake-audit-head 1 4 " + fourth.hash, 0), 0u);
  // The segment replaced by an identical copy (a new file): the record goes into the new file.
  const std::string copy = ReadAll(Segment());
  ASSERT_EQ(std::remove(Segment().c_str()), 0);
  AppendBytes(Segment(), copy);
  AuditRecord fifth = MakeRecord("alice", 5);
  MEDLAKE_ASSERT_OK(log->Append(fifth));
  EXPECT_EQ(fifth.prev_hash, fourth.hash);
  EXPECT_THAT(ReadLines(Segment()), SizeIs(5));
  // The segment replaced by a shorter copy: refused, as for a log cut behind a fresh object.
  auto lines = ReadLines(Segment());
  lines.resize(2);
  ASSERT_EQ(std::remove(Segment().c_str()), 0);
  WriteLines(Segment(), lines);
  AuditRecord sixth = MakeRecord("alice", 6);
  EXPECT_THAT(log->Append(sixth), StatusIs(StatusCode::kDataLoss, "records were removed"));
  EXPECT_THAT(ReadLines(Segment()), SizeIs(2));
}

class AuditLogIntervalTest : public AuditLogTest {
 protected:
  std::unique_ptr<AuditLog> OpenIntervalLog(int interval_ms) { return OpenLog(int64_t{64} << 20, interval_ms); }
  // The seq HEAD names, -1 when it does not parse.
  int64_t HeadSeq() const {
    std::istringstream in(ReadAll(Dir() + "/HEAD"));
    std::string magic;
    int version = 0;
    int64_t seq = -1;
    if (!(in >> magic >> version >> seq) || magic != "medlake-audit-head")
      return -1;
    return seq;
  }
};

TEST_F(AuditLogIntervalTest, RoutineRecordsAreWrittenAtOnceAndHeadFollowsOnlyDurableOnes) {
  auto log = OpenIntervalLog(/*interval_ms=*/600'000);  // the background sync never comes here
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 3);
  // Written before Append returned (a crash of the process would not lose them)...
  EXPECT_THAT(ReadLines(Segment()), SizeIs(3));
  // ...but not yet synced, so HEAD does not name them.
  EXPECT_EQ(HeadSeq(), 0);

  // A grant is durable at once, and so is everything before it.
  AuditRecord grant = MakeRecord("admin", 4);
  grant.action = "grant";
  grant.statement = "GRANT SELECT ON curated.person TO analyst";
  MEDLAKE_ASSERT_OK(log->Append(grant));
  EXPECT_EQ(grant.seq, 4);
  EXPECT_EQ(HeadSeq(), 4);

  AppendN(log.get(), 2);
  EXPECT_EQ(HeadSeq(), 4);
  MEDLAKE_ASSERT_OK(log->Flush());
  EXPECT_EQ(HeadSeq(), 6);
  MEDLAKE_ASSERT_OK(log->Flush());  // nothing waits: a no-op
  EXPECT_EQ(HeadSeq(), 6);

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.records, 6);
}

TEST_F(AuditLogIntervalTest, TheBackgroundSyncNamesRecordsInHeadWithinTheInterval) {
  auto log = OpenIntervalLog(/*interval_ms=*/5);
  ASSERT_NE(log, nullptr);
  AppendN(log.get(), 5);
  // Not a timing assertion: only that the sync comes without any further call.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (HeadSeq() != 5 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(HeadSeq(), 5);
}

TEST_F(AuditLogIntervalTest, ClosingTheLogSyncsWhatWaits) {
  {
    auto log = OpenIntervalLog(/*interval_ms=*/600'000);
    ASSERT_NE(log, nullptr);
    AppendN(log.get(), 2);
    EXPECT_EQ(HeadSeq(), 0);
  }
  EXPECT_EQ(HeadSeq(), 2);
}

TEST_F(AuditLogIntervalTest, AnotherWriterAdoptsUnsyncedRecordsAndTheChainStaysWhole) {
  auto waiting = OpenIntervalLog(/*interval_ms=*/600'000);
  auto durable = OpenLog();
  ASSERT_NE(waiting, nullptr);
  ASSERT_NE(durable, nullptr);
  std::string prev(kAuditGenesisHash);
  for (int i = 1; i <= 10; ++i) {
    AuditRecord a = MakeRecord("waiting", i);
    MEDLAKE_ASSERT_OK(waiting->Append(a));
    EXPECT_EQ(a.prev_hash, prev);
    AuditRecord b = MakeRecord("durable", i);
    MEDLAKE_ASSERT_OK(durable->Append(b));
    EXPECT_EQ(b.prev_hash, a.hash);
    // The durable writer adopted the other's record: HEAD names both, and is never ahead.
    EXPECT_EQ(HeadSeq(), 2 * i);
    prev = b.hash;
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, durable->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.records, 20);
  EXPECT_EQ(report.head_hash, prev);
}

TEST_F(AuditLogIntervalTest, WritersTakeTurnsWithAShortIntervalsLease) {
  // With a short interval a batch keeps the lock until the background sync (a lease): another
  // writer (here another log object, as another process would be) waits for it, and each side
  // then chains onto the other's records.
  auto leasing = OpenIntervalLog(/*interval_ms=*/10);
  auto durable = OpenLog();
  ASSERT_NE(leasing, nullptr);
  ASSERT_NE(durable, nullptr);
  std::string prev(kAuditGenesisHash);
  for (int i = 1; i <= 5; ++i) {
    AuditRecord a1 = MakeRecord("leasing", 2 * i - 1);
    MEDLAKE_ASSERT_OK(leasing->Append(a1));
    EXPECT_EQ(a1.prev_hash, prev);
    AuditRecord a2 = MakeRecord("leasing", 2 * i);
    MEDLAKE_ASSERT_OK(leasing->Append(a2));
    EXPECT_EQ(a2.prev_hash, a1.hash);
    AuditRecord b = MakeRecord("durable", i);
    MEDLAKE_ASSERT_OK(durable->Append(b));  // returns once the lease ended
    EXPECT_EQ(b.prev_hash, a2.hash);
    EXPECT_EQ(b.seq, 3 * i);
    prev = b.hash;
  }
  // Head and Verify on the leasing object end its own lease instead of waiting for it.
  AuditRecord last = MakeRecord("leasing", 11);
  MEDLAKE_ASSERT_OK(leasing->Append(last));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto head, leasing->Head());
  EXPECT_EQ(head.seq, 16);
  EXPECT_EQ(head.hash, last.hash);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, leasing->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.records, 16);
}

TEST_F(AuditLogIntervalTest, RoutineAndDurableRecordsFromManyThreadsMakeOneChain) {
  // Routine records are written by their own threads, durable ones in groups, while the
  // background sync runs without the writers' lock and small segments roll over under it.
  auto log = OpenLog(/*segment_bytes=*/16 * 1024, /*sync_interval_ms=*/2);
  auto other = OpenLog(/*segment_bytes=*/16 * 1024);  // another process, every record durable
  ASSERT_NE(log, nullptr);
  ASSERT_NE(other, nullptr);
  constexpr int kThreads = 6;
  constexpr int kEach = 60;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 1; i <= kEach; ++i) {
        AuditRecord r = MakeRecord("thread-" + std::to_string(t), i);
        if (t == 0 && i % 10 == 0) r.action = "grant";  // durable: joins a group
        AuditLog* target = t == kThreads - 1 ? other.get() : log.get();
        if (!target->Append(r).ok() || r.hash.empty())
          ++failures;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  MEDLAKE_ASSERT_OK(log->Flush());
  EXPECT_EQ(HeadSeq(), kThreads * kEach);
  ExpectOneChainOfDistinctRecords(log.get(), kThreads * kEach);
}

TEST_F(AuditLogIntervalTest, AnotherWriterIsNotLockedOutByRecordsThatNeverStop) {
  // Background syncs run without the writers' lock, so records keep coming during each; the
  // lease they hold still ends within a bound, and another process appends meanwhile.
  auto leasing = OpenIntervalLog(/*interval_ms=*/5);
  auto durable = OpenLog();
  ASSERT_NE(leasing, nullptr);
  ASSERT_NE(durable, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<bool> appender_done{false};
  std::atomic<int> appended{0};
  // Three threads append without pause, so records come during every background sync.
  std::atomic<int> appenders_left{3};
  auto append_until_stopped = [&] {
    // Stops by itself after a while, so a lease that never ends fails the test, not hangs it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (int i = 1; !stop.load() && std::chrono::steady_clock::now() < deadline; ++i) {
      AuditRecord r = MakeRecord("leasing", i);
      if (leasing->Append(r).ok()) ++appended;
    }
    if (--appenders_left == 0) appender_done = true;
  };
  std::thread appender(append_until_stopped), appender2(append_until_stopped), appender3(append_until_stopped);
  while (appended.load() < 50 && !appender_done.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // HEAD follows the records the background syncs covered, though new ones keep coming.
  const int64_t head_then = HeadSeq();
  while (HeadSeq() <= head_then + 20 && !appender_done.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_FALSE(appender_done.load()) << "HEAD stayed at " << HeadSeq();
  for (int i = 1; i <= 3; ++i) {
    AuditRecord b = MakeRecord("durable", i);
    MEDLAKE_ASSERT_OK(durable->Append(b));
    // Had the lease never ended, this append would have waited for the appender to give up.
    EXPECT_FALSE(appender_done.load()) << "append " << i;
    const int after = appended.load();
    while (appended.load() < after + 20 && !appender_done.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  appender.join();
  appender2.join();
  appender3.join();
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, durable->Verify());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_EQ(report.records, appended.load() + 3);
}

TEST_F(AuditLogTest, ScanSqlNamesTheGlobAndTypes) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->glob(), Dir() + "/audit-*.jsonl");
  const std::string sql = AuditLogScanSql("/lake's/audit/audit-*.jsonl");
  EXPECT_THAT(sql, HasSubstr("read_json('/lake''s/audit/audit-*.jsonl'"));
  EXPECT_THAT(sql, HasSubstr("'tables': 'VARCHAR[]'"));
}

// Not a timed assertion: prints what an append costs here (one fdatasync each, or shared).
TEST_F(AuditLogTest, PrintsAppendThroughput) {
  AuditLogOptions options;  // system clock
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto log, AuditLog::Open(Dir(), options));
  constexpr int kSerial = 200;
  auto start = std::chrono::steady_clock::now();
  for (int i = 1; i <= kSerial; ++i) {
    AuditRecord r = MakeRecord("bench", i);
    MEDLAKE_ASSERT_OK(log->Append(r));
  }
  double serial_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  constexpr int kThreads = 8;
  constexpr int kEach = 100;
  start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 1; i <= kEach; ++i) {
        AuditRecord r = MakeRecord("bench-" + std::to_string(t), i);
        if (!log->Append(r).ok())
          std::abort();
      }
    });
  }
  for (auto& th : threads)
    th.join();
  double threaded_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // The cost without the fsync: canonical form + SHA-256 of a typical record.
  constexpr int kHashes = 20000;
  AuditRecord sample = MakeRecord("bench", 1);
  start = std::chrono::steady_clock::now();
  size_t sink = 0;
  for (int i = 0; i < kHashes; ++i) {
    sample.seq = i;
    sink += HexEncode(Sha256(CanonicalAuditJson(sample))).size();
  }
  double hash_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Under a sync interval: written at once, synced in the background.
  options.sync_interval_ms = 5;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto interval_log, AuditLog::Open(Dir(), options));
  start = std::chrono::steady_clock::now();
  for (int i = 1; i <= kSerial; ++i) {
    AuditRecord r = MakeRecord("bench-interval", i);
    MEDLAKE_ASSERT_OK(interval_log->Append(r));
  }
  double interval_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MEDLAKE_ASSERT_OK(interval_log->Flush());

  std::printf(
      "[audit throughput] serial: %d appends in %.3f s = %.0f appends/s (%.1f us each, one "
      "fdatasync each)\n"
      "[audit throughput] %d threads: %d appends in %.3f s = %.0f appends/s (group commit)\n"
      "[audit throughput] serialize+hash only: %.2f us per record (%zu)\n"
      "[audit throughput] serial, 5 ms sync interval: %.1f us each\n",
      kSerial, serial_s, kSerial / serial_s, serial_s / kSerial * 1e6, kThreads, kThreads * kEach,
      threaded_s, kThreads * kEach / threaded_s, hash_s / kHashes * 1e6, sink / kHashes,
      interval_s / kSerial * 1e6);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto report, log->Verify());
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.records, 2 * kSerial + kThreads * kEach);
}

}  // namespace
}  // namespace medlake::security
