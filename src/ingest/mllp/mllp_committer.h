// ingest/mllp/mllp_committer.h: moves staged MLLP messages from the WAL into the raw layer.
//
// Part of ingest/mllp (see README.md). The committer reads the StagingWal from its checkpoint and
// commits micro-batches: accepted records become rows of raw.hl7_messages (the columns of
// docs/formats/raw_tables.md, source 'mllp', origin = peer, byte_offset = WAL position),
// rejected ones rows of raw.quarantine (kind 'hl7', with the reason). Each table gets one Iceberg
// snapshot per micro-batch (ingest::RawBatchWriter), then the WAL checkpoint moves past the batch.
//
// Exactly once: a crash between the lake commit and the checkpoint replays the batch on the next
// start. Replayed or re-sent messages are recognised by their idempotency key (MSH-3 | MSH-4 |
// MSH-10) against an in-memory set of recent keys and one query per batch on raw.hl7_messages;
// replayed quarantine rows by their WAL position (byte_offset, unique per lake). Duplicates are
// dropped (counted, not stored), so a key is in raw.hl7_messages at most once.
//
// Batching: in the background (Start), a batch is committed when `batch_messages` records are
// durable since the last commit (Notify) or `batch_millis` after the first of them.
//
// Thread-safety: CommitPending() runs on the caller's thread and must not overlap the background
// thread (call it before Start or after Stop). Notify() is safe from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>

#include "core/clock.h"
#include "core/status.h"
#include "engine/lake_session.h"
#include "ingest/mllp/mllp_sync_internal.h"
#include "ingest/mllp/staging_wal.h"
#include "ingest/raw_batch_writer.h"

namespace medlake::ingest::mllp {

struct MllpCommitterOptions {
  int64_t batch_messages = 1000;
  int64_t batch_millis = 1000;
  size_t recent_keys = 100'000;  // idempotency keys remembered in memory
};

struct MllpCommitStats {
  uint64_t batches = 0;
  uint64_t messages = 0;     // rows added to raw.hl7_messages
  uint64_t quarantined = 0;  // rows added to raw.quarantine
  uint64_t duplicates = 0;   // records skipped as already committed
};

class MllpCommitter {
 public:
  // `session` (with the raw tables present: EnsureRawTables) and `wal` must outlive the committer.
  // Errors of creating the batch writers.
  static Result<std::unique_ptr<MllpCommitter>> Make(engine::LakeSession& session, StagingWal& wal,
                                                     const MllpCommitterOptions& options,
                                                     const Clock& clock = SystemClock::Default());
  ~MllpCommitter();  // Stop() without the final commit's status

  // Commits every durable record after the checkpoint, in batches of `batch_messages`.
  // Errors of the lake (the checkpoint then stays where it was, so nothing is lost) or the WAL.
  Status CommitPending() MEDLAKE_EXCLUDES(mu_);

  // Starts the background thread. FailedPrecondition if already started.
  Status Start() MEDLAKE_EXCLUDES(mu_);
  // Tells the committer that `records` more records are durable.
  void Notify(size_t records) MEDLAKE_EXCLUDES(mu_);
  // Stops the background thread, then commits what is left and returns that commit's status
  // (errors of the background thread are logged and retried on its next round). Idempotent.
  Status Stop() MEDLAKE_EXCLUDES(mu_);

  MllpCommitStats stats() const MEDLAKE_EXCLUDES(mu_);

  MllpCommitter(engine::LakeSession& session, StagingWal& wal, const MllpCommitterOptions& options,
                const Clock& clock, std::unique_ptr<RawBatchWriter> messages,
                std::unique_ptr<RawBatchWriter> quarantine);

 private:
  // Commits one batch from the checkpoint; sets *more when the WAL has further records.
  Status CommitOnce(bool* more);
  void Run() MEDLAKE_EXCLUDES(mu_);
  void RememberKey(const std::string& key);

  engine::LakeSession& session_;
  StagingWal& wal_;
  const MllpCommitterOptions options_;
  const Clock& clock_;
  std::unique_ptr<RawBatchWriter> messages_;
  std::unique_ptr<RawBatchWriter> quarantine_;
  // Committer thread only:
  std::unordered_set<std::string> recent_keys_;
  std::deque<std::string> recent_order_;

  mutable internal::Mutex mu_;
  internal::CondVar cv_{&mu_};
  std::thread thread_;
  bool running_ MEDLAKE_GUARDED_BY(mu_) = false;
  bool stop_ MEDLAKE_GUARDED_BY(mu_) = false;
  uint64_t notified_ MEDLAKE_GUARDED_BY(mu_) = 0;  // records made durable since the last batch
  Status background_error_ MEDLAKE_GUARDED_BY(mu_);
  MllpCommitStats stats_ MEDLAKE_GUARDED_BY(mu_);
};

}  // namespace medlake::ingest::mllp
