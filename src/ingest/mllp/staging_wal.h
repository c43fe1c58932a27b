// ingest/mllp/staging_wal.h: the MLLP listener's staging write-ahead log.
//
// Part of ingest/mllp (see README.md). Every message the listener receives is appended here and
// made durable (fdatasync) before it is acknowledged; the committer later moves records into the
// raw layer and advances a durable checkpoint. The on-disk format is docs/formats/mllp_wal.md:
//   <dir>/wal-<start position, 16 hex digits>.log   segments of framed records (length + CRC32)
//   <dir>/CHECKPOINT                                 position up to which records are committed
// A record's *position* is its byte address in the log as a whole (segment start + offset in the
// segment). Positions grow monotonically for the lifetime of the directory and are never reused,
// so a position identifies a record (raw tables store it as byte_offset).
//
// Group commit: concurrent Append() calls share one write + fdatasync (leader/follower). A torn
// write at a segment's tail (crash during append) is detected by its length or CRC and ignored on
// replay; such a record was never acknowledged because Append() had not returned.
//
// Thread-safety: all methods are thread-safe. Append() blocks until durable.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/file_system.h"
#include "core/status.h"
#include "ingest/mllp/mllp_sync_internal.h"

namespace medlake::ingest::mllp {

enum class WalRecordKind : uint8_t {
  kAccepted = 1,  // acknowledged AA/CA: goes to raw.hl7_messages
  kRejected = 2,  // acknowledged AE/AR (CE/CR): goes to raw.quarantine with its reason
};

// One received message as logged.
struct WalRecord {
  WalRecordKind kind = WalRecordKind::kAccepted;
  int64_t received_micros = 0;  // when the listener received it (UTC micros)
  std::string peer;             // "ip:port" of the sender
  std::string reason_code;      // rejected only: stable code, e.g. "hl7.msh_missing"
  std::string reason;           // rejected only: text naming positions, never values
  std::string payload;          // the message bytes exactly as framed
};

// A record read back, with its position.
struct WalEntry {
  uint64_t position = 0;
  WalRecord record;
};

struct StagingWalOptions {
  // A segment is closed and a new one started once it holds at least this many bytes.
  uint64_t segment_bytes = uint64_t{64} << 20;
  // Records with a larger payload are refused (InvalidArgument); also the replay's sanity cap.
  uint64_t max_payload_bytes = uint64_t{32} << 20;
};

class StagingWal {
 public:
  // Opens (creating if needed) the log in `dir`, reads the checkpoint, and starts a fresh segment
  // after any existing ones (so a torn tail of the previous run is never appended to).
  // IOError on file system failures; DataLoss if the checkpoint file is corrupt.
  static Result<std::unique_ptr<StagingWal>> Open(const std::string& dir,
                                                  const StagingWalOptions& options = {});
  ~StagingWal();
  StagingWal(const StagingWal&) = delete;
  StagingWal& operator=(const StagingWal&) = delete;

  // Appends `records` (in order, contiguously) and returns once they are durable on disk.
  // Returns the position of each record. InvalidArgument for an oversized payload (nothing is
  // written); IOError if writing or syncing failed: the log is then unusable ("sticky" error, as
  // a failed fsync leaves the page cache state unknown) and every later Append fails too.
  Result<std::vector<uint64_t>> Append(std::span<const WalRecord> records) MEDLAKE_EXCLUDES(mu_);
  Result<uint64_t> Append(const WalRecord& record) MEDLAKE_EXCLUDES(mu_);

  // Reads durable records with position >= `from`, in order, at most `max_records` (and stops
  // after about `max_bytes` of payload, always returning at least one record when any is
  // available). `*next` receives the position to continue from. Torn or corrupt records are
  // skipped together with the rest of their segment (logged with counts). IOError on read
  // failures.
  Status Read(uint64_t from, size_t max_records, uint64_t max_bytes, std::vector<WalEntry>* out,
              uint64_t* next) const MEDLAKE_EXCLUDES(mu_);

  // Records that everything before `position` is committed to the lake: writes the checkpoint
  // atomically (durable on return) and deletes segments that hold only committed records.
  // InvalidArgument if `position` is beyond the durable end or below the current checkpoint.
  Status Checkpoint(uint64_t position) MEDLAKE_EXCLUDES(mu_);

  // Position up to which records are committed (from the checkpoint file).
  uint64_t checkpoint() const MEDLAKE_EXCLUDES(mu_);
  // Position just after the last durable record.
  uint64_t durable_end() const MEDLAKE_EXCLUDES(mu_);
  // Durable records appended by this process (a counter for batching decisions).
  uint64_t durable_records() const MEDLAKE_EXCLUDES(mu_);
  // Number of fdatasync calls made by appends (group commit makes this < records).
  uint64_t sync_count() const MEDLAKE_EXCLUDES(mu_);
  // Number of segment files currently on disk.
  size_t segment_count() const MEDLAKE_EXCLUDES(mu_);
  const std::string& dir() const { return dir_; }

  StagingWal(std::string dir, const StagingWalOptions& options);

 private:
  struct Segment {
    uint64_t start = 0;
    std::string path;
  };
  Status OpenNewSegment(uint64_t start) MEDLAKE_REQUIRES(mu_);
  Status Recover();

  const std::string dir_;
  const StagingWalOptions options_;
  LocalFileSystem fs_;

  mutable internal::Mutex mu_;
  internal::CondVar synced_cv_{&mu_};
  std::vector<Segment> segments_ MEDLAKE_GUARDED_BY(mu_);  // sorted by start; last is active
  int fd_ MEDLAKE_GUARDED_BY(mu_) = -1;                    // the active segment
  uint64_t active_size_ MEDLAKE_GUARDED_BY(mu_) = 0;       // bytes written to the active segment
  std::string pending_ MEDLAKE_GUARDED_BY(mu_);            // encoded, not yet written
  uint64_t next_position_ MEDLAKE_GUARDED_BY(mu_) = 0;     // position of the next appended byte
  uint64_t durable_end_ MEDLAKE_GUARDED_BY(mu_) = 0;
  uint64_t checkpoint_ MEDLAKE_GUARDED_BY(mu_) = 0;
  uint64_t appended_records_ MEDLAKE_GUARDED_BY(mu_) = 0;
  uint64_t durable_records_ MEDLAKE_GUARDED_BY(mu_) = 0;
  uint64_t syncs_ MEDLAKE_GUARDED_BY(mu_) = 0;
  bool leader_active_ MEDLAKE_GUARDED_BY(mu_) = false;
  Status error_ MEDLAKE_GUARDED_BY(mu_);  // sticky write/sync failure
};

// Encodes one record in the log's framing (exposed for tests and the format doc).
std::string EncodeWalRecord(const WalRecord& record);

}  // namespace medlake::ingest::mllp
