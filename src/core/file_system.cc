#include "core/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/crypto.h"

namespace medlake {
namespace {

Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  std::string msg(what);
  msg += " ";
  msg += path;
  msg += ": ";
  msg += std::strerror(err);
  if (err == ENOENT) return NotFound(std::move(msg));
  if (err == EEXIST) return AlreadyExists(std::move(msg));
  return IOError(std::move(msg));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("writing", path, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::OK();
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("opening directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus("syncing directory", dir, err);
  return Status::OK();
}

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  PosixRandomAccessFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    out->resize(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, out->data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("reading", path_, errno);
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    out->resize(got);
    return Status::OK();
  }

  Result<uint64_t> Size() const override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return ErrnoStatus("stat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  int fd_;
  std::string path_;
};

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::string_view data) override { return WriteAll(fd_, data, path_); }
  Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus("syncing", path_, errno);
    return Status::OK();
  }
  Status Close() override {
    if (fd_ < 0) return Status::OK();
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return ErrnoStatus("closing", path_, errno);
    return Status::OK();
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

Result<std::string> LocalFileSystem::ReadFile(const std::string& path) const {
  MEDLAKE_ASSIGN_OR_RETURN(auto file, OpenForRead(path));
  MEDLAKE_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string out;
  MEDLAKE_RETURN_IF_ERROR(file->Read(0, size, &out));
  return out;
}

Result<std::unique_ptr<RandomAccessFile>> LocalFileSystem::OpenForRead(
    const std::string& path) const {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("opening", path, errno);
  return std::unique_ptr<RandomAccessFile>(std::make_unique<PosixRandomAccessFile>(fd, path));
}

Result<std::unique_ptr<WritableFile>> LocalFileSystem::OpenForWrite(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("creating", path, errno);
  return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(fd, path));
}

Result<std::unique_ptr<WritableFile>> LocalFileSystem::OpenForAppend(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("opening for append", path, errno);
  return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(fd, path));
}

Status LocalFileSystem::WriteFileAtomic(const std::string& path, std::string_view data, WriteSync sync) {
  auto suffix = RandomHex(8);
  if (!suffix.ok()) return suffix.status();
  std::string tmp = path + ".tmp-" + *suffix;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("creating", tmp, errno);
  Status st = WriteAll(fd, data, tmp);
  if (st.ok() && sync != WriteSync::kNone && ::fdatasync(fd) != 0) st = ErrnoStatus("syncing", tmp, errno);
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = ErrnoStatus("renaming", tmp, errno);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return sync == WriteSync::kDurable ? SyncDirectory(std::string(Dirname(path))) : Status::OK();
}

Status LocalFileSystem::WriteFileExclusive(const std::string& path, std::string_view data, WriteSync sync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("creating", path, errno);
  Status st = WriteAll(fd, data, path);
  if (st.ok() && sync != WriteSync::kNone && ::fdatasync(fd) != 0) st = ErrnoStatus("syncing", path, errno);
  ::close(fd);
  if (!st.ok()) {
    ::unlink(path.c_str());
    return st;
  }
  return sync == WriteSync::kDurable ? SyncDirectory(std::string(Dirname(path))) : Status::OK();
}

Status LocalFileSystem::SyncDirectory(const std::string& dir) { return medlake::SyncDirectory(dir); }

Result<bool> LocalFileSystem::Exists(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return ErrnoStatus("stat", path, errno);
}

Result<bool> LocalFileSystem::IsDirectory(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return S_ISDIR(st.st_mode);
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return ErrnoStatus("stat", path, errno);
}

Result<uint64_t> LocalFileSystem::FileSize(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

Status LocalFileSystem::CreateDirectories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return IOError("creating directory " + path + ": " + ec.message());
  return Status::OK();
}

Result<std::vector<FileInfo>> LocalFileSystem::ListDirectory(const std::string& path) const {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return ErrnoStatus("listing", path, errno);
  std::vector<FileInfo> out;
  while (struct dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    FileInfo info;
    info.name = name;
    struct stat st {};
    if (::stat(JoinPath(path, name).c_str(), &st) == 0) {
      info.is_directory = S_ISDIR(st.st_mode);
      info.size = static_cast<uint64_t>(st.st_size);
    }
    out.push_back(std::move(info));
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.name < b.name; });
  return out;
}

Status LocalFileSystem::Remove(const std::string& path) {
  if (::remove(path.c_str()) != 0) return ErrnoStatus("removing", path, errno);
  return Status::OK();
}

Status LocalFileSystem::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("renaming", from, errno);
  return Status::OK();
}

Result<int64_t> LocalFileSystem::ModifiedMicros(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
}

LocalFileSystem& LocalFileSystem::Default() {
  static LocalFileSystem fs;
  return fs;
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (!b.empty() && b.front() == '/') return std::string(b);
  std::string out(a);
  if (out.back() != '/') out += '/';
  out += b;
  return out;
}

std::string_view Dirname(std::string_view path) {
  size_t pos = path.find_last_of('/');
  if (pos == std::string_view::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string_view Basename(std::string_view path) {
  size_t pos = path.find_last_of('/');
  return pos == std::string_view::npos ? path : path.substr(pos + 1);
}

Result<std::string> AbsolutePath(const std::string& path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  if (ec) return IOError("resolving path " + path + ": " + ec.message());
  std::string s = abs.lexically_normal().string();
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace medlake
