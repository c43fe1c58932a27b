#include "core/file_system.h"

#include <gtest/gtest.h>

#include <memory>

#include "core/testing/mem_file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"

namespace medlake {
namespace {

// The same contract must hold for the real and the in-memory file system.
void ExerciseContract(FileSystem& fs, const std::string& root) {
  std::string dir = JoinPath(root, "a/b");
  MEDLAKE_ASSERT_OK(fs.CreateDirectories(dir));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(bool is_dir, fs.IsDirectory(dir));
  EXPECT_TRUE(is_dir);

  std::string f = JoinPath(dir, "x.txt");
  EXPECT_THAT(fs.ReadFile(f), StatusIs(StatusCode::kNotFound, "x.txt"));
  MEDLAKE_ASSERT_OK(fs.WriteFileAtomic(f, "hello"));
  MEDLAKE_ASSERT_OK(fs.WriteFileAtomic(f, "hello world"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string data, fs.ReadFile(f));
  EXPECT_EQ(data, "hello world");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(uint64_t size, fs.FileSize(f));
  EXPECT_EQ(size, 11u);

  EXPECT_THAT(fs.WriteFileExclusive(f, "again"), StatusIs(StatusCode::kAlreadyExists, ""));
  // Every sync mode writes the same bytes and keeps the exclusive and atomic contracts; only
  // when the data and directory entry reach the disk differs.
  for (WriteSync sync : {WriteSync::kDataOnly, WriteSync::kNone}) {
    EXPECT_THAT(fs.WriteFileExclusive(f, "again", sync), StatusIs(StatusCode::kAlreadyExists, ""));
    std::string g = JoinPath(dir, sync == WriteSync::kNone ? "n.txt" : "d.txt");
    MEDLAKE_ASSERT_OK(fs.WriteFileExclusive(g, "first", sync));
    MEDLAKE_ASSERT_OK(fs.WriteFileAtomic(g, "second", sync));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string back, fs.ReadFile(g));
    EXPECT_EQ(back, "second");
    MEDLAKE_ASSERT_OK(fs.Remove(g));
  }
  MEDLAKE_ASSERT_OK(fs.SyncDirectory(dir));
  MEDLAKE_ASSERT_OK(fs.WriteFileExclusive(JoinPath(dir, "y.txt"), "y"));

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto appender, fs.OpenForAppend(JoinPath(dir, "log")));
  MEDLAKE_ASSERT_OK(appender->Append("one\n"));
  MEDLAKE_ASSERT_OK(appender->Append("two\n"));
  MEDLAKE_ASSERT_OK(appender->Sync());
  MEDLAKE_ASSERT_OK(appender->Close());

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto reader, fs.OpenForRead(JoinPath(dir, "log")));
  std::string piece;
  MEDLAKE_ASSERT_OK(reader->Read(4, 100, &piece));
  EXPECT_EQ(piece, "two\n");

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto entries, fs.ListDirectory(dir));
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "log");
  EXPECT_EQ(entries[1].name, "x.txt");
  EXPECT_EQ(entries[2].name, "y.txt");

  MEDLAKE_ASSERT_OK(fs.Rename(JoinPath(dir, "y.txt"), JoinPath(dir, "z.txt")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(bool y_exists, fs.Exists(JoinPath(dir, "y.txt")));
  EXPECT_FALSE(y_exists);
  MEDLAKE_ASSERT_OK(fs.Remove(JoinPath(dir, "z.txt")));
  EXPECT_THAT(fs.Remove(JoinPath(dir, "z.txt")), StatusIs(StatusCode::kNotFound, ""));
}

TEST(FileSystemTest, LocalFileSystemContract) {
  TempDir tmp;
  ExerciseContract(LocalFileSystem::Default(), tmp.path());
}

TEST(FileSystemTest, MemFileSystemContract) {
  MemFileSystem fs;
  ExerciseContract(fs, "/mem");
}

TEST(FileSystemTest, SyncingAMissingDirectoryFails) {
  TempDir tmp;
  EXPECT_THAT(LocalFileSystem::Default().SyncDirectory(tmp.Join("missing")),
              StatusIs(StatusCode::kNotFound, "missing"));
}

TEST(FileSystemTest, AtomicWriteLeavesNoTemporaryFiles) {
  TempDir tmp;
  auto& fs = LocalFileSystem::Default();
  MEDLAKE_ASSERT_OK(fs.WriteFileAtomic(tmp.Join("f"), "1"));
  MEDLAKE_ASSERT_OK(fs.WriteFileAtomic(tmp.Join("f"), "2"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto entries, fs.ListDirectory(tmp.path()));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "f");
}

TEST(FileSystemTest, MemCrashDropsUnsyncedAppends) {
  MemFileSystem fs;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto f, fs.OpenForAppend("/wal"));
  MEDLAKE_ASSERT_OK(f->Append("durable"));
  MEDLAKE_ASSERT_OK(f->Sync());
  MEDLAKE_ASSERT_OK(f->Append("-lost"));
  fs.SimulateCrash();
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string data, fs.ReadFile("/wal"));
  EXPECT_EQ(data, "durable");
}

TEST(FileSystemTest, MemInjectedWriteFailure) {
  MemFileSystem fs;
  fs.FailNextWrites(1);
  EXPECT_THAT(fs.WriteFileAtomic("/x", "1"), StatusIs(StatusCode::kIOError, "injected"));
  MEDLAKE_EXPECT_OK(fs.WriteFileAtomic("/x", "1"));
}

TEST(PathTest, JoinDirnameBasename) {
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(JoinPath("a", "/abs"), "/abs");
  EXPECT_EQ(Dirname("/x/y/z.txt"), "/x/y");
  EXPECT_EQ(Dirname("z.txt"), ".");
  EXPECT_EQ(Basename("/x/y/z.txt"), "z.txt");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string abs, AbsolutePath("/a/./b/../c/"));
  EXPECT_EQ(abs, "/a/c");
}

}  // namespace
}  // namespace medlake
