// server/fhir/fhir_export_internal.h: bulk $export jobs (FHIR Bulk Data Access v2.0.0, "Export")
// run on background threads (private to server/fhir).
//
// A job belongs to the user who started it: status, files and cancellation answer NotFound to
// anyone else, so job ids cannot be probed. It runs on a pooled session of that user with the
// purpose declared at kick-off, so the export holds exactly what that user could read with SQL
// (row filters, masks, grants); its statements are audited by the session, and the export itself
// is one "export" audit record (types, resource count, outcome).
//
// Files: <dir>/<job id>/<ResourceType>.ndjson (one resource per line; directories 0700, files
// 0600), plus OperationOutcome.ndjson listing the types the user may not read, if any. Empty
// types get no file. A cancelled or deleted job's folder is removed; finished jobs beyond
// `max_kept` are removed oldest first. Jobs live in memory: a restart forgets them (their
// folders stay until removed by hand).
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "server/auth/session_pool.h"

namespace medlake::server::fhir::internal {

struct ExportRequest {
  std::string user;
  std::string purpose;
  std::string client;
  bool patient_level = false;      // Patient/$export: only records linked to a person
  std::vector<std::string> types;  // resource types to export, validated by the caller
  std::string since_sql;           // TIMESTAMPTZ SQL expression, or empty
  std::string request_url;         // the kick-off URL, echoed in the manifest
};

struct ExportOutput {
  std::string type;
  std::string file;  // file name inside the job folder
  int64_t count = 0;
};

struct ExportStatus {
  enum class State { kQueued, kRunning, kCompleted, kFailed };
  State state = State::kQueued;
  std::string progress;          // "3 of 8 types, 1200 resources"
  std::string transaction_time;  // FHIR instant of the kick-off
  std::string request_url;
  std::vector<ExportOutput> outputs;
  std::vector<ExportOutput> errors;  // OperationOutcome files
  std::string error;                 // kFailed: what went wrong (no values)
};

class ExportManager {
 public:
  // `pool` and `clock` must outlive the manager. `dir` is created on the first job.
  ExportManager(SessionPool& pool, std::string dir, int max_running, int max_queued, int max_kept,
                const Clock& clock);
  // Cancels every job and waits for the workers.
  ~ExportManager();
  ExportManager(const ExportManager&) = delete;
  ExportManager& operator=(const ExportManager&) = delete;

  // Queues a job and returns its id. ResourceExhausted when `max_queued` jobs already wait;
  // FailedPrecondition when no export folder is configured.
  Result<std::string> Start(ExportRequest request);
  // NotFound unless job `id` exists and belongs to `user`.
  Result<ExportStatus> Get(const std::string& id, const std::string& user);
  // Cancels job `id` (if running) and removes it with its files. NotFound as Get().
  Status Delete(const std::string& id, const std::string& user);
  // Output `file` of completed job `id`: its path, its resource type ("" for an error file) and
  // the purpose of use the job ran under. NotFound as Get(), or for an unknown file.
  struct File {
    std::string path;
    std::string type;
    std::string purpose;
  };
  Result<File> FindFile(const std::string& id, const std::string& user, const std::string& file);

  // Waits until job `id` is no longer queued or running (tests). False on timeout.
  bool WaitForTest(const std::string& id, int timeout_ms);

 private:
  struct Job {
    std::string id;
    ExportRequest request;
    ExportStatus status;
    std::atomic<bool> cancel{false};
    int64_t finished_seq = 0;  // order of completion, for eviction
  };
  void WorkerLoop();
  void Run(const std::shared_ptr<Job>& job);
  // Writes the job's files; returns the total number of resources.
  Result<int64_t> Write(const std::shared_ptr<Job>& job, engine::LakeSession& session, const std::string& folder);
  void EvictLocked();  // requires mu_
  std::string NowInstant() const;

  SessionPool& pool_;
  std::string dir_;
  int max_running_;
  int max_queued_;
  int max_kept_;
  const Clock& clock_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                                // guarded by mu_
  std::map<std::string, std::shared_ptr<Job>> jobs_;     // guarded by mu_
  std::deque<std::shared_ptr<Job>> queue_;               // guarded by mu_
  std::vector<std::thread> workers_;                     // guarded by mu_
  int64_t finished_ = 0;                                 // guarded by mu_
};

}  // namespace medlake::server::fhir::internal
