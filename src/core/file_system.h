// core/file_system.h: the file system seam (leveldb's Env idea).
//
// Storage, ingestion and the lake layout reach files only through FileSystem, so tests can run
// on MemFileSystem (core/testing/mem_file_system.h) and crash tests can inject failures.
// Paths are plain strings; "/" separates components.
//
// Errors: NotFound for a missing path, AlreadyExists where creation must be exclusive, IOError
// for everything else the operating system reports (with the path and errno text).
//
// Thread-safety: implementations are safe for concurrent use by distinct callers; a single
// WritableFile or RandomAccessFile object is not shared between threads without locking.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace medlake {

// A file opened for reading at arbitrary offsets.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to `n` bytes at `offset` into `out` (resized to what was read; short at EOF).
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  virtual Result<uint64_t> Size() const = 0;
};

// A file opened for appending.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fsync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

struct FileInfo {
  std::string name;  // last path component
  bool is_directory = false;
  uint64_t size = 0;
};

// How much of a write is durable (survives a power failure) when the call returns.
enum class WriteSync {
  kDurable,   // the file's data and its directory entry
  kDataOnly,  // the file's data; its directory entry once the directory is synced (SyncDirectory)
  kNone,      // nothing is synced: for hints that readers can do without
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual Result<std::string> ReadFile(const std::string& path) const = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) const = 0;
  // Creates or truncates `path`.
  virtual Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path) = 0;
  // Opens `path` for appending, creating it if missing.
  virtual Result<std::unique_ptr<WritableFile>> OpenForAppend(const std::string& path) = 0;

  // Writes `data` to `path` so that readers see the old content or the new, never a mix:
  // temporary file, fsync, rename over `path`, fsync of the directory (as far as `sync` says).
  virtual Status WriteFileAtomic(const std::string& path, std::string_view data, WriteSync sync) = 0;
  Status WriteFileAtomic(const std::string& path, std::string_view data) {
    return WriteFileAtomic(path, data, WriteSync::kDurable);
  }
  // Writes `data` to `path`, failing with AlreadyExists if it exists; as durable as `sync` says
  // on return (the two-argument form: durable).
  virtual Status WriteFileExclusive(const std::string& path, std::string_view data, WriteSync sync) = 0;
  Status WriteFileExclusive(const std::string& path, std::string_view data) {
    return WriteFileExclusive(path, data, WriteSync::kDurable);
  }
  // Makes the entries of directory `dir` durable: files written into it with kDataOnly are then
  // durable too. One call covers every such file of the directory.
  virtual Status SyncDirectory(const std::string& dir) = 0;

  virtual Result<bool> Exists(const std::string& path) const = 0;
  virtual Result<bool> IsDirectory(const std::string& path) const = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) const = 0;
  // Creates `path` and its missing parents; OK if it exists as a directory.
  virtual Status CreateDirectories(const std::string& path) = 0;
  // Lists a directory's entries (not "." or ".."), sorted by name.
  virtual Result<std::vector<FileInfo>> ListDirectory(const std::string& path) const = 0;
  // Removes a file or an empty directory. NotFound if missing.
  virtual Status Remove(const std::string& path) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Modification time in microseconds since the epoch.
  virtual Result<int64_t> ModifiedMicros(const std::string& path) const = 0;
};

// The operating system's file system (POSIX calls).
class LocalFileSystem : public FileSystem {
 public:
  Result<std::string> ReadFile(const std::string& path) const override;
  Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) const override;
  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> OpenForAppend(const std::string& path) override;
  using FileSystem::WriteFileAtomic;
  using FileSystem::WriteFileExclusive;
  Status WriteFileAtomic(const std::string& path, std::string_view data, WriteSync sync) override;
  Status WriteFileExclusive(const std::string& path, std::string_view data, WriteSync sync) override;
  Status SyncDirectory(const std::string& dir) override;
  Result<bool> Exists(const std::string& path) const override;
  Result<bool> IsDirectory(const std::string& path) const override;
  Result<uint64_t> FileSize(const std::string& path) const override;
  Status CreateDirectories(const std::string& path) override;
  Result<std::vector<FileInfo>> ListDirectory(const std::string& path) const override;
  Status Remove(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Result<int64_t> ModifiedMicros(const std::string& path) const override;

  // A process-wide instance (stateless).
  static LocalFileSystem& Default();
};

// Path helpers (pure string operations).
std::string JoinPath(std::string_view a, std::string_view b);
std::string_view Dirname(std::string_view path);
std::string_view Basename(std::string_view path);
// Makes `path` absolute against the current directory and removes "." and ".." components.
Result<std::string> AbsolutePath(const std::string& path);

}  // namespace medlake
