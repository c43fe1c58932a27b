// storage/sqlite_db.h: a thin RAII wrapper over SQLite for the lake catalog (catalog.db).
//
// Only storage includes sqlite3.h (here and in key_index.cc). Statements bind parameters by position (1-based) and read
// columns by index. Errors: IOError when the file cannot be opened, Aborted when the database is
// busy beyond the timeout (another writer), DataLoss for a corrupt file, Internal otherwise.
//
// Thread-safety: a SqliteDb is used by one thread at a time (open one per thread/process), its
// statements by the same thread.
//
// Prepared statements are kept: when a SqliteStatement is destroyed, its compiled statement is
// reset, its bindings cleared, and it goes back to the SqliteDb, which hands it out again for the
// same SQL text instead of compiling it anew (compiling is most of the cost of a short lookup).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace medlake::storage {

namespace internal {
// The compiled statements a SqliteDb keeps for reuse, by SQL text. Shared with its statements so
// that one outliving the database finalizes itself instead of coming back.
struct StatementCache {
  bool open = true;
  size_t size = 0;
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle;
};
// The shared commit counters behind SqliteDb::DataVersion (defined in sqlite_db.cc).
struct CommitBoard;
struct CommitHookState;
}  // namespace internal

class SqliteStatement {
 public:
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  Status BindText(int index, std::string_view v);
  Status BindInt64(int index, int64_t v);
  Status BindNull(int index);
  // Advances to the next row: true if a row is available, false when done.
  Result<bool> Step();
  // Runs to completion, ignoring rows.
  Status Run();
  Status Reset();

  std::optional<std::string> ColumnText(int column) const;  // nullopt for NULL
  int64_t ColumnInt64(int column) const;

  // With a cache, the statement returns there (under `sql`) when destroyed.
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, std::shared_ptr<internal::StatementCache> cache = nullptr,
                  std::string sql = {})
      : db_(db), stmt_(stmt), cache_(std::move(cache)), sql_(std::move(sql)) {}

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::shared_ptr<internal::StatementCache> cache_;
  std::string sql_;
};

class SqliteDb {
 public:
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Opens (creating if `create`) the database at `path` in WAL mode with a busy timeout.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, bool create);

  Status Execute(std::string_view sql);
  Result<std::unique_ptr<SqliteStatement>> Prepare(std::string_view sql);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  // SQLite's `PRAGMA data_version` for this connection: it moves whenever another connection (of
  // this or another process) commits to the database. Cheap when nothing changed: every commit
  // made through a SqliteDb counts itself on a small board shared by all of them (the file
  // `<path>-commits`, memory-mapped): one counter moves before the commit, another after it.
  // While both stay where they were at the last PRAGMA, the PRAGMA's answer still holds and no
  // system call is made. The PRAGMA runs again when the board moved, when a commit is under way
  // or was cut short (the counters differ: a crashed writer leaves them so, and every call
  // then asks SQLite, as without a board), and at least every `recheck` otherwise (for a
  // program that writes the file without SqliteDb, e.g. the sqlite3 shell).
  Result<int64_t> DataVersion();
  // PRAGMAs DataVersion ran (for tests).
  uint64_t data_version_queries() const { return data_version_queries_; }
  static constexpr std::chrono::milliseconds kDataVersionRecheck{100};
  // Compiled statements waiting for reuse (at most kMaxKeptStatements).
  size_t KeptStatements() const { return cache_->size; }
  static constexpr size_t kMaxKeptStatements = 64;

  explicit SqliteDb(sqlite3* db);

 private:
  // Counts this connection's commits on `board_` (SQLite's commit, WAL and rollback hooks).
  void WatchCommits(const std::string& path);

  sqlite3* db_;
  std::shared_ptr<internal::StatementCache> cache_;
  std::shared_ptr<internal::CommitBoard> board_;          // null: none could be mapped
  std::unique_ptr<internal::CommitHookState> hook_state_;  // stable address for the hooks
  std::unique_ptr<SqliteStatement> data_version_;
  int64_t version_ = -1;
  std::optional<uint64_t> version_commits_;  // the board's count the version was read at
  std::chrono::steady_clock::time_point version_read_at_{};
  uint64_t data_version_queries_ = 0;
};

}  // namespace medlake::storage
