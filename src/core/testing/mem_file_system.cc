#include "core/testing/mem_file_system.h"

namespace medlake {

class MemWritableFile : public WritableFile {
 public:
  MemWritableFile(MemFileSystem* fs, std::string path) : fs_(fs), path_(std::move(path)) {}
  Status Append(std::string_view data) override { return fs_->AppendTo(path_, data); }
  Status Sync() override { return fs_->SyncFile(path_); }
  Status Close() override { return Status::OK(); }

 private:
  MemFileSystem* fs_;
  std::string path_;
};

namespace {
class MemRandomAccessFile : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(std::string data) : data_(std::move(data)) {}
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    if (offset >= data_.size()) {
      out->clear();
      return Status::OK();
    }
    *out = data_.substr(offset, n);
    return Status::OK();
  }
  Result<uint64_t> Size() const override { return static_cast<uint64_t>(data_.size()); }

 private:
  std::string data_;  // a snapshot taken at open time
};
}  // namespace

Status MemFileSystem::ConsumeWriteFailure() {
  if (fail_writes_ > 0) {
    --fail_writes_;
    return IOError("injected write failure");
  }
  return Status::OK();
}

Result<std::string> MemFileSystem::ReadFile(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound("no such file " + path);
  return it->second.data;
}

Result<std::unique_ptr<RandomAccessFile>> MemFileSystem::OpenForRead(
    const std::string& path) const {
  MEDLAKE_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  return std::unique_ptr<RandomAccessFile>(std::make_unique<MemRandomAccessFile>(std::move(data)));
}

Result<std::unique_ptr<WritableFile>> MemFileSystem::OpenForWrite(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    MEDLAKE_RETURN_IF_ERROR(ConsumeWriteFailure());
    files_[path] = File{"", 0, ++tick_};
  }
  return std::unique_ptr<WritableFile>(std::make_unique<MemWritableFile>(this, path));
}

Result<std::unique_ptr<WritableFile>> MemFileSystem::OpenForAppend(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    MEDLAKE_RETURN_IF_ERROR(ConsumeWriteFailure());
    auto& f = files_[path];
    f.mtime = ++tick_;
  }
  return std::unique_ptr<WritableFile>(std::make_unique<MemWritableFile>(this, path));
}

Status MemFileSystem::AppendTo(const std::string& path, std::string_view data) {
  std::lock_guard<std::mutex> lock(mu_);
  MEDLAKE_RETURN_IF_ERROR(ConsumeWriteFailure());
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound("file vanished " + path);
  it->second.data.append(data);
  it->second.mtime = ++tick_;
  return Status::OK();
}

Status MemFileSystem::SyncFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound("file vanished " + path);
  it->second.synced = it->second.data.size();
  return Status::OK();
}

Status MemFileSystem::WriteFileAtomic(const std::string& path, std::string_view data, WriteSync /*sync*/) {
  std::lock_guard<std::mutex> lock(mu_);
  MEDLAKE_RETURN_IF_ERROR(ConsumeWriteFailure());
  files_[path] = File{std::string(data), data.size(), ++tick_};
  return Status::OK();
}

Status MemFileSystem::WriteFileExclusive(const std::string& path, std::string_view data, WriteSync /*sync*/) {
  std::lock_guard<std::mutex> lock(mu_);
  MEDLAKE_RETURN_IF_ERROR(ConsumeWriteFailure());
  if (files_.count(path)) return AlreadyExists("file exists " + path);
  files_[path] = File{std::string(data), data.size(), ++tick_};
  return Status::OK();
}

// Directories hold no state of their own here: entries are durable as soon as written.
Status MemFileSystem::SyncDirectory(const std::string& /*dir*/) { return Status::OK(); }

Result<bool> MemFileSystem::Exists(const std::string& path) const {
  MEDLAKE_ASSIGN_OR_RETURN(bool dir, IsDirectory(path));
  std::lock_guard<std::mutex> lock(mu_);
  return dir || files_.count(path) > 0;
}

Result<bool> MemFileSystem::IsDirectory(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (dirs_.count(path)) return true;
  std::string prefix = path + "/";
  auto it = files_.lower_bound(prefix);
  return it != files_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

Result<uint64_t> MemFileSystem::FileSize(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound("no such file " + path);
  return static_cast<uint64_t>(it->second.data.size());
}

Status MemFileSystem::CreateDirectories(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string p = path;
  while (!p.empty() && p != "/" && p != ".") {
    dirs_.insert(p);
    p = std::string(Dirname(p));
  }
  return Status::OK();
}

Result<std::vector<FileInfo>> MemFileSystem::ListDirectory(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string prefix = path + "/";
  std::map<std::string, FileInfo> seen;
  for (auto it = files_.lower_bound(prefix);
       it != files_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    std::string rest = it->first.substr(prefix.size());
    size_t slash = rest.find('/');
    FileInfo info;
    info.name = rest.substr(0, slash);
    info.is_directory = slash != std::string::npos;
    info.size = info.is_directory ? 0 : it->second.data.size();
    seen.emplace(info.name, info);
  }
  for (const auto& d : dirs_) {
    if (d.compare(0, prefix.size(), prefix) == 0) {
      std::string rest = d.substr(prefix.size());
      if (!rest.empty() && rest.find('/') == std::string::npos) {
        seen.emplace(rest, FileInfo{rest, true, 0});
      }
    }
  }
  if (seen.empty() && !dirs_.count(path)) return NotFound("no such directory " + path);
  std::vector<FileInfo> out;
  for (auto& [name, info] : seen) out.push_back(info);
  return out;
}

Status MemFileSystem::Remove(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (files_.erase(path) == 0 && dirs_.erase(path) == 0) return NotFound("no such file " + path);
  return Status::OK();
}

Status MemFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(from);
  if (it == files_.end()) return NotFound("no such file " + from);
  File f = std::move(it->second);
  files_.erase(it);
  files_[to] = std::move(f);
  return Status::OK();
}

Result<int64_t> MemFileSystem::ModifiedMicros(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound("no such file " + path);
  return it->second.mtime;
}

void MemFileSystem::SimulateCrash() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [path, f] : files_) f.data.resize(f.synced);
}

void MemFileSystem::FailNextWrites(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_writes_ = n;
}

}  // namespace medlake
