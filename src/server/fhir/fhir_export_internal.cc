#include "server/fhir/fhir_export_internal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "core/crypto.h"
#include "core/logging.h"
#include "security/access_controller.h"
#include "server/fhir/fhir_json_internal.h"
#include "server/fhir/fhir_store_internal.h"

namespace medlake::server::fhir::internal {
namespace {

// An output file opened for writing with mode 0600 (it holds PHI); buffered.
class NdjsonFile {
 public:
  static Result<std::unique_ptr<NdjsonFile>> Create(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return IOError("creating export file " + path);
    return std::unique_ptr<NdjsonFile>(new NdjsonFile(fd));
  }
  ~NdjsonFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(const std::string& line) {
    buffer_ += line;
    buffer_ += '\n';
    if (buffer_.size() >= (1u << 20)) return Flush();
    return Status::OK();
  }
  Status Close() {
    MEDLAKE_RETURN_IF_ERROR(Flush());
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return IOError("closing an export file");
    return Status::OK();
  }

 private:
  explicit NdjsonFile(int fd) : fd_(fd) {}
  Status Flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return IOError("writing an export file");
      }
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
    return Status::OK();
  }
  int fd_;
  std::string buffer_;
};

Status MakePrivateDir(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return IOError("creating export folder " + path + ": " + ec.message());
  if (::chmod(path.c_str(), 0700) != 0) return IOError("restricting export folder " + path);
  return Status::OK();
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) {
    Log(LogLevel::kWarn, "fhir_export_cleanup_failed", {LogField("path", LogId(path))});
  }
}

std::string Dump(const Json& j) { return CompactJson(j); }

}  // namespace

ExportManager::ExportManager(SessionPool& pool, std::string dir, int max_running, int max_queued, int max_kept,
                             const Clock& clock)
    : pool_(pool),
      dir_(std::move(dir)),
      max_running_(std::max(1, max_running)),
      max_queued_(std::max(0, max_queued)),
      max_kept_(std::max(1, max_kept)),
      clock_(clock) {}

ExportManager::~ExportManager() {
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& [id, job] : jobs_) job->cancel = true;
    workers.swap(workers_);
  }
  cv_.notify_all();
  for (auto& w : workers) w.join();
}

std::string ExportManager::NowInstant() const {
  int64_t micros = clock_.NowMicros();
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>((micros / 1000) % 1000));
  return buf;
}

Result<std::string> ExportManager::Start(ExportRequest request) {
  if (dir_.empty()) return FailedPrecondition("bulk export is not configured on this server (no export folder)");
  MEDLAKE_ASSIGN_OR_RETURN(std::string id, RandomHex(16));
  auto job = std::make_shared<Job>();
  job->id = id;
  job->status.transaction_time = NowInstant();
  job->status.request_url = request.request_url;
  job->status.progress = "queued";
  job->request = std::move(request);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return FailedPrecondition("the server is stopping");
    if (static_cast<int>(queue_.size()) >= max_queued_) {
      return ResourceExhausted("too many bulk exports waiting; retry later");
    }
    jobs_[id] = job;
    queue_.push_back(job);
    if (static_cast<int>(workers_.size()) < max_running_) {
      workers_.emplace_back([this] { WorkerLoop(); });
    }
  }
  cv_.notify_one();
  return id;
}

Result<ExportStatus> ExportManager::Get(const std::string& id, const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second->request.user != user) return NotFound("no export job " + id);
  return it->second->status;
}

Status ExportManager::Delete(const std::string& id, const std::string& user) {
  std::shared_ptr<Job> job;
  bool running = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second->request.user != user) return NotFound("no export job " + id);
    job = it->second;
    job->cancel = true;
    jobs_.erase(it);
    for (auto q = queue_.begin(); q != queue_.end(); ++q) {
      if (*q == job) {
        queue_.erase(q);
        break;
      }
    }
    running = job->status.state == ExportStatus::State::kRunning;
  }
  // A running job removes its own folder when it sees the cancellation.
  if (!running) RemoveTree(dir_ + "/" + id);
  return Status::OK();
}

Result<ExportManager::File> ExportManager::FindFile(const std::string& id, const std::string& user,
                                                   const std::string& file) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second->request.user != user ||
      it->second->status.state != ExportStatus::State::kCompleted) {
    return NotFound("no export file " + id + "/" + file);
  }
  const auto& status = it->second->status;
  for (const auto* list : {&status.outputs, &status.errors}) {
    for (const auto& o : *list) {
      if (o.file != file) continue;
      return File{dir_ + "/" + id + "/" + file, list == &status.outputs ? o.type : "", it->second->request.purpose};
    }
  }
  return NotFound("no export file " + id + "/" + file);
}

bool ExportManager::WaitForTest(const std::string& id, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = jobs_.find(id);
      if (it == jobs_.end()) return true;
      auto state = it->second->status.state;
      if (state != ExportStatus::State::kQueued && state != ExportStatus::State::kRunning) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void ExportManager::WorkerLoop() {
  while (true) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      queue_.pop_front();
      job->status.state = ExportStatus::State::kRunning;
      job->status.progress = "started";
    }
    Run(job);
  }
}

void ExportManager::Run(const std::shared_ptr<Job>& job) {
  const std::string folder = dir_ + "/" + job->id;
  auto finish = [&](ExportStatus::State state, std::string error) {
    std::lock_guard<std::mutex> lock(mu_);
    job->status.state = state;
    job->status.error = std::move(error);
    job->status.progress = state == ExportStatus::State::kCompleted ? "completed" : "failed";
    job->finished_seq = ++finished_;
    EvictLocked();
  };
  Status st = MakePrivateDir(dir_);
  if (st.ok()) st = MakePrivateDir(folder);
  if (!st.ok()) {
    Log(LogLevel::kError, "fhir_export_failed", {LogField::Error("error", st.ToString())});
    finish(ExportStatus::State::kFailed, "the export folder could not be written");
    return;
  }
  auto lease = pool_.Acquire(job->request.user, job->request.purpose, job->request.client);
  if (!lease.ok()) {
    RemoveTree(folder);
    finish(ExportStatus::State::kFailed, "no session for the user: " + lease.status().message());
    return;
  }
  Result<int64_t> written = Write(job, lease->session(), folder);
  bool cancelled = job->cancel.load();
  // The export as one audit record (its statements were audited one by one by the session).
  security::AuditRecord record;
  record.action = "export";
  std::string types;
  for (const auto& t : job->request.types) types += (types.empty() ? "" : ",") + t;
  record.statement = std::string("FHIR ") + (job->request.patient_level ? "Patient/" : "") + "$export _type=" + types +
                     " job=" + job->id;
  for (const auto& t : job->request.types) {
    if (t == "Patient") {
      record.tables.emplace_back(kPersonTable);
    } else if (const ResourceSpec* spec = FindClinicalSpec(t)) {
      record.tables.push_back(spec->table);
    }
  }
  record.rows = written.ok() ? *written : -1;
  record.outcome = written.ok() ? "ok" : "error";
  if (cancelled) {
    record.outcome = "error";
    record.error = "cancelled";
  } else if (!written.ok()) {
    record.error = written.status().ToString();
  }
  Status audited = lease->controller().Audit(record);
  if (!audited.ok()) {
    lease->Discard();
    Log(LogLevel::kError, "fhir_export_audit_failed", {LogField::Error("error", audited.ToString())});
  }
  if (cancelled) {
    RemoveTree(folder);
    finish(ExportStatus::State::kFailed, "cancelled");
    return;
  }
  if (!written.ok() || !audited.ok()) {
    RemoveTree(folder);
    std::string why = "the export could not be audited";
    if (!written.ok()) {
      StatusCode code = written.status().code();
      bool telling = code == StatusCode::kPermissionDenied || code == StatusCode::kFailedPrecondition ||
                     code == StatusCode::kInvalidArgument;
      // Other messages (file paths, I/O details) stay in the server log.
      why = telling ? written.status().message() : "the export failed; the server log has the details";
      if (!telling) Log(LogLevel::kError, "fhir_export_failed", {LogField::Error("error", written.status().ToString())});
    }
    finish(ExportStatus::State::kFailed, why);
    return;
  }
  finish(ExportStatus::State::kCompleted, "");
}

Result<int64_t> ExportManager::Write(const std::shared_ptr<Job>& job, engine::LakeSession& session,
                                     const std::string& folder) {
  int64_t total = 0;
  std::vector<std::pair<std::string, std::string>> denied;  // type, message
  size_t done_types = 0;
  auto should_stop = [&] { return job->cancel.load(); };
  for (const auto& type : job->request.types) {
    const std::string file = type + ".ndjson";
    MEDLAKE_ASSIGN_OR_RETURN(auto out, NdjsonFile::Create(folder + "/" + file));
    int64_t count = 0;
    Status st = StreamResources(
        session, type, job->request.since_sql, job->request.patient_level,
        [&](const Json& resource) -> Status {
          MEDLAKE_RETURN_IF_ERROR(out->Append(Dump(resource)));
          ++count;
          if (count % 1000 == 0) {
            std::lock_guard<std::mutex> lock(mu_);
            job->status.progress = std::to_string(done_types) + " of " + std::to_string(job->request.types.size()) +
                                   " types done, " + std::to_string(total + count) + " resources";
          }
          return Status::OK();
        },
        should_stop);
    MEDLAKE_RETURN_IF_ERROR(out->Close());
    if (should_stop()) return Aborted("export cancelled");
    if (st.code() == StatusCode::kPermissionDenied || st.code() == StatusCode::kFailedPrecondition) {
      denied.emplace_back(type, st.message());
      std::filesystem::remove(folder + "/" + file);
      ++done_types;
      continue;
    }
    MEDLAKE_RETURN_IF_ERROR(st);
    total += count;
    ++done_types;
    std::lock_guard<std::mutex> lock(mu_);
    if (count == 0) {
      std::error_code ec;
      std::filesystem::remove(folder + "/" + file, ec);
    } else {
      job->status.outputs.push_back({type, file, count});
    }
    job->status.progress = std::to_string(done_types) + " of " + std::to_string(job->request.types.size()) +
                           " types done, " + std::to_string(total) + " resources";
  }
  if (!denied.empty()) {
    const std::string file = "OperationOutcome.ndjson";
    MEDLAKE_ASSIGN_OR_RETURN(auto out, NdjsonFile::Create(folder + "/" + file));
    for (const auto& [type, message] : denied) {
      MEDLAKE_RETURN_IF_ERROR(out->Append(Dump(OperationOutcome("error", "forbidden", type + ": " + message))));
    }
    MEDLAKE_RETURN_IF_ERROR(out->Close());
    std::lock_guard<std::mutex> lock(mu_);
    job->status.errors.push_back({"OperationOutcome", file, static_cast<int64_t>(denied.size())});
  }
  return total;
}

void ExportManager::EvictLocked() {
  int kept = 0;
  for (const auto& [id, job] : jobs_) {
    if (job->finished_seq > 0) ++kept;
  }
  while (kept > max_kept_) {
    auto oldest = jobs_.end();
    for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
      if (it->second->finished_seq > 0 &&
          (oldest == jobs_.end() || it->second->finished_seq < oldest->second->finished_seq)) {
        oldest = it;
      }
    }
    if (oldest == jobs_.end()) break;
    RemoveTree(dir_ + "/" + oldest->first);
    jobs_.erase(oldest);
    --kept;
  }
}

}  // namespace medlake::server::fhir::internal
