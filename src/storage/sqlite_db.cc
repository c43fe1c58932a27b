#include "storage/sqlite_db.h"

#include <sqlite3.h>

namespace medlake::storage {
namespace {
Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Aborted(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return DataLoss(std::move(msg));
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY: return IOError(std::move(msg));
    case SQLITE_CONSTRAINT: return AlreadyExists(std::move(msg));
    default: return Internal(std::move(msg));
  }
}
}  // namespace

SqliteStatement::~SqliteStatement() {
  if (!cache_ || !cache_->open) {
    sqlite3_finalize(stmt_);
    return;
  }
  // Full: one kept statement makes room (statements prepared once, with literals in their
  // text, must not crowd out those prepared on every request).
  if (cache_->size >= SqliteDb::kMaxKeptStatements) {
    auto victim = cache_->idle.begin();
    sqlite3_finalize(victim->second.back());
    victim->second.pop_back();
    if (victim->second.empty()) cache_->idle.erase(victim);
    --cache_->size;
  }
  // Ends any read the statement holds open (a WAL snapshot) before it waits for reuse.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  cache_->idle[sql_].push_back(stmt_);
  ++cache_->size;
}

Status SqliteStatement::BindText(int index, std::string_view v) {
  int rc = sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return rc == SQLITE_OK ? Status::OK() : SqliteError(db_, rc, "binding");
}
Status SqliteStatement::BindInt64(int index, int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, index, v);
  return rc == SQLITE_OK ? Status::OK() : SqliteError(db_, rc, "binding");
}
Status SqliteStatement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  return rc == SQLITE_OK ? Status::OK() : SqliteError(db_, rc, "binding");
}

Result<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, "catalog statement");
}

Status SqliteStatement::Run() {
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::OK();
  }
}

Status SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  return Status::OK();
}

std::optional<std::string> SqliteStatement::ColumnText(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  const unsigned char* t = sqlite3_column_text(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(n));
}

int64_t SqliteStatement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

SqliteDb::~SqliteDb() {
  cache_->open = false;
  for (auto& [sql, stmts] : cache_->idle) {
    for (sqlite3_stmt* stmt : stmts) sqlite3_finalize(stmt);
  }
  cache_->idle.clear();
  cache_->size = 0;
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(db, rc, "opening catalog " + path);
    sqlite3_close_v2(db);
    return s;
  }
  auto out = std::make_unique<SqliteDb>(db);
  sqlite3_busy_timeout(db, 10000);
  // WAL lets readers proceed while one writer commits; FULL sync makes a commit durable.
  MEDLAKE_RETURN_IF_ERROR(out->Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
  return out;
}

Status SqliteDb::Execute(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    Status s = SqliteError(db_, rc, "catalog");
    return Status(s.code(), "catalog: " + msg);
  }
  return Status::OK();
}

Result<std::unique_ptr<SqliteStatement>> SqliteDb::Prepare(std::string_view sql) {
  std::string text(sql);
  auto kept = cache_->idle.find(text);
  if (kept != cache_->idle.end() && !kept->second.empty()) {
    sqlite3_stmt* stmt = kept->second.back();
    kept->second.pop_back();
    if (kept->second.empty()) cache_->idle.erase(kept);
    --cache_->size;
    return std::make_unique<SqliteStatement>(db_, stmt, cache_, std::move(text));
  }
  sqlite3_stmt* stmt = nullptr;
  // SQLite recompiles a kept statement by itself when the schema changes.
  int rc = sqlite3_prepare_v3(db_, text.data(), static_cast<int>(text.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "preparing catalog statement");
  if (stmt == nullptr) return std::make_unique<SqliteStatement>(db_, stmt);  // only comments or spaces
  return std::make_unique<SqliteStatement>(db_, stmt, cache_, std::move(text));
}

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

}  // namespace medlake::storage
