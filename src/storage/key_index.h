// storage/key_index.h: the key index of a data file: the file's rows, looked up by the value of
// the table's leading sort column, in a small SQLite database beside the file
// (`<data file>.keyidx`). It is the lake's row-level access path for lookups by key (one
// patient's record, a point query): reading a key's rows from it costs a B-tree search instead
// of opening Parquet and decoding a row group. Format: docs/formats/key_index.md.
//
// A key index is derived data: it is written once, right after its data file, never changed,
// and deleted with its data file (snapshot expiry, orphan removal). Readers use it only when it
// exists for every file a scan reads and holds every column the scan returns; otherwise they read
// the Parquet file. It holds the same values as the data file (PHI included), so it lives in the
// table's data directory with the same permissions.
//
// Thread-safety: a writer or reader is used by one thread at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace medlake::storage {

// The key index path of a data file.
std::string KeyIndexPath(const std::string& data_file_path);
inline constexpr std::string_view kKeyIndexSuffix = ".keyidx";

// How a column's values are stored: Iceberg int, long, boolean (0/1), date (days since
// 1970-01-01), time, timestamp and timestamptz (microseconds) as kInteger; float and double as
// kReal; string as kText; binary as kBlob.
enum class KeyIndexStorage { kInteger, kReal, kText, kBlob };

struct KeyIndexColumn {
  int field_id = 0;
  std::string type;  // the Iceberg primitive type name when written ("long", "string", ...)
  KeyIndexStorage storage = KeyIndexStorage::kText;
};

// One cell, as read (views valid until the reader moves on).
struct KeyIndexValue {
  bool is_null = true;
  int64_t integer = 0;
  double real = 0;
  std::string_view bytes;  // kText and kBlob
};

class KeyIndexWriter {
 public:
  ~KeyIndexWriter();
  KeyIndexWriter(const KeyIndexWriter&) = delete;
  KeyIndexWriter& operator=(const KeyIndexWriter&) = delete;

  // Starts the key index of `data_file_path` (written to a temporary name first). `key` is the
  // key column (kInteger or kText); `columns` the stored columns, key included;
  // `schema_field_ids` every top-level field id of the file's schema (stored or not: a reader
  // returns NULL only for fields the file did not have).
  static Result<std::unique_ptr<KeyIndexWriter>> Create(const std::string& data_file_path, const KeyIndexColumn& key,
                                                        std::vector<KeyIndexColumn> columns,
                                                        const std::vector<int>& schema_field_ids);
  // Adds the row at position `pos` of the data file; `values` in the order of `columns`.
  // Rows whose key is NULL are not added (an equality lookup never matches them).
  Status AddRow(int64_t pos, const std::vector<KeyIndexValue>& values);
  // Commits and renames into place. Without Finish the temporary file is removed.
  Status Finish(int64_t record_count);

 private:
  KeyIndexWriter(std::string path, std::string temp_path, sqlite3* db);
  std::string path_, temp_path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  std::vector<KeyIndexColumn> columns_;
  size_t key_index_ = 0;  // position of the key among the columns
  bool finished_ = false;
};

// The smallest and largest key of a key index.
struct KeyIndexRange {
  bool has_rows = false;
  KeyIndexStorage storage = KeyIndexStorage::kText;
  std::string min_text, max_text;  // text keys
  int64_t min_integer = 0, max_integer = 0;  // integer keys
  // False when `key` (as KeyIndexReader::Lookup takes it) lies outside the range, so a lookup
  // would find nothing: a scan of many files skips the others without a B-tree search. True
  // when the key may be there (or is malformed: Lookup then says so).
  bool MayHold(std::string_view key) const;
};

// The range of the key index at `path` if a reader of it was opened in this process (files
// never change once in place, so what was read stays true); null otherwise. Shared, not copied:
// scans ask for it per file on every run. Thread-safe.
std::shared_ptr<const KeyIndexRange> RememberedKeyIndexRange(const std::string& path);

class KeyIndexReader {
 public:
  ~KeyIndexReader();
  KeyIndexReader(const KeyIndexReader&) = delete;
  KeyIndexReader& operator=(const KeyIndexReader&) = delete;

  // Opens a key index read-only. NotFound when it does not exist; DataLoss when it is not one.
  static Result<std::unique_ptr<KeyIndexReader>> Open(const std::string& path);

  const std::vector<KeyIndexColumn>& columns() const { return columns_; }
  const std::vector<int>& schema_field_ids() const { return schema_field_ids_; }
  KeyIndexStorage key_storage() const { return key_storage_; }
  int key_field_id() const { return key_field_id_; }
  int64_t record_count() const { return record_count_; }
  // Position in columns() of `field_id`, or -1.
  int ColumnOf(int field_id) const;
  // Whether the file was deleted (or replaced) since this reader opened it.
  bool Unlinked() const;
  // The file's smallest and largest key (read when opened).
  const KeyIndexRange& range() const { return range_; }

  // Starts a lookup of the rows whose key is `key` (text keys as text, integer keys as their
  // decimal text), returning the stored columns at `column_positions` (positions in columns()).
  Status Lookup(std::string_view key, const std::vector<int>& column_positions);
  // The next row of the lookup in file order: false when there is none. `values` is resized
  // to the requested columns.
  Result<bool> Next(int64_t* pos, std::vector<KeyIndexValue>* values);

 private:
  KeyIndexReader(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::string path_;
  sqlite3_stmt* lookup_ = nullptr;  // the current lookup's statement
  std::vector<int> lookup_columns_;
  // Lookups of other column lists prepared earlier on this reader, reset, oldest first (at most
  // kKeptLookups): a pooled reader serves the prefetcher (positions only) and statements
  // (their columns) in turn, and preparing one costs more than the lookup.
  static constexpr size_t kKeptLookups = 3;
  std::vector<std::pair<std::vector<int>, sqlite3_stmt*>> kept_lookups_;
  std::vector<KeyIndexColumn> columns_;
  std::vector<int> schema_field_ids_;
  KeyIndexStorage key_storage_ = KeyIndexStorage::kText;
  int key_field_id_ = 0;
  int64_t record_count_ = 0;
  KeyIndexRange range_;
  // When the pool last saw the file still in place (opening counts).
  std::chrono::steady_clock::time_point in_place_at_ = std::chrono::steady_clock::now();
  friend class KeyIndexReaderPool;
};

// Open key index readers kept for reuse across queries (opening one costs a file open and a
// schema read; key indexes never change once written). Process-wide, thread-safe. At most
// `max_idle` idle readers are kept; a reader of a file that has since been deleted (or replaced)
// is dropped when next asked for, once its last check is `recheck` old, and the idle ones are
// bounded, so deleted files' space is given back.
class KeyIndexReaderPool {
 public:
  // An idle reader is checked for a deleted or replaced file (an fstat) when it was last checked
  // `recheck` ago or more; 0 checks on every Acquire.
  explicit KeyIndexReaderPool(size_t max_idle, std::chrono::milliseconds recheck = std::chrono::milliseconds(0))
      : max_idle_(max_idle), recheck_(recheck) {}
  static KeyIndexReaderPool& Default();

  // An idle reader of `path`, or a newly opened one (errors as KeyIndexReader::Open).
  Result<std::unique_ptr<KeyIndexReader>> Acquire(const std::string& path);
  // Gives a reader back for reuse.
  void Release(const std::string& path, std::unique_ptr<KeyIndexReader> reader);
  size_t idle() const;

 private:
  const size_t max_idle_;
  const std::chrono::milliseconds recheck_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<KeyIndexReader>>> idle_;
  std::deque<std::string> order_;  // paths in the order readers were released (oldest first)
  size_t idle_count_ = 0;
};

// A reader borrowed from a pool for a scope.
class PooledKeyIndexReader {
 public:
  PooledKeyIndexReader(KeyIndexReaderPool& pool, std::string path, std::unique_ptr<KeyIndexReader> reader)
      : pool_(&pool), path_(std::move(path)), reader_(std::move(reader)) {}
  PooledKeyIndexReader(PooledKeyIndexReader&&) = default;
  PooledKeyIndexReader& operator=(PooledKeyIndexReader&&) = default;
  ~PooledKeyIndexReader() {
    if (reader_) pool_->Release(path_, std::move(reader_));
  }
  KeyIndexReader* operator->() const { return reader_.get(); }
  KeyIndexReader& operator*() const { return *reader_; }

 private:
  KeyIndexReaderPool* pool_;
  std::string path_;
  std::unique_ptr<KeyIndexReader> reader_;
};

// Borrows a reader of `path` from `pool` (KeyIndexReaderPool::Default() unless given).
Result<PooledKeyIndexReader> BorrowKeyIndexReader(const std::string& path,
                                                  KeyIndexReaderPool& pool = KeyIndexReaderPool::Default());

// Lookups run ahead of a scan on background threads, so that a scan's cold lookups wait for
// their disk reads together instead of one after another. A lookup in a key index that is not in
// the page cache costs two or three dependent page reads (B-tree levels); a scan of several
// files and keys (one patient's record: a dozen lookups in six tables) would pay them in series.
// A prefetch performs the same lookup with its own reader and throws the rows away: what it
// leaves behind is the pages in memory. Errors are ignored (the scan reports its own). Bounded:
// when `max_queued` lookups wait, more are dropped, so a busy server only loses the head start.
//
// Thread-safety: thread-safe. Default() is never destroyed (its threads end with the process).
class KeyIndexPrefetcher {
 public:
  KeyIndexPrefetcher(int threads, size_t max_queued, KeyIndexReaderPool& pool);
  ~KeyIndexPrefetcher();  // waits for the running lookups; queued ones are dropped
  KeyIndexPrefetcher(const KeyIndexPrefetcher&) = delete;
  KeyIndexPrefetcher& operator=(const KeyIndexPrefetcher&) = delete;
  static KeyIndexPrefetcher& Default();

  // Whether a batch of lookups (one statement's) should be prefetched. Prefetching pays only
  // when lookups wait on the disk; on pages already in memory it is a second lookup competing
  // for the CPU. So after kWarmStreak lookups in a row read nothing from the disk (the thread's
  // block input count, getrusage, did not move), only one batch in kProbeEvery is admitted, to
  // notice when that changes; one lookup that reads turns prefetching fully on again.
  bool Admit();
  static constexpr int kWarmStreak = 64;
  static constexpr int kProbeEvery = 16;
  // Queues a lookup of `key` (as KeyIndexReader::Lookup takes it) in the key index at `path`.
  // False when the queue is full and the lookup was dropped.
  bool Prefetch(std::string path, std::string key);
  // Waits until no lookup is queued or running.
  void Drain();
  // Lookups run to their end since construction (errors included).
  uint64_t completed() const;

 private:
  void Work();
  const int threads_;
  const size_t max_queued_;
  KeyIndexReaderPool& pool_;
  mutable std::mutex mu_;
  std::condition_variable wake_, idle_;
  std::deque<std::pair<std::string, std::string>> queue_;
  std::vector<std::thread> workers_;  // started with the first prefetch
  size_t running_ = 0;
  uint64_t completed_ = 0;
  int warm_streak_ = 0;     // lookups in a row that found their pages in memory
  uint64_t batches_ = 0;    // batches offered while backing off
  bool stop_ = false;
};

}  // namespace medlake::storage
