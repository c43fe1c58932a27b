#include "storage/sqlite_db.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"

namespace medlake::storage {
namespace {

class SqliteDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(db_, SqliteDb::Open(tmp_.Join("t.db"), true));
    MEDLAKE_ASSERT_OK(db_->Execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER);"
                           "INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3);"));
  }
  // The values of `v` for k >= `from`, with a statement prepared from `sql`.
  std::vector<int64_t> Values(const std::string& sql, const std::optional<std::string>& from) {
    auto s = db_->Prepare(sql);
    EXPECT_TRUE(s.ok());
    if (!s.ok()) return {};
    if (from) {
      EXPECT_TRUE((*s)->BindText(1, *from).ok());
    }
    std::vector<int64_t> out;
    while (true) {
      auto row = (*s)->Step();
      EXPECT_TRUE(row.ok());
      if (!row.ok() || !*row) break;
      out.push_back((*s)->ColumnInt64(0));
    }
    return out;
  }
  TempDir tmp_;
  std::unique_ptr<SqliteDb> db_;
};

constexpr const char* kFrom = "SELECT v FROM t WHERE k >= ? ORDER BY k";

TEST_F(SqliteDbTest, KeptStatementComesBackResetWithoutItsBindings) {
  EXPECT_EQ(Values(kFrom, "b"), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(db_->KeptStatements(), 1u);
  // Reused: new bindings, and unbound parameters are NULL again (no row is >= NULL).
  EXPECT_EQ(Values(kFrom, "a"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(db_->KeptStatements(), 1u);
  EXPECT_EQ(Values(kFrom, std::nullopt), std::vector<int64_t>{});
  // A statement dropped after one row starts again from the first row.
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto s, db_->Prepare(kFrom));
    EXPECT_EQ(db_->KeptStatements(), 0u);
    MEDLAKE_ASSERT_OK(s->BindText(1, "a"));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(bool row, s->Step());
    ASSERT_TRUE(row);
  }
  EXPECT_EQ(Values(kFrom, "a"), (std::vector<int64_t>{1, 2, 3}));
  // Two statements of one text in use at once are two compiled statements, both kept after.
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto s1, db_->Prepare(kFrom));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto s2, db_->Prepare(kFrom));
    MEDLAKE_ASSERT_OK(s1->BindText(1, "c"));
    MEDLAKE_ASSERT_OK(s2->BindText(1, "a"));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(bool r1, s1->Step());
    MEDLAKE_ASSERT_OK_AND_ASSIGN(bool r2, s2->Step());
    ASSERT_TRUE(r1 && r2);
    EXPECT_EQ(s1->ColumnInt64(0), 3);
    EXPECT_EQ(s2->ColumnInt64(0), 1);
  }
  EXPECT_EQ(db_->KeptStatements(), 2u);
}

TEST_F(SqliteDbTest, KeptStatementsSeeWritesAndSchemaChanges) {
  EXPECT_EQ(Values(kFrom, "c"), (std::vector<int64_t>{3}));
  // A kept statement holds no read snapshot: another connection's commit is seen.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto other, SqliteDb::Open(tmp_.Join("t.db"), false));
  MEDLAKE_ASSERT_OK(other->Execute("INSERT INTO t VALUES ('d', 4)"));
  EXPECT_EQ(Values(kFrom, "c"), (std::vector<int64_t>{3, 4}));
  // SQLite recompiles it when the schema changed under it.
  MEDLAKE_ASSERT_OK(other->Execute("ALTER TABLE t ADD COLUMN w TEXT; CREATE INDEX t_v ON t (v)"));
  EXPECT_EQ(Values(kFrom, "c"), (std::vector<int64_t>{3, 4}));
  MEDLAKE_ASSERT_OK(other->Execute("DROP TABLE t"));
  auto gone = db_->Prepare(kFrom);
  ASSERT_TRUE(gone.ok());  // the kept statement is handed out; its step reports the missing table
  EXPECT_FALSE((*gone)->Step().ok());
}

TEST_F(SqliteDbTest, KeptStatementsAreBoundedAndMayOutliveTheDatabase) {
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(Values("SELECT v FROM t WHERE k = 'a' AND " + std::to_string(i) + " >= 0", std::nullopt),
              std::vector<int64_t>{1});
  }
  EXPECT_EQ(db_->KeptStatements(), SqliteDb::kMaxKeptStatements);
  // The statement prepared on every request is still kept among them.
  EXPECT_EQ(Values(kFrom, "c"), (std::vector<int64_t>{3}));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto s, db_->Prepare(kFrom));
  EXPECT_EQ(db_->KeptStatements(), SqliteDb::kMaxKeptStatements - 1);
  db_.reset();  // s is finalized when it goes, not returned to the closed database
  s.reset();
}

TEST_F(SqliteDbTest, DataVersionMovesWithOtherConnectionsCommitsAndAsksSqliteOnlyThen) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto reader, SqliteDb::Open(tmp_.Join("t.db"), false));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t v0, reader->DataVersion());
  const uint64_t asked = reader->data_version_queries();
  EXPECT_EQ(asked, 1u);
  for (int i = 0; i < 50; ++i) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t v, reader->DataVersion());
    ASSERT_EQ(v, v0);
  }
  EXPECT_EQ(reader->data_version_queries(), asked) << "nothing was committed: SQLite need not be asked";
  // Another connection commits: the next call asks SQLite and sees the new version.
  MEDLAKE_ASSERT_OK(db_->Execute("INSERT INTO t VALUES ('d', 4)"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t v1, reader->DataVersion());
  EXPECT_NE(v1, v0);
  EXPECT_EQ(reader->data_version_queries(), asked + 1);
  // A transaction rolled back is no commit; nor is a read.
  MEDLAKE_ASSERT_OK(db_->Execute("BEGIN IMMEDIATE; INSERT INTO t VALUES ('e', 5); ROLLBACK;"));
  EXPECT_EQ(Values(kFrom, "a").size(), 4u);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t v2, reader->DataVersion());
  EXPECT_EQ(v2, v1);
  EXPECT_EQ(reader->data_version_queries(), asked + 1);
  // A failed commit (a constraint) is no commit either, and leaves the board settled.
  EXPECT_FALSE(db_->Execute("INSERT INTO t VALUES ('a', 9)").ok());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t v3, reader->DataVersion());
  EXPECT_EQ(v3, v1);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v3, reader->DataVersion());
  const uint64_t settled = reader->data_version_queries();
  MEDLAKE_ASSERT_OK_AND_ASSIGN(v3, reader->DataVersion());
  EXPECT_EQ(reader->data_version_queries(), settled);
  // The connection's own commits do not move its version (as SQLite's data_version).
  MEDLAKE_ASSERT_OK(reader->Execute("INSERT INTO t VALUES ('f', 6)"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t v4, reader->DataVersion());
  EXPECT_EQ(v4, v1);
}

TEST_F(SqliteDbTest, DataVersionSeesCommitsOfOtherProcesses) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t v0, db_->DataVersion());
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto writer = SqliteDb::Open(tmp_.Join("t.db"), false);
    ::_exit(writer.ok() && (*writer)->Execute("INSERT INTO t VALUES ('p', 7)").ok() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t v1, db_->DataVersion());
  EXPECT_NE(v1, v0);
  EXPECT_EQ(Values(kFrom, "p"), std::vector<int64_t>{7});
}

TEST_F(SqliteDbTest, DataVersionSeesWritersThatBypassTheBoardWithinTheRecheck) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t v0, db_->DataVersion());
  // The sqlite3 library alone: no commit is counted.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(tmp_.Join("t.db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "INSERT INTO t VALUES ('r', 8)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  std::this_thread::sleep_for(SqliteDb::kDataVersionRecheck + std::chrono::milliseconds(20));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t v1, db_->DataVersion());
  EXPECT_NE(v1, v0);
}

TEST_F(SqliteDbTest, DataVersionAsksEveryTimeWhileACommitIsUnfinished) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t v0, db_->DataVersion());
  // A writer that died between the start and the end of its commit leaves the counters apart.
  const std::string board = tmp_.Join("t.db-commits");
  int fd = ::open(board.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  uint64_t begun = 0;
  ASSERT_EQ(::pread(fd, &begun, sizeof begun, 0), static_cast<ssize_t>(sizeof begun));
  ++begun;
  ASSERT_EQ(::pwrite(fd, &begun, sizeof begun, 0), static_cast<ssize_t>(sizeof begun));
  ::close(fd);
  const uint64_t asked = db_->data_version_queries();
  for (int i = 0; i < 3; ++i) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t v, db_->DataVersion());
    EXPECT_EQ(v, v0);
  }
  EXPECT_EQ(db_->data_version_queries(), asked + 3);
}

}  // namespace
}  // namespace medlake::storage
