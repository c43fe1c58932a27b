#include "storage/sqlite_db.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>

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

namespace internal {

// Two counters in a shared mapping of `<db>-commits`: `begun` moves before a commit, `ended`
// after it (or after the rollback of a commit that failed). Mapped once per process and path.
struct CommitBoard {
  static constexpr size_t kBytes = 64;
  ~CommitBoard() {
    if (words != nullptr) ::munmap(words, kBytes);
  }
  std::atomic_ref<uint64_t> begun() const { return std::atomic_ref<uint64_t>(words[0]); }
  std::atomic_ref<uint64_t> ended() const { return std::atomic_ref<uint64_t>(words[1]); }
  uint64_t* words = nullptr;
};

struct CommitHookState {
  CommitBoard* board = nullptr;
  bool pending = false;  // `begun` moved for a commit whose end is not counted yet
};

}  // namespace internal

namespace {

using internal::CommitBoard;
using internal::CommitHookState;

std::shared_ptr<CommitBoard> MapCommitBoard(const std::string& db_path) {
  static std::mutex mu;
  static auto* boards = new std::map<std::string, std::weak_ptr<CommitBoard>>();
  std::lock_guard<std::mutex> lock(mu);
  if (auto kept = (*boards)[db_path].lock()) return kept;
  // Boards no longer in use (their databases closed) leave the map as new ones come.
  for (auto it = boards->begin(); it != boards->end();) {
    it = it->second.expired() && it->first != db_path ? boards->erase(it) : std::next(it);
  }
  const std::string path = db_path + "-commits";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return nullptr;
  struct stat st {};
  // Zero-filled by ftruncate; two processes growing it at once both grow it to the same size.
  bool ok = ::fstat(fd, &st) == 0 &&
            (st.st_size >= static_cast<off_t>(CommitBoard::kBytes) ||
             ::ftruncate(fd, static_cast<off_t>(CommitBoard::kBytes)) == 0);
  void* map = ok ? ::mmap(nullptr, CommitBoard::kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (map == MAP_FAILED) return nullptr;
  auto board = std::make_shared<CommitBoard>();
  board->words = static_cast<uint64_t*>(map);
  (*boards)[db_path] = board;
  return board;
}

int OnCommit(void* arg) {
  auto* state = static_cast<CommitHookState*>(arg);
  // A COMMIT retried after SQLITE_BUSY comes here again for the same commit: counted once.
  if (!state->pending) {
    state->pending = true;
    state->board->begun().fetch_add(1);
  }
  return 0;  // go on with the commit
}

void EndPending(CommitHookState* state) {
  if (state->pending) {
    state->pending = false;
    state->board->ended().fetch_add(1);
  }
}

void OnRollback(void* arg) { EndPending(static_cast<CommitHookState*>(arg)); }

int OnWalCommit(void* arg, sqlite3* db, const char* schema, int frames) {
  EndPending(static_cast<CommitHookState*>(arg));
  // A WAL hook replaces SQLite's automatic checkpoint: do what it did (a passive checkpoint
  // once the log holds 1000 pages).
  if (frames >= 1000) (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  return SQLITE_OK;
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

SqliteDb::SqliteDb(sqlite3* db) : db_(db), cache_(std::make_shared<internal::StatementCache>()) {}

SqliteDb::~SqliteDb() {
  data_version_.reset();
  if (hook_state_) {
    sqlite3_commit_hook(db_, nullptr, nullptr);
    sqlite3_rollback_hook(db_, nullptr, nullptr);
    sqlite3_wal_hook(db_, nullptr, nullptr);
    EndPending(hook_state_.get());  // a commit left failed: SQLite rolls it back at close
  }
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
  out->WatchCommits(path);
  return out;
}

void SqliteDb::WatchCommits(const std::string& path) {
  // Only in WAL mode does SQLite call the WAL hook after each commit (an in-memory or otherwise
  // journaled database keeps the PRAGMA path).
  sqlite3_stmt* mode = nullptr;  // not kept: asked once per connection
  bool wal = false;
  if (sqlite3_prepare_v2(db_, "PRAGMA journal_mode", -1, &mode, nullptr) == SQLITE_OK &&
      sqlite3_step(mode) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(mode, 0);
    wal = text != nullptr && std::string_view(reinterpret_cast<const char*>(text)) == "wal";
  }
  sqlite3_finalize(mode);
  if (!wal) return;
  board_ = MapCommitBoard(path);
  if (!board_) return;
  hook_state_ = std::make_unique<CommitHookState>();
  hook_state_->board = board_.get();
  sqlite3_commit_hook(db_, OnCommit, hook_state_.get());
  sqlite3_rollback_hook(db_, OnRollback, hook_state_.get());
  sqlite3_wal_hook(db_, OnWalCommit, hook_state_.get());
}

Result<int64_t> SqliteDb::DataVersion() {
  const auto now = std::chrono::steady_clock::now();
  std::optional<uint64_t> settled;  // the board's count, if no commit is under way
  if (board_) {
    const uint64_t begun = board_->begun().load();
    const uint64_t ended = board_->ended().load();
    if (begun == ended) settled = begun;
  }
  if (settled && version_commits_ == settled && now - version_read_at_ < kDataVersionRecheck) return version_;
  // The board is read before the PRAGMA: a commit that ends in between moves it again, so the
  // next call asks once more.
  if (!data_version_) {
    MEDLAKE_ASSIGN_OR_RETURN(data_version_, Prepare("PRAGMA data_version"));
  }
  MEDLAKE_RETURN_IF_ERROR(data_version_->Reset());
  MEDLAKE_ASSIGN_OR_RETURN(bool row, data_version_->Step());
  const int64_t version = row ? data_version_->ColumnInt64(0) : -1;
  MEDLAKE_RETURN_IF_ERROR(data_version_->Reset());
  ++data_version_queries_;
  version_ = version;
  version_commits_ = settled;
  version_read_at_ = now;
  return version;
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
