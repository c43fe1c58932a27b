#include "storage/file_cache.h"

#include <gtest/gtest.h>

#include <thread>

#include "core/testing/mem_file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"

namespace medlake::storage {
namespace {

// A parse function for string values that counts its calls.
struct CountingParse {
  int calls = 0;
  std::function<Result<std::string>(const std::string&)> fn() {
    return [this](const std::string& bytes) -> Result<std::string> {
      ++calls;
      return "parsed:" + bytes;
    };
  }
};

// Writes `path` again with other bytes, late enough for its modification time to change.
void RewriteLater(LocalFileSystem& fs, const std::string& path, const std::string& bytes) {
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_THAT(fs.WriteFileAtomic(path, bytes), IsOk());
}

TEST(ParsedFileCacheTest, ParsesOnceWhileTheFileIsUnchanged) {
  TempDir dir;
  LocalFileSystem fs;
  ParsedFileCache cache(1 << 20);
  const std::string path = dir.Join("v1.metadata.json");
  ASSERT_THAT(fs.WriteFileAtomic(path, "one"), IsOk());
  CountingParse counting;
  auto parse = counting.fn();
  const int& parses = counting.calls;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto a, cache.Get<std::string>(fs, path, "", parse));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto b, cache.Get<std::string>(fs, path, "", parse));
  EXPECT_EQ(*a, "parsed:one");
  EXPECT_EQ(a.get(), b.get());  // the same shared value
  EXPECT_EQ(parses, 1);
  // Another variant of the same file is parsed separately.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto c, cache.Get<std::string>(fs, path, "spec=1", parse));
  EXPECT_EQ(parses, 2);
  // A file re-created at the same path (a lake deleted and made again) is read again.
  RewriteLater(fs, path, "two!");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto d, cache.Get<std::string>(fs, path, "", parse));
  EXPECT_EQ(*d, "parsed:two!");
  EXPECT_EQ(parses, 3);
  EXPECT_EQ(cache.stats().hits, 1u);
}

TEST(ParsedFileCacheTest, PutRecordsAJustWrittenFileUntilItChanges) {
  TempDir dir;
  LocalFileSystem fs;
  ParsedFileCache cache(1 << 20);
  const std::string path = dir.Join("v2.metadata.json");
  ASSERT_THAT(fs.WriteFileAtomic(path, "text"), IsOk());
  auto written = std::make_shared<const std::string>("as written");
  cache.Put<std::string>(fs, path, "", written, 100);
  CountingParse counting;
  auto parse = counting.fn();
  const int& parses = counting.calls;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto a, cache.Get<std::string>(fs, path, "", parse));
  EXPECT_EQ(a.get(), written.get());
  EXPECT_EQ(parses, 0);
  // Changed on disk since: read again.
  RewriteLater(fs, path, "other");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto b, cache.Get<std::string>(fs, path, "", parse));
  EXPECT_EQ(*b, "parsed:other");
  EXPECT_EQ(parses, 1);
  // A file that does not exist, another file system, or a value over the budget: nothing kept.
  cache.Put<std::string>(fs, dir.Join("missing"), "", written, 100);
  MemFileSystem mem;
  ASSERT_THAT(mem.WriteFileAtomic("/m", "x"), IsOk());
  cache.Put<std::string>(mem, "/m", "", written, 100);
  ASSERT_THAT(fs.WriteFileAtomic(dir.Join("big"), "x"), IsOk());
  cache.Put<std::string>(fs, dir.Join("big"), "", written, uint64_t{1} << 30);
  EXPECT_EQ(cache.stats().entries, 1u);
  // Erase forgets it (its holders keep their value); erasing what is not there does nothing.
  cache.Erase<std::string>(path, "");
  cache.Erase<std::string>(path, "");
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().bytes, 0u);
  EXPECT_EQ(*b, "parsed:other");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto c, cache.Get<std::string>(fs, path, "", parse));
  EXPECT_EQ(parses, 2);
}

TEST(ParsedFileCacheTest, ParseErrorsAndMissingFilesAreNotCached) {
  TempDir dir;
  LocalFileSystem fs;
  ParsedFileCache cache(1 << 20);
  const std::string path = dir.Join("bad.avro");
  ASSERT_THAT(fs.WriteFileAtomic(path, "x"), IsOk());
  int parses = 0;
  auto fail = [&](const std::string&) -> Result<int> {
    ++parses;
    return DataLoss("corrupt");
  };
  EXPECT_THAT(cache.Get<int>(fs, path, "", fail), StatusIs(StatusCode::kDataLoss, "corrupt"));
  EXPECT_THAT(cache.Get<int>(fs, path, "", fail), StatusIs(StatusCode::kDataLoss, "corrupt"));
  EXPECT_EQ(parses, 2);
  EXPECT_THAT(cache.Get<int>(fs, dir.Join("missing"), "", fail), StatusIs(StatusCode::kNotFound, ""));
}

TEST(ParsedFileCacheTest, EvictsLeastRecentlyUsedBeyondTheBudget) {
  TempDir dir;
  LocalFileSystem fs;
  ParsedFileCache cache(3000);  // each 100-byte file costs 656
  int parses = 0;
  auto parse = [&](const std::string& bytes) -> Result<size_t> {
    ++parses;
    return bytes.size();
  };
  for (int i = 0; i < 6; ++i) {
    ASSERT_THAT(fs.WriteFileAtomic(dir.Join(std::to_string(i)), std::string(100, 'x')), IsOk());
    ASSERT_THAT(cache.Get<size_t>(fs, dir.Join(std::to_string(i)), "", parse), IsOk());
  }
  EXPECT_EQ(parses, 6);
  EXPECT_LE(cache.stats().bytes, 3000u);
  EXPECT_EQ(cache.stats().entries, 4u);
  ASSERT_THAT(cache.Get<size_t>(fs, dir.Join("5"), "", parse), IsOk());  // recent: a hit
  EXPECT_EQ(parses, 6);
  ASSERT_THAT(cache.Get<size_t>(fs, dir.Join("0"), "", parse), IsOk());  // evicted: parsed again
  EXPECT_EQ(parses, 7);
}

TEST(ParsedFileCacheTest, OtherFileSystemsAreNeverCached) {
  MemFileSystem fs;
  ParsedFileCache cache(1 << 20);
  ASSERT_THAT(fs.WriteFileAtomic("/lake/f", "a"), IsOk());
  CountingParse counting;
  auto parse = counting.fn();
  const int& parses = counting.calls;
  ASSERT_THAT(cache.Get<std::string>(fs, "/lake/f", "", parse), IsOk());
  ASSERT_THAT(cache.Get<std::string>(fs, "/lake/f", "", parse), IsOk());
  EXPECT_EQ(parses, 2);
}

}  // namespace
}  // namespace medlake::storage
