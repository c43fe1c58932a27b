// storage/file_cache.h: parsed forms of immutable table files, kept in memory across statements.
//
// Iceberg never changes a metadata file, manifest list or manifest once written: a commit writes
// new ones. Parsing them (JSON, Avro) is most of the fixed cost of planning a small query, so the
// read path keeps what it parsed, process-wide, and every session shares it. An entry is used
// only while the file on disk still has the size and modification time it had when it was read,
// so a lake deleted and re-created at the same path (tests, `make demo`) is never served stale
// data. Only local files are cached (another FileSystem, e.g. the in-memory one of unit tests,
// always reads). Entries are evicted least-recently-used beyond a byte budget (the file sizes,
// times 4 for the parsed form; default 256 MiB, MEDLAKE_FILE_CACHE_MB overrides, 0 disables).
//
// Thread-safety: all methods are thread-safe; values are immutable and shared.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <typeindex>

#include "core/file_system.h"
#include "core/status.h"

namespace medlake::storage {

class ParsedFileCache {
 public:
  explicit ParsedFileCache(uint64_t budget_bytes) : budget_(budget_bytes) {}
  static ParsedFileCache& Global();

  // The parsed form of `path` (with `variant` telling parses of one file apart, e.g. the
  // partition spec a manifest is read with), from the cache or by reading and parsing it now.
  // `cost` (optional) estimates the parsed form's memory; by default four times the file's size.
  template <typename T>
  Result<std::shared_ptr<const T>> Get(const FileSystem& fs, const std::string& path, const std::string& variant,
                                       const std::function<Result<T>(const std::string& bytes)>& parse,
                                       const std::function<uint64_t(const T&)>& cost = nullptr) {
    Key key{path, variant, std::type_index(typeid(T))};
    const bool local = dynamic_cast<const LocalFileSystem*>(&fs) != nullptr && budget_ > 0;
    Stamp stamp;
    if (local) {
      MEDLAKE_ASSIGN_OR_RETURN(stamp.size, fs.FileSize(path));
      MEDLAKE_ASSIGN_OR_RETURN(stamp.mtime, fs.ModifiedMicros(path));
      if (auto hit = Find(key, stamp)) return std::static_pointer_cast<const T>(hit);
    }
    MEDLAKE_ASSIGN_OR_RETURN(std::string bytes, fs.ReadFile(path));
    MEDLAKE_ASSIGN_OR_RETURN(T parsed, parse(bytes));
    auto value = std::make_shared<const T>(std::move(parsed));
    if (local && bytes.size() == stamp.size) Insert(key, stamp, value, cost ? cost(*value) : bytes.size() * 4 + 256);
    return value;
  }

  // Records `value` as the parsed form of `path`, which its caller has just written (a commit's
  // metadata file), so that the next Get finds it without reading the file. Nothing is recorded
  // for other file systems, or when the file cannot be examined.
  template <typename T>
  void Put(const FileSystem& fs, const std::string& path, const std::string& variant,
           std::shared_ptr<const T> value, uint64_t cost) {
    if (dynamic_cast<const LocalFileSystem*>(&fs) == nullptr || budget_ == 0) return;
    auto size = fs.FileSize(path);
    auto mtime = fs.ModifiedMicros(path);
    if (!size.ok() || !mtime.ok()) return;
    Stamp stamp;
    stamp.size = *size;
    stamp.mtime = *mtime;
    Insert(Key{path, variant, std::type_index(typeid(T))}, stamp, std::move(value), cost);
  }

  // Forgets the parsed form of `path` as a T (a table's metadata version superseded by a commit:
  // the next load goes to the new version). Holders of the value keep it.
  template <typename T>
  void Erase(const std::string& path, const std::string& variant) {
    EraseKey(Key{path, variant, std::type_index(typeid(T))});
  }

  struct Stats {
    uint64_t hits = 0, misses = 0, entries = 0, bytes = 0;
  };
  Stats stats() const;
  void Clear();

 private:
  struct Key {
    std::string path, variant;
    std::type_index type;
    bool operator<(const Key& o) const {
      if (path != o.path) return path < o.path;
      if (variant != o.variant) return variant < o.variant;
      return type < o.type;
    }
  };
  struct Stamp {
    uint64_t size = 0;
    int64_t mtime = 0;
  };
  struct Entry {
    Stamp stamp;
    std::shared_ptr<const void> value;
    uint64_t cost = 0;
    std::list<Key>::iterator lru;
  };
  std::shared_ptr<const void> Find(const Key& key, const Stamp& stamp);
  void Insert(const Key& key, const Stamp& stamp, std::shared_ptr<const void> value, uint64_t cost);
  void EraseKey(const Key& key);

  const uint64_t budget_;
  mutable std::mutex mu_;
  std::map<Key, Entry> entries_;  // guarded by mu_
  std::list<Key> lru_;            // guarded by mu_; front = most recently used
  uint64_t bytes_ = 0, hits_ = 0, misses_ = 0;
};

}  // namespace medlake::storage
