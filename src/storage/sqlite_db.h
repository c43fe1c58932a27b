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
  // Compiled statements waiting for reuse (at most kMaxKeptStatements).
  size_t KeptStatements() const { return cache_->size; }
  static constexpr size_t kMaxKeptStatements = 64;

  explicit SqliteDb(sqlite3* db) : db_(db), cache_(std::make_shared<internal::StatementCache>()) {}

 private:
  sqlite3* db_;
  std::shared_ptr<internal::StatementCache> cache_;
};

}  // namespace medlake::storage
