// security/audit/audit_log.h: the tamper-evident audit log of a lake (issue 7).
//
// Every front end (CLI, pgwire, HTTP, FHIR) records who did what, from where, for which purpose,
// on which tables and columns, with which policy decisions and with what outcome, by appending an
// AuditRecord here. Records are hash-chained (each carries the SHA-256 of the previous one), so
// editing, deleting, reordering or cutting records is detected by Verify(). The on-disk format is
// docs/formats/audit_log.md:
//   <dir>/audit-<6+ digits>.jsonl   append-only segments, one JSON record per line
//   <dir>/HEAD                      seq, hash and end position of the last record (a cache)
//   <dir>/LOCK                      flock()ed by writers: several processes may share a lake
//
// This library depends on core only, so every module that must audit can link it.
// The log is local POSIX files (flock, fdatasync), not the FileSystem seam: the seam has no
// locks, modes or truncation, and multi-process safety needs all three.
//
// Thread-safety: AuditLog is thread-safe; several AuditLog objects, in one process or in several,
// may append to the same directory concurrently. A forked child may keep using an inherited
// AuditLog if no thread was inside Append() or a background sync at the fork (else its locks stay
// held); in the child every append is durable at once. Opening a new one in the child is always
// safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace medlake::security {

// prev_hash of the first record: 64 zeros.
inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// One audited event. Plain data; field order here is the on-disk key order.
struct AuditRecord {
  int64_t seq = 0;        // 1-based position in the log; filled by Append
  std::string time;       // UTC "YYYY-MM-DDTHH:MM:SS.mmmZ"; filled by Append from the Clock
  std::string actor;      // authenticated principal (who)
  std::string acting_as;  // effective user when an admin runs as another user (--user), else empty
  std::string client;     // from where: "cli", "pgwire 127.0.0.1:51234", "http ..."
  std::string purpose;    // declared purpose of use: treatment, management, research, or empty
  // login, statement, grant, policy, identity, export, erase, break_glass, catalog
  std::string action;
  std::string statement;               // the SQL text or command line (may be empty)
  std::vector<std::string> tables;     // "ns.table" read or written
  std::vector<std::string> columns;    // "ns.table.column" read
  int64_t rows = -1;                   // rows returned or changed; -1 unknown
  std::string outcome;                 // "ok", "denied", "error"
  std::string error;                   // message when not ok
  std::vector<std::string> decisions;  // policy decisions, e.g. "mask redact curated.person.dni"
  bool break_glass = false;            // ran under break-the-glass access (flag for review)
  std::string prev_hash;  // filled by Append: hash of the previous record (kAuditGenesisHash first)
  std::string hash;       // filled by Append: SHA-256 hex of CanonicalAuditJson(*this)
  // Not stored: under a sync interval (AuditLogOptions::sync_interval_ms), make this record
  // durable before Append returns although its action is a routine one (e.g. a statement that
  // changed data, whose record must not be lost when the change is not).
  bool sync_now = false;
};

// One finding of Verify().
struct AuditProblem {
  int64_t seq = 0;   // the record concerned (a missing one for gaps); 0 when unknown
  std::string file;  // segment file name (no directory), or "HEAD"
  int64_t line = 0;  // 1-based line in `file`; 0 when the problem is not one line (HEAD)
  std::string what;  // what is wrong; names seqs, files and lines, never field values
};

struct AuditVerifyReport {
  int64_t records = 0;    // lines that parsed as records
  int64_t head_seq = 0;   // seq of the last record in chain order (0 for an empty log)
  std::string head_hash;  // its hash; kAuditGenesisHash for an empty log. Publish it elsewhere.
  int64_t expected_head_seq = 0;  // seq of the record whose hash is the expected head, if found
  std::vector<AuditProblem> problems;
  bool ok() const { return problems.empty(); }
};

// The last record as the log knows it (from HEAD, repaired when needed).
struct AuditHead {
  int64_t seq = 0;
  std::string hash;  // kAuditGenesisHash when seq == 0
};

struct AuditLogOptions {
  // Source of record times; nullptr means SystemClock::Default(). Must outlive the AuditLog.
  const Clock* clock = nullptr;
  // A segment is closed once it holds at least this many bytes; the next record starts a new one.
  // Tests use small values; every process appending to one directory should use the same value.
  int64_t segment_bytes = int64_t{64} << 20;
  // Statements longer than this are cut (at a UTF-8 boundary) and end with a marker giving the
  // full length and the SHA-256 of the full text.
  size_t max_statement_bytes = size_t{1} << 20;
  // When records become durable (docs/formats/audit_log.md, "Durability").
  //   0: every Append returns once its records are on disk (fdatasync).
  //   N > 0: records of the routine actions "statement" and "login" are written to the segment
  //     (the kernel's page cache) before Append returns, so a crash of the process loses none,
  //     and a background thread makes them durable within about N ms, sharing one fdatasync.
  //     A power failure or kernel crash can lose the routine records of that last window; the
  //     log stays a valid chain (HEAD only ever names durable records). Every other record
  //     (actions grant, policy, identity, export, erase, break_glass, catalog, ...; any record
  //     with break_glass or sync_now set) is durable before its Append returns, together with
  //     everything appended before it.
  int sync_interval_ms = 0;
};

// An append-only, hash-chained audit log in one directory.
class AuditLog {
 public:
  // Opens the log in `dir` ("<lake root>/audit"), creating the directory (mode 0700) if missing.
  // Repairs what a crashed writer can leave behind: a torn last line is truncated, a stale or
  // missing HEAD is rebuilt from the last record. Damage that is not a crash artefact (HEAD
  // ahead of the log, unchained lines after the head) does not fail Open, so Verify() can report
  // it; Append() refuses to chain over it (DataLoss).
  // IOError when the directory cannot be created or locked; `clock` (nullptr: the system clock)
  // must outlive the log.
  static Result<std::unique_ptr<AuditLog>> Open(const std::string& dir,
                                                const Clock* clock = nullptr);
  static Result<std::unique_ptr<AuditLog>> Open(const std::string& dir,
                                                const AuditLogOptions& options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends `record` and returns once it is on disk (fdatasync), or, for a routine record under
  // a sync interval (AuditLogOptions::sync_interval_ms), once it is written. Fills seq, time,
  // prev_hash and hash; replaces invalid UTF-8 in its strings by U+FFFD and cuts an oversized
  // statement (see AuditLogOptions), so `record` afterwards is exactly what was stored.
  // Concurrent calls from threads of one process share one write + fdatasync (group commit);
  // processes serialize on the directory's LOCK. InvalidArgument when action is empty, outcome
  // is not ok/denied/error or rows < -1; DataLoss when the log's tail was tampered with or
  // damaged (run Verify); IOError when writing fails (the record is then not in the log).
  // On error `record`'s filled fields are left unchanged.
  Status Append(AuditRecord& record);
  // Appends `records` as Append does, one after the other in the log and sharing writes and
  // fdatasyncs (one, unless they exceed a batch's limits). Returns the first error; on error
  // some of them may be in the log (each one that is has its fields filled, as Append).
  Status AppendAll(const std::vector<AuditRecord*>& records);

  // Makes every record this object has written durable now (fdatasync, then HEAD). A no-op when
  // nothing is waiting for the background sync. IOError when syncing fails; after a failed
  // background sync every later Append fails too (the kernel may have dropped the records).
  Status Flush();

  // Reads every segment and checks the chain (after the repair Open does; on a directory it may
  // not write, such as a read-only copy, it only reads): each record's hash, seq 1,2,3,... without
  // gaps, each prev_hash equal to the previous record's hash, canonical form, and HEAD against the
  // last records (a cut tail). Goes on after a problem, resyncing on the next good record.
  // With `expect_head` (a 64-hex hash published earlier), also checks that a record with that
  // hash is in the log. Problems (an unreadable segment included) are data in the report; the
  // Status is InvalidArgument for a malformed `expect_head` and IOError when the directory
  // cannot be locked or listed. Appends may go on meanwhile: the directory is locked only for
  // the moment it takes to note the segments' sizes.
  Result<AuditVerifyReport> Verify(std::string_view expect_head = {});

  // Records with seq >= from_seq in log order, at most `limit` (-1: all). Does not verify hashes
  // (use Verify); lines that do not parse and an unfinished last line are skipped.
  // IOError when files cannot be read.
  Result<std::vector<AuditRecord>> Read(int64_t from_seq = 1, int64_t limit = -1);

  // The last record's seq and hash, after the same repair Append does. DataLoss as Append.
  Result<AuditHead> Head();

  // Glob of the segment files, for DuckDB read_json (see AuditLogScanSql).
  std::string glob() const;
  const std::string& dir() const { return dir_; }

 private:
  struct Pending;
  struct Files;
  AuditLog(std::string dir, const AuditLogOptions& options);
  Status AppendRecords(std::span<AuditRecord* const> records);
  Status WriteBatch(std::span<Pending* const> batch, bool durable);
  Files& FilesLocked();       // the kept descriptors of this process; io_mu_ held
  Status FlushLocked();       // io_mu_ held; syncs, then ends the lease (Files::leased)
  // The background sync's round, io_mu_ held on entry and exit; the sync itself runs without it
  // while a lease holds (other processes cannot append meanwhile).
  Status BackgroundSyncLocked(std::unique_lock<std::mutex>& io);
  void EndLeaseLocked();      // io_mu_ held: unlocks LOCK if a lease holds it
  bool AtOurEndLocked() const;  // the log still ends where this object's last write left it
  bool AtOurEndOrLeasedLocked() const;  // the same, known without looking while the lease holds
  void StartFlusherLocked();  // io_mu_ held
  void FlusherLoop();

  const std::string dir_;
  const AuditLogOptions options_;
  const Clock& clock_;

  // Group commit (leveldb's writer queue): the first waiter writes for everyone queued.
  // A plain std::mutex: core has no annotated mutex yet, so -Wthread-safety cannot check queue_.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending*> queue_;  // guarded by mu_

  // Writing: the leader of a batch and the background sync take io_mu_ (never while holding
  // mu_), then the directory's LOCK.
  const int owner_pid_;  // the process that opened the log (a forked child syncs at once)
  std::mutex io_mu_;
  std::unique_ptr<Files> files_;           // guarded by io_mu_
  Status sticky_;                          // guarded by io_mu_: a failed background sync
  bool stopping_ = false;                  // guarded by io_mu_
  std::condition_variable flush_cv_;       // waits on io_mu_
  std::unique_ptr<std::thread> flusher_;   // started by the first routine record written
};

// The bytes whose SHA-256 is a record's hash: the record as one compact JSON object in the fixed
// key order seq, time, actor, acting_as, client, purpose, action, statement, tables, columns,
// rows, outcome, error, decisions, break_glass, prev_hash (no "hash" key, no newline). Strings
// must be valid UTF-8 (Append ensures it). See docs/formats/audit_log.md for the escaping rules.
std::string CanonicalAuditJson(const AuditRecord& record);

// The line stored for `record` (with its hash, without the newline): CanonicalAuditJson with
// ,"hash":"<hex>" inserted before the closing brace.
std::string AuditRecordLine(const AuditRecord& record);

// Parses one stored line (without its newline). DataLoss when it is not a record line in the
// canonical form. Does not check the hash (compare record.hash with a recomputation, or Verify).
Result<AuditRecord> ParseAuditRecordLine(std::string_view line);

// A DuckDB table function call that scans the segments matched by `glob` with fixed column types
// (seq BIGINT, time TIMESTAMPTZ..., tables VARCHAR[], ...), for exposing the log as a SQL table.
std::string AuditLogScanSql(const std::string& glob);

}  // namespace medlake::security
