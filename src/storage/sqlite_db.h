// storage/sqlite_db.h: a thin RAII wrapper over SQLite for the lake catalog (catalog.db).
//
// Only storage includes sqlite3.h (here and in key_index.cc). Statements bind parameters by position (1-based) and read
// columns by index. Errors: IOError when the file cannot be opened, Aborted when the database is
// busy beyond the timeout (another writer), DataLoss for a corrupt file, Internal otherwise.
//
// Thread-safety: a SqliteDb is used by one thread at a time (open one per thread/process).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace medlake::storage {

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

  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
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

  explicit SqliteDb(sqlite3* db) : db_(db) {}

 private:
  sqlite3* db_;
};

}  // namespace medlake::storage
