#include "storage/key_index.h"

#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <unordered_map>

#include "storage/random_map_vfs.h"

namespace medlake::storage {
namespace {

// Format 2 keeps NaN in REAL columns (as the 8 bytes of the double: SQLite stores a bound NaN
// as NULL). Format 1 files are still read unless they hold a REAL column, whose NaN may have
// become NULL: those are refused, so lookups read Parquet and build_key_index rewrites them.
constexpr const char* kFormatVersion = "2";

Status Error(sqlite3* db, int rc, const std::string& what) {
  std::string msg = "key index: " + what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xFF) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return DataLoss(std::move(msg));
    case SQLITE_CANTOPEN: return NotFound(std::move(msg));
    case SQLITE_IOERR:
    case SQLITE_FULL: return IOError(std::move(msg));
    default: return Internal(std::move(msg));
  }
}

Status Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::OK();
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return Error(nullptr, rc, msg);
}

char StorageCode(KeyIndexStorage s) {
  switch (s) {
    case KeyIndexStorage::kInteger: return 'i';
    case KeyIndexStorage::kReal: return 'r';
    case KeyIndexStorage::kText: return 't';
    case KeyIndexStorage::kBlob: return 'b';
  }
  return 't';
}

std::optional<KeyIndexStorage> StorageFromCode(char c) {
  switch (c) {
    case 'i': return KeyIndexStorage::kInteger;
    case 'r': return KeyIndexStorage::kReal;
    case 't': return KeyIndexStorage::kText;
    case 'b': return KeyIndexStorage::kBlob;
    default: return std::nullopt;
  }
}

std::string Column(size_t i) { return "c" + std::to_string(i); }

// Block reads this thread has caused so far (the page cache missed), or -1 when unknown.
int64_t BlockReadsOfThisThread() {
  struct rusage usage {};
  if (::getrusage(RUSAGE_THREAD, &usage) != 0) return -1;
  return usage.ru_inblock;
}

// The key ranges of the key indexes opened so far (RememberedKeyIndexRange). Bounded: past
// kMaxRanges entries (paths of files deleted since linger) it starts again from empty.
constexpr size_t kMaxRanges = 100000;
std::mutex& RangesMutex() {
  static auto* mu = new std::mutex;
  return *mu;
}
std::unordered_map<std::string, std::shared_ptr<const KeyIndexRange>>& Ranges() {
  static auto* ranges = new std::unordered_map<std::string, std::shared_ptr<const KeyIndexRange>>;
  return *ranges;
}
void RememberRange(const std::string& path, const KeyIndexRange& range) {
  std::lock_guard<std::mutex> lock(RangesMutex());
  if (Ranges().size() >= kMaxRanges) Ranges().clear();
  Ranges().insert_or_assign(path, std::make_shared<const KeyIndexRange>(range));
}

}  // namespace

std::string KeyIndexPath(const std::string& data_file_path) { return data_file_path + std::string(kKeyIndexSuffix); }

KeyIndexWriter::KeyIndexWriter(std::string path, std::string temp_path, sqlite3* db)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), db_(db) {}

KeyIndexWriter::~KeyIndexWriter() {
  sqlite3_finalize(insert_);
  sqlite3_close_v2(db_);
  if (!finished_) std::remove(temp_path_.c_str());
}

Result<std::unique_ptr<KeyIndexWriter>> KeyIndexWriter::Create(const std::string& data_file_path,
                                                              const KeyIndexColumn& key,
                                                              std::vector<KeyIndexColumn> columns,
                                                              const std::vector<int>& schema_field_ids) {
  if (key.storage != KeyIndexStorage::kInteger && key.storage != KeyIndexStorage::kText) {
    return InvalidArgument("key index: the key must be an integer or text column");
  }
  size_t key_pos = columns.size();
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].field_id == key.field_id) key_pos = i;
  }
  if (key_pos == columns.size()) return InvalidArgument("key index: the key column is not among the stored columns");
  const std::string path = KeyIndexPath(data_file_path);
  std::random_device rd;
  const std::string temp = path + ".tmp-" + std::to_string(rd()) + std::to_string(::getpid());
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(temp.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  std::unique_ptr<KeyIndexWriter> w(new KeyIndexWriter(path, temp, db));
  if (rc != SQLITE_OK) return Error(db, rc, "creating " + temp);
  w->key_index_ = key_pos;
  w->columns_ = columns;
  // Written once by one writer and renamed into place: no journal needed; a crash leaves only
  // a temporary file, which orphan removal deletes with other unreferenced files.
  MEDLAKE_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 8192"));
  std::string cols, meta_cols, fields;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i != key_pos) cols += ", " + Column(i);  // the key column's values are `k`
    meta_cols += (i ? "," : "") + std::to_string(columns[i].field_id) + ":" + columns[i].type + ":" +
                 StorageCode(columns[i].storage);
  }
  for (size_t i = 0; i < schema_field_ids.size(); ++i) fields += (i ? "," : "") + std::to_string(schema_field_ids[i]);
  MEDLAKE_RETURN_IF_ERROR(Exec(
      db, "BEGIN; CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID; "
          "CREATE TABLE rows (k " + std::string(key.storage == KeyIndexStorage::kInteger ? "INTEGER" : "TEXT") +
              " NOT NULL, pos INTEGER NOT NULL" + cols + ", PRIMARY KEY (k, pos)) WITHOUT ROWID; "
          "INSERT INTO meta VALUES ('format', '" + kFormatVersion + "'), ('key_field', '" +
              std::to_string(key.field_id) + "'), ('key_storage', '" + StorageCode(key.storage) +
              "'), ('columns', '" + meta_cols + "'), ('schema_fields', '" + fields + "')"));
  std::string insert = "INSERT INTO rows VALUES (?, ?";
  for (size_t i = 1; i < columns.size(); ++i) insert += ", ?";
  insert += ")";
  rc = sqlite3_prepare_v2(db, insert.c_str(), -1, &w->insert_, nullptr);
  if (rc != SQLITE_OK) return Error(db, rc, "preparing insert");
  return w;
}

Status KeyIndexWriter::AddRow(int64_t pos, const std::vector<KeyIndexValue>& values) {
  if (values.size() != columns_.size()) return InvalidArgument("key index: wrong number of values");
  if (values[key_index_].is_null) return Status::OK();
  int rc = sqlite3_reset(insert_);
  const KeyIndexValue& key = values[key_index_];
  if (columns_[key_index_].storage == KeyIndexStorage::kInteger) {
    rc = sqlite3_bind_int64(insert_, 1, key.integer);
  } else {
    rc = sqlite3_bind_text(insert_, 1, key.bytes.data(), static_cast<int>(key.bytes.size()), SQLITE_STATIC);
  }
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(insert_, 2, pos);
  for (size_t i = 0; i < values.size() && rc == SQLITE_OK; ++i) {
    if (i == key_index_) continue;
    const KeyIndexValue& v = values[i];
    const int index = static_cast<int>(i < key_index_ ? i : i - 1) + 3;
    if (v.is_null) {
      rc = sqlite3_bind_null(insert_, index);
      continue;
    }
    switch (columns_[i].storage) {
      case KeyIndexStorage::kInteger: rc = sqlite3_bind_int64(insert_, index, v.integer); break;
      case KeyIndexStorage::kReal:
        if (std::isnan(v.real)) {
          rc = sqlite3_bind_blob(insert_, index, &v.real, sizeof v.real, SQLITE_TRANSIENT);
        } else {
          rc = sqlite3_bind_double(insert_, index, v.real);
        }
        break;
      case KeyIndexStorage::kText:
        rc = sqlite3_bind_text(insert_, index, v.bytes.data(), static_cast<int>(v.bytes.size()), SQLITE_STATIC);
        break;
      case KeyIndexStorage::kBlob:
        rc = sqlite3_bind_blob(insert_, index, v.bytes.data(), static_cast<int>(v.bytes.size()), SQLITE_STATIC);
        break;
    }
  }
  if (rc != SQLITE_OK) return Error(db_, rc, "binding a row");
  rc = sqlite3_step(insert_);
  if (rc != SQLITE_DONE) return Error(db_, rc, "adding a row");
  return Status::OK();
}

Status KeyIndexWriter::Finish(int64_t record_count) {
  MEDLAKE_RETURN_IF_ERROR(Exec(db_, "INSERT INTO meta VALUES ('record_count', '" + std::to_string(record_count) +
                                        "'); COMMIT"));
  sqlite3_finalize(insert_);
  insert_ = nullptr;
  int rc = sqlite3_close_v2(db_);
  db_ = nullptr;
  if (rc != SQLITE_OK) return Error(nullptr, rc, "closing " + temp_path_);
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) return IOError("key index: renaming into " + path_);
  finished_ = true;
  return Status::OK();
}

bool KeyIndexReader::Unlinked() const {
  if (auto unlinked = RandomMapFileUnlinked(db_)) return *unlinked;
  return ::access(path_.c_str(), F_OK) != 0;
}

KeyIndexReader::~KeyIndexReader() {
  sqlite3_finalize(lookup_);
  for (auto& kept : kept_lookups_) sqlite3_finalize(kept.second);
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<KeyIndexReader>> KeyIndexReader::Open(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) return NotFound("key index: no " + path);
  sqlite3* db = nullptr;
  // Immutable: the file never changes once renamed into place, so SQLite takes no locks.
  std::string uri = "file:" + path + "?immutable=1";
  int rc = sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                           RandomMapVfsName());
  std::unique_ptr<KeyIndexReader> r(new KeyIndexReader(db, path));
  if (rc != SQLITE_OK) return Error(db, rc, "opening " + path);
  // Pages are read through a memory map rather than a pread each (a lookup touches a few
  // random leaf pages); safe because the file never changes. The VFS (random_map_vfs.h) maps
  // the whole file advised for random access, so a cold lookup reads the pages it touches and
  // not the kernel's read-around of each; a non-zero mmap_size is what makes SQLite use it.
  rc = sqlite3_exec(db, "PRAGMA mmap_size = 2147418112", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(db, rc, "mapping " + path);
  // One read transaction for the reader's life: each lookup would otherwise begin and end its
  // own (the pager's shared state set up and torn down per lookup), for a file that never changes.
  rc = sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(db, rc, "reading " + path);
  sqlite3_stmt* st = nullptr;
  rc = sqlite3_prepare_v2(db, "SELECT name, value FROM meta", -1, &st, nullptr);
  if (rc != SQLITE_OK) return Error(db, rc == SQLITE_ERROR ? SQLITE_NOTADB : rc, "reading " + path);
  std::map<std::string, std::string> meta;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const auto* n = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    const auto* v = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    if (n != nullptr && v != nullptr) meta[n] = v;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return Error(db, rc, "reading " + path);
  auto corrupt = [&](const std::string& what) { return DataLoss("key index " + path + ": " + what); };
  if (meta["format"] != kFormatVersion && meta["format"] != "1") {
    return corrupt("unknown format '" + meta["format"] + "'");
  }
  if (!meta.count("record_count")) return corrupt("unfinished");
  r->record_count_ = std::strtoll(meta["record_count"].c_str(), nullptr, 10);
  r->key_field_id_ = std::atoi(meta["key_field"].c_str());
  auto key = meta["key_storage"].empty() ? std::nullopt : StorageFromCode(meta["key_storage"][0]);
  if (!key) return corrupt("bad key storage");
  r->key_storage_ = *key;
  std::stringstream columns(meta["columns"]);
  for (std::string item; std::getline(columns, item, ',');) {
    size_t a = item.find(':'), b = item.rfind(':');
    if (a == std::string::npos || b == a || b + 2 != item.size()) return corrupt("bad column list");
    auto s = StorageFromCode(item[b + 1]);
    if (!s) return corrupt("bad column storage");
    r->columns_.push_back(KeyIndexColumn{std::atoi(item.substr(0, a).c_str()), item.substr(a + 1, b - a - 1), *s});
  }
  std::stringstream fields(meta["schema_fields"]);
  for (std::string item; std::getline(fields, item, ',');) r->schema_field_ids_.push_back(std::atoi(item.c_str()));
  if (r->ColumnOf(r->key_field_id_) < 0) return corrupt("key column not stored");
  if (meta["format"] == "1") {
    for (const auto& c : r->columns_) {
      if (c.storage == KeyIndexStorage::kReal) return corrupt("format 1 may have stored NaN as NULL: rebuild it");
    }
  }
  // The key range: the first and the last entry of the B-tree (two short descents).
  r->range_.storage = r->key_storage_;
  for (const bool first : {true, false}) {
    const char* sql = first ? "SELECT k FROM rows ORDER BY k LIMIT 1" : "SELECT k FROM rows ORDER BY k DESC LIMIT 1";
    rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    if (rc != SQLITE_OK) return Error(db, rc == SQLITE_ERROR ? SQLITE_NOTADB : rc, "reading " + path);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      r->range_.has_rows = true;
      if (r->key_storage_ == KeyIndexStorage::kInteger) {
        (first ? r->range_.min_integer : r->range_.max_integer) = sqlite3_column_int64(st, 0);
      } else {
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        (first ? r->range_.min_text : r->range_.max_text) =
            std::string(t != nullptr ? t : "", static_cast<size_t>(sqlite3_column_bytes(st, 0)));
      }
      rc = SQLITE_DONE;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return Error(db, rc, "reading " + path);
  }
  RememberRange(path, r->range_);
  return r;
}

bool KeyIndexRange::MayHold(std::string_view key) const {
  if (!has_rows) return false;
  if (storage == KeyIndexStorage::kInteger) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), v);
    if (ec != std::errc() || end != key.data() + key.size()) return true;
    return v >= min_integer && v <= max_integer;
  }
  // SQLite's BINARY collation: bytes compared as unsigned, shorter first on a common prefix,
  // which is std::string_view's ordering.
  return key >= min_text && key <= max_text;
}

std::shared_ptr<const KeyIndexRange> RememberedKeyIndexRange(const std::string& path) {
  std::lock_guard<std::mutex> lock(RangesMutex());
  auto it = Ranges().find(path);
  return it == Ranges().end() ? nullptr : it->second;
}

int KeyIndexReader::ColumnOf(int field_id) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].field_id == field_id) return static_cast<int>(i);
  }
  return -1;
}

Status KeyIndexReader::Lookup(std::string_view key, const std::vector<int>& column_positions) {
  if (lookup_ == nullptr || column_positions != lookup_columns_) {
    // The current statement is kept (reset: an unfinished one would hold its read open).
    auto keep_current = [&] {
      if (lookup_ == nullptr) return;
      sqlite3_reset(lookup_);
      kept_lookups_.emplace_back(std::move(lookup_columns_), lookup_);
      lookup_ = nullptr;
      lookup_columns_.clear();
      if (kept_lookups_.size() > kKeptLookups) {
        sqlite3_finalize(kept_lookups_.front().second);
        kept_lookups_.erase(kept_lookups_.begin());
      }
    };
    auto kept = std::find_if(kept_lookups_.begin(), kept_lookups_.end(),
                             [&](const auto& k) { return k.first == column_positions; });
    if (kept != kept_lookups_.end()) {
      auto [columns, stmt] = std::move(*kept);
      kept_lookups_.erase(kept);
      keep_current();
      lookup_ = stmt;
      lookup_columns_ = std::move(columns);
    } else {
      keep_current();
      std::string sql = "SELECT pos";
      for (int p : column_positions) {
        if (p < 0 || static_cast<size_t>(p) >= columns_.size()) return InvalidArgument("key index: no such column");
        sql += ", " + (p == ColumnOf(key_field_id_) ? std::string("k") : Column(static_cast<size_t>(p)));
      }
      sql += " FROM rows WHERE k = ? ORDER BY pos";
      sqlite3_stmt* stmt = nullptr;
      int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
      if (rc != SQLITE_OK) return Error(db_, rc, "preparing a lookup");
      lookup_ = stmt;
      lookup_columns_ = column_positions;
    }
  }
  sqlite3_reset(lookup_);
  int rc = SQLITE_OK;
  if (key_storage_ == KeyIndexStorage::kInteger) {
    char* end = nullptr;
    std::string text(key);
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0') return InvalidArgument("key index: not an integer key");
    rc = sqlite3_bind_int64(lookup_, 1, v);
  } else {
    rc = sqlite3_bind_text(lookup_, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  }
  if (rc != SQLITE_OK) return Error(db_, rc, "binding a key");
  return Status::OK();
}

Result<bool> KeyIndexReader::Next(int64_t* pos, std::vector<KeyIndexValue>* values) {
  if (lookup_ == nullptr) return FailedPrecondition("key index: no lookup started");
  int rc = sqlite3_step(lookup_);
  if (rc == SQLITE_DONE) return false;
  if (rc != SQLITE_ROW) return Error(db_, rc, "reading a row");
  *pos = sqlite3_column_int64(lookup_, 0);
  values->resize(lookup_columns_.size());
  for (size_t i = 0; i < lookup_columns_.size(); ++i) {
    const int c = static_cast<int>(i) + 1;
    KeyIndexValue& v = (*values)[i];
    v = KeyIndexValue{};
    switch (sqlite3_column_type(lookup_, c)) {
      case SQLITE_NULL: break;
      case SQLITE_INTEGER:
        v.is_null = false;
        v.integer = sqlite3_column_int64(lookup_, c);
        v.real = static_cast<double>(v.integer);
        break;
      case SQLITE_FLOAT:
        v.is_null = false;
        v.real = sqlite3_column_double(lookup_, c);
        break;
      case SQLITE_TEXT: {
        v.is_null = false;
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(lookup_, c));
        v.bytes = std::string_view(t, static_cast<size_t>(sqlite3_column_bytes(lookup_, c)));
        break;
      }
      default: {
        v.is_null = false;
        const auto* b = static_cast<const char*>(sqlite3_column_blob(lookup_, c));
        v.bytes = std::string_view(b, static_cast<size_t>(sqlite3_column_bytes(lookup_, c)));
        // A NaN of a REAL column: the double's bytes.
        const auto at = static_cast<size_t>(lookup_columns_[i]);
        if (at < columns_.size() && columns_[at].storage == KeyIndexStorage::kReal && v.bytes.size() == sizeof v.real) {
          std::memcpy(&v.real, v.bytes.data(), sizeof v.real);
        }
        break;
      }
    }
  }
  return true;
}

KeyIndexReaderPool& KeyIndexReaderPool::Default() {
  // Checked for deleted files at most once a second per reader: a stat per lookup cost ~3% of
  // a server's point query. A reader of a deleted file is only ever asked for by a query still
  // planned over it (files never change in place; a snapshot no longer naming a file never
  // leads to it), so the check only gives the space back, a second later at most.
  static KeyIndexReaderPool* pool = new KeyIndexReaderPool(256, std::chrono::seconds(1));
  return *pool;
}

Result<std::unique_ptr<KeyIndexReader>> KeyIndexReaderPool::Acquire(const std::string& path) {
  std::unique_ptr<KeyIndexReader> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(path);
    if (it != idle_.end()) {
      idle = std::move(it->second.back());
      it->second.pop_back();
      --idle_count_;
      if (it->second.empty()) idle_.erase(it);
    }
  }
  // A key index deleted since (its data file expired) is let go, so that its space comes back:
  // asked once per recheck interval of each reader, of its own descriptor (an fstat), and
  // outside the lock, which every lookup of every session takes.
  if (idle) {
    const auto now = std::chrono::steady_clock::now();
    if (now - idle->in_place_at_ < recheck_) return idle;
    if (!idle->Unlinked()) {
      idle->in_place_at_ = now;
      return idle;
    }
  }
  return KeyIndexReader::Open(path);
}

void KeyIndexReaderPool::Release(const std::string& path, std::unique_ptr<KeyIndexReader> reader) {
  std::vector<std::unique_ptr<KeyIndexReader>> evicted;  // closed outside the lock
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_[path].push_back(std::move(reader));
    order_.push_back(path);
    ++idle_count_;
    while (idle_count_ > max_idle_ && !order_.empty()) {
      auto it = idle_.find(order_.front());
      order_.pop_front();
      if (it == idle_.end()) continue;
      evicted.push_back(std::move(it->second.front()));
      it->second.erase(it->second.begin());
      --idle_count_;
      if (it->second.empty()) idle_.erase(it);
    }
    // `order_` may name readers acquired since; keep it from growing without bound.
    if (order_.size() > 4 * max_idle_ + 16) {
      std::deque<std::string> fresh;
      for (const auto& [p, readers] : idle_) {
        for (size_t i = 0; i < readers.size(); ++i) fresh.push_back(p);
      }
      order_ = std::move(fresh);
    }
  }
}

size_t KeyIndexReaderPool::idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_count_;
}

Result<PooledKeyIndexReader> BorrowKeyIndexReader(const std::string& path, KeyIndexReaderPool& pool) {
  MEDLAKE_ASSIGN_OR_RETURN(auto reader, pool.Acquire(path));
  return PooledKeyIndexReader(pool, path, std::move(reader));
}

KeyIndexPrefetcher::KeyIndexPrefetcher(int threads, size_t max_queued, KeyIndexReaderPool& pool)
    : threads_(threads), max_queued_(max_queued), pool_(pool) {}

KeyIndexPrefetcher::~KeyIndexPrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

KeyIndexPrefetcher& KeyIndexPrefetcher::Default() {
  // Lookups wait on the disk, not the CPU: a few more threads than cores keep reads in flight.
  static KeyIndexPrefetcher* prefetcher = new KeyIndexPrefetcher(4, 256, KeyIndexReaderPool::Default());
  return *prefetcher;
}

bool KeyIndexPrefetcher::Admit() {
  std::lock_guard<std::mutex> lock(mu_);
  if (warm_streak_ < kWarmStreak) return true;
  return ++batches_ % kProbeEvery == 0;
}

bool KeyIndexPrefetcher::Prefetch(std::string path, std::string key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || queue_.size() >= max_queued_) return false;
    if (workers_.empty()) {
      for (int i = 0; i < threads_; ++i) workers_.emplace_back([this] { Work(); });
    }
    queue_.emplace_back(std::move(path), std::move(key));
  }
  wake_.notify_one();
  return true;
}

void KeyIndexPrefetcher::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

uint64_t KeyIndexPrefetcher::completed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return completed_;
}

void KeyIndexPrefetcher::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    auto [path, key] = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    const int64_t reads_before = BlockReadsOfThisThread();
    if (auto reader = BorrowKeyIndexReader(path, pool_); reader.ok()) {
      if ((*reader)->range().MayHold(key) && (*reader)->Lookup(key, {}).ok()) {
        int64_t pos = 0;
        std::vector<KeyIndexValue> values;
        while (true) {
          auto next = (*reader)->Next(&pos, &values);
          if (!next.ok() || !*next) break;
        }
      }
    }
    const bool warm = BlockReadsOfThisThread() == reads_before;
    lock.lock();
    warm_streak_ = warm ? std::min(warm_streak_ + 1, kWarmStreak) : 0;
    --running_;
    ++completed_;
    if (queue_.empty() && running_ == 0) idle_.notify_all();
  }
}

}  // namespace medlake::storage
