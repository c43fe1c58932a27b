#include "ingest/mllp/mllp_committer.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "ingest/mllp/mllp_service.h"
#include "ingest/mllp/mllp_test_client_internal.h"
#include "ingest/raw_tables.h"
#include "storage/lake.h"

namespace medlake::ingest::mllp {
namespace {

using testing::TestMessage;

WalRecord Accepted(const std::string& control_id, const std::string& app = "SENDAPP") {
  WalRecord r;
  r.kind = WalRecordKind::kAccepted;
  r.received_micros = 1700000000000000;
  r.peer = "127.0.0.1:5000";
  r.payload = TestMessage(control_id, app);
  return r;
}

int64_t Count(engine::LakeSession& session, const std::string& sql) {
  int64_t n = -1;
  Status st = session.Run(sql, [&](size_t, engine::StatementOutcome& o) -> Status {
    if (!o.rows)
      return Status::OK();
    MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
    n = rows.empty() ? 0 : rows[0][0].i;
    return Status::OK();
  });
  EXPECT_THAT(st, IsOk());
  return n;
}

class MllpCommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lake = storage::Lake::Create(tmp_.Join("lake"));
    ASSERT_THAT(lake, IsOk());
    lake_ = std::move(*lake);
    engine::LakeSessionOptions options;
    options.threads = 1;
    auto session = engine::LakeSession::Open(*lake_, options);
    ASSERT_THAT(session, IsOk());
    session_ = std::move(*session);
    ASSERT_THAT(EnsureRawTables(*session_), IsOk());
  }
  std::string WalDir() const { return MllpService::WalDir(*lake_); }

  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<engine::LakeSession> session_;
};

TEST_F(MllpCommitterTest, CommitsAcceptedAndQuarantinedRows) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(WalDir()));
  MEDLAKE_ASSERT_OK(wal->Append(Accepted("M1")));
  MEDLAKE_ASSERT_OK(wal->Append(Accepted("M2")));
  WalRecord rejected;
  rejected.kind = WalRecordKind::kRejected;
  rejected.peer = "127.0.0.1:5000";
  rejected.reason_code = "hl7.msh_missing";
  rejected.reason = "hl7.msh_missing: first segment is not MSH";
  rejected.payload = "PID|1\r";
  MEDLAKE_ASSERT_OK(wal->Append(rejected));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto committer, MllpCommitter::Make(*session_, *wal, {}));
  MEDLAKE_ASSERT_OK(committer->CommitPending());
  EXPECT_EQ(wal->checkpoint(), wal->durable_end());
  EXPECT_EQ(Count(*session_, "SELECT count(*) FROM raw.hl7_messages"), 2);
  EXPECT_EQ(Count(*session_,
                  "SELECT count(*) FROM raw.hl7_messages WHERE source = 'mllp' AND "
                  "idempotency_key = 'SENDAPP|SENDFAC|M1' AND message_type = 'ADT' AND "
                  "trigger_event = 'A01' AND patient_id = 'TSTM1' AND origin = '127.0.0.1:5000' "
                  "AND octet_length(payload) > 0 AND patient_identifiers LIKE '[{\"id\":%'"),
            1);
  EXPECT_EQ(Count(*session_,
                  "SELECT count(*) FROM raw.quarantine WHERE source = 'mllp' AND kind = 'hl7' AND "
                  "reason_code = 'hl7.msh_missing'"),
            1);
  EXPECT_EQ(committer->stats().messages, 2u);
  EXPECT_EQ(committer->stats().quarantined, 1u);
}

TEST_F(MllpCommitterTest, DuplicateKeysAreCommittedOnce) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(WalDir()));
  MEDLAKE_ASSERT_OK(wal->Append(Accepted("D1")));
  MEDLAKE_ASSERT_OK(wal->Append(Accepted("D1")));              // same batch
  MEDLAKE_ASSERT_OK(wal->Append(Accepted("D1", "OTHERAPP")));  // another sender: another key
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto committer, MllpCommitter::Make(*session_, *wal, {}));
  MEDLAKE_ASSERT_OK(committer->CommitPending());
  MEDLAKE_ASSERT_OK(wal->Append(Accepted("D1")));  // re-sent later: in the lake already
  MEDLAKE_ASSERT_OK(committer->CommitPending());
  EXPECT_EQ(Count(*session_, "SELECT count(*) FROM raw.hl7_messages"), 2);
  EXPECT_EQ(committer->stats().duplicates, 2u);
}

TEST_F(MllpCommitterTest, ReplayAfterCrashBeforeCheckpointAddsNothing) {
  const std::string dir = WalDir();
  uint64_t old_checkpoint = 0;
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(dir));
    old_checkpoint = wal->checkpoint();
    for (int i = 0; i < 10; ++i)
      MEDLAKE_ASSERT_OK(wal->Append(Accepted("R" + std::to_string(i))));
    WalRecord rejected;
    rejected.kind = WalRecordKind::kRejected;
    rejected.reason_code = "hl7.msh_missing";
    rejected.reason = "x";
    rejected.payload = "junk";
    MEDLAKE_ASSERT_OK(wal->Append(rejected));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto committer, MllpCommitter::Make(*session_, *wal, {}));
    MEDLAKE_ASSERT_OK(committer->CommitPending());
  }
  // The crash: the lake commit happened, the checkpoint write did not.
  std::ofstream(dir + "/CHECKPOINT", std::ios::trunc)
      << "medlake-mllp-wal-checkpoint 1 " << old_checkpoint << "\n";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(dir));
  EXPECT_EQ(wal->checkpoint(), old_checkpoint);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto committer, MllpCommitter::Make(*session_, *wal, {}));
  MEDLAKE_ASSERT_OK(committer->CommitPending());
  EXPECT_EQ(Count(*session_, "SELECT count(*) FROM raw.hl7_messages"), 10);
  EXPECT_EQ(Count(*session_, "SELECT count(DISTINCT idempotency_key) FROM raw.hl7_messages"), 10);
  EXPECT_EQ(Count(*session_, "SELECT count(*) FROM raw.quarantine"), 1);
  EXPECT_EQ(committer->stats().duplicates, 11u);
}

TEST_F(MllpCommitterTest, BackgroundThreadCommitsByCount) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto wal, StagingWal::Open(WalDir()));
  MllpCommitterOptions options;
  options.batch_messages = 5;
  options.batch_millis = 60'000;  // only the count can trigger within the test
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto committer, MllpCommitter::Make(*session_, *wal, options));
  MEDLAKE_ASSERT_OK(committer->Start());
  for (int i = 0; i < 5; ++i)
    MEDLAKE_ASSERT_OK(wal->Append(Accepted("B" + std::to_string(i))));
  committer->Notify(5);
  // Bounded wait for the background commit.
  for (int i = 0; i < 500 && wal->checkpoint() < wal->durable_end(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(wal->checkpoint(), wal->durable_end());
  MEDLAKE_ASSERT_OK(committer->Stop());
  EXPECT_EQ(Count(*session_, "SELECT count(*) FROM raw.hl7_messages"), 5);
}

}  // namespace
}  // namespace medlake::ingest::mllp
