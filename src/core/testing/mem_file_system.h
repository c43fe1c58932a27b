// core/testing/mem_file_system.h: an in-memory FileSystem for unit tests (leveldb's memenv).
//
// Directories are implicit prefixes plus explicit CreateDirectories calls. Sync() marks data
// durable; SimulateCrash() drops everything appended to files since their last Sync(), which lets
// tests check what survives a crash. FailNextWrites(n) makes the next n writes fail with IOError.
//
// Thread-safety: all methods are safe for concurrent use (one mutex).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "core/file_system.h"

namespace medlake {

class MemFileSystem : public FileSystem {
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

  // Drops unsynced appended bytes of every file.
  void SimulateCrash();
  void FailNextWrites(int n);

 private:
  struct File {
    std::string data;
    size_t synced = 0;
    int64_t mtime = 0;
  };
  friend class MemWritableFile;
  Status AppendTo(const std::string& path, std::string_view data);
  Status SyncFile(const std::string& path);
  Status ConsumeWriteFailure();

  mutable std::mutex mu_;
  std::map<std::string, File> files_;
  std::set<std::string> dirs_;
  int fail_writes_ = 0;
  int64_t tick_ = 0;
};

}  // namespace medlake
