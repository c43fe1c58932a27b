#include "storage/key_index.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <thread>

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "storage/random_map_vfs.h"

namespace medlake::storage {
namespace {

KeyIndexValue Int(int64_t v) {
  KeyIndexValue out;
  out.is_null = false;
  out.integer = v;
  return out;
}
KeyIndexValue Text(std::string_view v) {
  KeyIndexValue out;
  out.is_null = false;
  out.bytes = v;
  return out;
}
KeyIndexValue Real(double v) {
  KeyIndexValue out;
  out.is_null = false;
  out.real = v;
  return out;
}

// The next row of a lookup; false at the end or on an error (reported as a test failure).
bool Row(KeyIndexReader& r, int64_t* pos, std::vector<KeyIndexValue>* v) {
  auto next = r.Next(pos, v);
  EXPECT_THAT(next, IsOk());
  return next.ok() && *next;
}

// Writes a key index of "patients": key (field 1, text), count (2, long), score (3, double).
void WriteSample(const std::string& data_file) {
  auto w = KeyIndexWriter::Create(data_file, {1, "string", KeyIndexStorage::kText},
                                  {{1, "string", KeyIndexStorage::kText},
                                   {2, "long", KeyIndexStorage::kInteger},
                                   {3, "double", KeyIndexStorage::kReal}},
                                  {1, 2, 3, 4});
  ASSERT_THAT(w, IsOk());
  ASSERT_THAT((*w)->AddRow(0, {Text("a"), Int(1), Real(0.5)}), IsOk());
  ASSERT_THAT((*w)->AddRow(1, {Text("b"), Int(2), KeyIndexValue{}}), IsOk());
  ASSERT_THAT((*w)->AddRow(2, {KeyIndexValue{}, Int(3), Real(1)}), IsOk());  // NULL key: not indexed
  ASSERT_THAT((*w)->AddRow(3, {Text("a"), Int(-4), Real(2.25)}), IsOk());
  ASSERT_THAT((*w)->Finish(4), IsOk());
}

// WriteSample's key index in `dir`, opened.
Result<std::unique_ptr<KeyIndexReader>> OpenSample(const TempDir& dir) {
  const std::string data = dir.Join("data-1.parquet");
  WriteSample(data);
  return KeyIndexReader::Open(KeyIndexPath(data));
}

TEST(KeyIndexTest, LooksUpTheRowsOfAKeyInFileOrder) {
  TempDir dir;
  auto r = OpenSample(dir);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ((*r)->record_count(), 4);
  EXPECT_EQ((*r)->key_field_id(), 1);
  EXPECT_EQ((*r)->schema_field_ids(), (std::vector<int>{1, 2, 3, 4}));
  ASSERT_EQ((*r)->columns().size(), 3u);
  EXPECT_EQ((*r)->ColumnOf(3), 2);
  EXPECT_EQ((*r)->ColumnOf(4), -1);

  ASSERT_THAT((*r)->Lookup("a", {2, 1}), IsOk());
  int64_t pos = -1;
  std::vector<KeyIndexValue> v;
  ASSERT_EQ(Row(**r, &pos, &v), true);
  EXPECT_EQ(pos, 0);
  EXPECT_DOUBLE_EQ(v[0].real, 0.5);
  EXPECT_EQ(v[1].integer, 1);
  ASSERT_EQ(Row(**r, &pos, &v), true);
  EXPECT_EQ(pos, 3);
  EXPECT_DOUBLE_EQ(v[0].real, 2.25);
  EXPECT_EQ(v[1].integer, -4);
  EXPECT_EQ(Row(**r, &pos, &v), false);

  ASSERT_THAT((*r)->Lookup("b", {0, 2}), IsOk());
  ASSERT_EQ(Row(**r, &pos, &v), true);
  EXPECT_EQ(v[0].bytes, "b");
  EXPECT_TRUE(v[1].is_null);
  EXPECT_EQ(Row(**r, &pos, &v), false);

  ASSERT_THAT((*r)->Lookup("zzz", {0}), IsOk());
  EXPECT_EQ(Row(**r, &pos, &v), false);
  EXPECT_FALSE((*r)->Lookup("a", {7}).ok());
}

TEST(KeyIndexTest, LookupsOfOtherColumnListsInTurnEachReadTheirOwnRows) {
  // A pooled reader serves the prefetcher (positions only) and statements (their columns) in
  // turn, a lookup sometimes left unfinished; each list's statement is kept, and none leaks.
  TempDir dir;
  auto r = OpenSample(dir);
  ASSERT_THAT(r, IsOk());
  int64_t pos = -1;
  std::vector<KeyIndexValue> v;
  ASSERT_THAT((*r)->Lookup("a", {2, 1}), IsOk());
  ASSERT_EQ(Row(**r, &pos, &v), true);  // left unfinished
  EXPECT_EQ(pos, 0);
  const std::vector<std::vector<int>> lists = {{}, {0}, {1}, {2}, {0, 1}, {2, 1}, {}, {1}, {2, 1}};
  for (int round = 0; round < 2; ++round) {
    for (const auto& list : lists) {
      ASSERT_THAT((*r)->Lookup("a", list), IsOk());
      std::vector<int64_t> positions;
      while (Row(**r, &pos, &v)) {
        positions.push_back(pos);
        ASSERT_EQ(v.size(), list.size());
        for (size_t i = 0; i < list.size(); ++i) {
          // Column 0 is the key, 1 an integer (1 then -4), 2 a real (0.5 then 2.25).
          if (list[i] == 0) {
            EXPECT_EQ(v[i].bytes, "a");
          } else if (list[i] == 1) {
            EXPECT_EQ(v[i].integer, pos == 0 ? 1 : -4);
          } else {
            EXPECT_DOUBLE_EQ(v[i].real, pos == 0 ? 0.5 : 2.25);
          }
        }
      }
      EXPECT_EQ(positions, (std::vector<int64_t>{0, 3}));
    }
  }
  // A lookup that fails leaves no lookup to read from (not the previous one's rows).
  EXPECT_FALSE((*r)->Lookup("a", {7}).ok());
  EXPECT_FALSE((*r)->Next(&pos, &v).ok());
}

TEST(KeyIndexTest, IntegerKeys) {
  TempDir dir;
  const std::string data = dir.Join("d.parquet");
  {
    auto w = KeyIndexWriter::Create(data, {5, "long", KeyIndexStorage::kInteger},
                                    {{5, "long", KeyIndexStorage::kInteger}, {6, "binary", KeyIndexStorage::kBlob}}, {5, 6});
    ASSERT_THAT(w, IsOk());
    std::string blob("\0\1\2", 3);
    ASSERT_THAT((*w)->AddRow(0, {Int(-7), Text(blob)}), IsOk());
    ASSERT_THAT((*w)->AddRow(1, {Int(42), Text("")}), IsOk());
    ASSERT_THAT((*w)->Finish(2), IsOk());
  }
  auto r = KeyIndexReader::Open(KeyIndexPath(data));
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT((*r)->Lookup("-7", {1}), IsOk());
  int64_t pos = 0;
  std::vector<KeyIndexValue> v;
  ASSERT_EQ(Row(**r, &pos, &v), true);
  EXPECT_EQ(v[0].bytes, std::string("\0\1\2", 3));
  EXPECT_FALSE((*r)->Lookup("4x", {1}).ok());
  EXPECT_FALSE((*r)->Lookup("", {1}).ok());
}

TEST(KeyIndexTest, UnfinishedWritesLeaveNothingBehind) {
  TempDir dir;
  const std::string data = dir.Join("d.parquet");
  {
    auto w = KeyIndexWriter::Create(data, {1, "string", KeyIndexStorage::kText}, {{1, "string", KeyIndexStorage::kText}}, {1});
    ASSERT_THAT(w, IsOk());
    ASSERT_THAT((*w)->AddRow(0, {Text("x")}), IsOk());
    EXPECT_FALSE((*w)->AddRow(1, {Text("x"), Text("too many")}).ok());
  }
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 0u);
  EXPECT_EQ(KeyIndexReader::Open(KeyIndexPath(data)).status().code(), StatusCode::kNotFound);
}

TEST(KeyIndexTest, RejectsBadKeysAndFilesThatAreNotKeyIndexes) {
  TempDir dir;
  EXPECT_FALSE(KeyIndexWriter::Create(dir.Join("d"), {1, "double", KeyIndexStorage::kReal},
                                      {{1, "double", KeyIndexStorage::kReal}}, {1})
                   .ok());
  EXPECT_FALSE(KeyIndexWriter::Create(dir.Join("d"), {1, "string", KeyIndexStorage::kText},
                                      {{2, "string", KeyIndexStorage::kText}}, {1, 2})
                   .ok());
  LocalFileSystem fs;
  ASSERT_THAT(fs.WriteFileAtomic(dir.Join("junk.keyidx"), "this is not a database at all, just text"), IsOk());
  auto junk = KeyIndexReader::Open(dir.Join("junk.keyidx"));
  EXPECT_EQ(junk.status().code(), StatusCode::kDataLoss) << junk.status().ToString();
}

// SQLite stores a bound NaN as NULL: the index keeps NaN (and infinities) of REAL columns. A
// format 1 file with a REAL column, which may have lost them, is refused.
TEST(KeyIndexTest, KeepsNaNOfRealColumnsAndRefusesFormat1FilesThatMayHaveLostThem) {
  TempDir dir;
  const std::string data = dir.Join("data-nan.parquet");
  {
    auto w = KeyIndexWriter::Create(data, {1, "long", KeyIndexStorage::kInteger},
                                    {{1, "long", KeyIndexStorage::kInteger}, {2, "double", KeyIndexStorage::kReal}},
                                    {1, 2});
    ASSERT_THAT(w, IsOk());
    ASSERT_THAT((*w)->AddRow(0, {Int(1), Real(std::nan(""))}), IsOk());
    ASSERT_THAT((*w)->AddRow(1, {Int(1), Real(-std::numeric_limits<double>::infinity())}), IsOk());
    ASSERT_THAT((*w)->AddRow(2, {Int(1), KeyIndexValue{}}), IsOk());
    ASSERT_THAT((*w)->Finish(3), IsOk());
  }
  {
    auto r = KeyIndexReader::Open(KeyIndexPath(data));
    ASSERT_THAT(r, IsOk());
    ASSERT_THAT((*r)->Lookup("1", {1}), IsOk());
    int64_t pos = -1;
    std::vector<KeyIndexValue> v;
    ASSERT_TRUE(Row(**r, &pos, &v));
    EXPECT_FALSE(v[0].is_null);
    EXPECT_TRUE(std::isnan(v[0].real));
    ASSERT_TRUE(Row(**r, &pos, &v));
    EXPECT_EQ(v[0].real, -std::numeric_limits<double>::infinity());
    ASSERT_TRUE(Row(**r, &pos, &v));
    EXPECT_TRUE(v[0].is_null);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(KeyIndexPath(data).c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = '1' WHERE name = 'format'", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto old = KeyIndexReader::Open(KeyIndexPath(data));
  EXPECT_EQ(old.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(old.status().message(), ::testing::HasSubstr("format 1"));
}

// Writes a key index of `rows` rows over keys "k000000".."k<keys-1>" with a 200-byte payload,
// large enough (several MB) that one lookup touches a small part of it.
std::string LargeKey(int i) {
  char key[16];
  std::snprintf(key, sizeof key, "k%06d", i);
  return key;
}
void WriteLarge(const std::string& data_file, int rows, int keys) {
  auto w = KeyIndexWriter::Create(data_file, {1, "string", KeyIndexStorage::kText},
                                  {{1, "string", KeyIndexStorage::kText}, {2, "string", KeyIndexStorage::kText}},
                                  {1, 2});
  ASSERT_THAT(w, IsOk());
  for (int i = 0; i < rows; ++i) {
    const std::string key = LargeKey(i % keys);
    std::string payload(200, static_cast<char>('a' + i % 26));
    ASSERT_THAT((*w)->AddRow(i, {Text(key), Text(payload)}), IsOk());
  }
  ASSERT_THAT((*w)->Finish(rows), IsOk());
}

// 4 KiB pages of `path` in the page cache.
Result<size_t> ResidentPages(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IOError("open " + path);
  struct stat st {};
  ::fstat(fd, &st);
  size_t size = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return IOError("mmap " + path);
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in((size + page - 1) / page);
  int rc = ::mincore(map, size, in.data());
  ::munmap(map, size);
  if (rc != 0) return IOError("mincore " + path);
  size_t resident = 0;
  for (unsigned char c : in) resident += c & 1;
  return resident;
}

TEST(KeyIndexTest, ReadsComeFromTheRandomAccessMap) {
  TempDir dir;
  auto r = OpenSample(dir);
  ASSERT_THAT(r, IsOk());
  const uint64_t before = RandomMapVfsFetches();
  ASSERT_THAT((*r)->Lookup("b", {1}), IsOk());
  int64_t pos = -1;
  std::vector<KeyIndexValue> v;
  ASSERT_EQ(Row(**r, &pos, &v), true);
  EXPECT_EQ(v[0].integer, 2);
  EXPECT_GT(RandomMapVfsFetches(), before);
}

TEST(KeyIndexTest, ReadersOfOneFileShareOneMap) {
  TempDir dir;
  const std::string a = dir.Join("a.parquet"), b = dir.Join("b.parquet");
  WriteSample(a);
  WriteSample(b);
  const size_t before = RandomMapVfsMappedFiles();
  auto look = [](KeyIndexReader& r, const char* key, int64_t expect) {
    ASSERT_THAT(r.Lookup(key, {1}), IsOk());
    int64_t pos = -1;
    std::vector<KeyIndexValue> v;
    ASSERT_EQ(Row(r, &pos, &v), true);
    EXPECT_EQ(v[0].integer, expect);
  };
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r1, KeyIndexReader::Open(KeyIndexPath(a)));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r2, KeyIndexReader::Open(KeyIndexPath(a)));
    look(*r1, "b", 2);
    look(*r2, "b", 2);
    EXPECT_EQ(RandomMapVfsMappedFiles(), before + 1);  // two readers, one map
    {
      MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r3, KeyIndexReader::Open(KeyIndexPath(b)));
      look(*r3, "b", 2);
      EXPECT_EQ(RandomMapVfsMappedFiles(), before + 2);
    }
    EXPECT_EQ(RandomMapVfsMappedFiles(), before + 1);  // b's went with its last reader
    r1.reset();
    look(*r2, "b", 2);  // the map stays while a reader has the file open
    EXPECT_EQ(RandomMapVfsMappedFiles(), before + 1);
  }
  EXPECT_EQ(RandomMapVfsMappedFiles(), before);
  // A file replaced at the same path is another inode: its own map, not the old one's pages.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto old_reader, KeyIndexReader::Open(KeyIndexPath(a)));
  look(*old_reader, "b", 2);
  std::filesystem::copy_file(KeyIndexPath(b), KeyIndexPath(a) + ".new");
  std::filesystem::rename(KeyIndexPath(a) + ".new", KeyIndexPath(a));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto new_reader, KeyIndexReader::Open(KeyIndexPath(a)));
  look(*new_reader, "b", 2);
  EXPECT_EQ(RandomMapVfsMappedFiles(), before + 2);
}

// A lookup in a file that is not in the page cache reads about the pages it touches, not the
// kernel's read-around of each fault (128 KiB by default, more on some disks).
TEST(KeyIndexTest, ColdLookupReadsOnlyThePagesItTouches) {
  TempDir dir;
  const std::string data = dir.Join("data-1.parquet");
  WriteLarge(data, 40000, 4000);  // ~10 MB
  const std::string path = KeyIndexPath(data);
  {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
  auto before = ResidentPages(path);
  ASSERT_THAT(before, IsOk());
  if (*before > 16) GTEST_SKIP() << "the file system keeps the file in memory (" << *before << " pages resident)";
  auto r = KeyIndexReader::Open(path);
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT((*r)->Lookup("k003210", {1}), IsOk());
  int rows = 0;
  int64_t pos = -1;
  std::vector<KeyIndexValue> v;
  while (Row(**r, &pos, &v)) {
    EXPECT_EQ(pos % 4000, 3210);
    ++rows;
  }
  EXPECT_EQ(rows, 10);
  auto after = ResidentPages(path);
  ASSERT_THAT(after, IsOk());
  // The header, the schema, the meta table and a B-tree path down to the key's leaves: a few
  // dozen 4 KiB pages at most. With read-around each fault alone would bring 32 or more.
  EXPECT_LE(*after, 48u) << "of " << (std::filesystem::file_size(path) / 4096) << " pages";
}

TEST(KeyIndexTest, KnowsItsKeyRange) {
  TempDir dir;
  auto r = OpenSample(dir);  // keys "a" and "b"
  ASSERT_THAT(r, IsOk());
  const KeyIndexRange& range = (*r)->range();
  EXPECT_TRUE(range.has_rows);
  EXPECT_EQ(range.min_text, "a");
  EXPECT_EQ(range.max_text, "b");
  EXPECT_TRUE(range.MayHold("a"));
  EXPECT_TRUE(range.MayHold("aa"));  // between the two, as SQLite orders text
  EXPECT_TRUE(range.MayHold("b"));
  EXPECT_FALSE(range.MayHold(""));
  EXPECT_FALSE(range.MayHold("ba"));
  EXPECT_FALSE(range.MayHold("\xC3\xA1"));  // bytes above ASCII sort after "b"
  // What was read is remembered for the path, for scans that have no reader open.
  auto remembered = RememberedKeyIndexRange(KeyIndexPath(dir.Join("data-1.parquet")));
  ASSERT_TRUE(remembered != nullptr);
  EXPECT_EQ(remembered->max_text, "b");
  EXPECT_FALSE(RememberedKeyIndexRange(dir.Join("never-opened.keyidx")) != nullptr);

  const std::string ints = dir.Join("data-2.parquet");
  {
    auto w = KeyIndexWriter::Create(ints, {1, "long", KeyIndexStorage::kInteger},
                                    {{1, "long", KeyIndexStorage::kInteger}}, {1});
    ASSERT_THAT(w, IsOk());
    ASSERT_THAT((*w)->AddRow(0, {Int(-5)}), IsOk());
    ASSERT_THAT((*w)->AddRow(1, {Int(120)}), IsOk());
    ASSERT_THAT((*w)->Finish(2), IsOk());
  }
  auto ri = KeyIndexReader::Open(KeyIndexPath(ints));
  ASSERT_THAT(ri, IsOk());
  EXPECT_TRUE((*ri)->range().MayHold("-5"));
  EXPECT_TRUE((*ri)->range().MayHold("99"));  // numbers, not text: "99" > "120" as text
  EXPECT_FALSE((*ri)->range().MayHold("121"));
  EXPECT_FALSE((*ri)->range().MayHold("-6"));
  EXPECT_TRUE((*ri)->range().MayHold("x"));  // not a number: the lookup says what is wrong

  const std::string empty = dir.Join("data-3.parquet");
  {
    auto w = KeyIndexWriter::Create(empty, {1, "string", KeyIndexStorage::kText},
                                    {{1, "string", KeyIndexStorage::kText}}, {1});
    ASSERT_THAT(w, IsOk());
    ASSERT_THAT((*w)->AddRow(0, {KeyIndexValue{}}), IsOk());  // a NULL key only
    ASSERT_THAT((*w)->Finish(1), IsOk());
  }
  auto re = KeyIndexReader::Open(KeyIndexPath(empty));
  ASSERT_THAT(re, IsOk());
  EXPECT_FALSE((*re)->range().has_rows);
  EXPECT_FALSE((*re)->range().MayHold("a"));
}

// Drops `path`'s pages from the page cache; false where the file system keeps them anyway.
bool DropFromPageCache(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
  auto resident = ResidentPages(path);
  return resident.ok() && *resident <= 16;
}

// A prefetcher over a ~10 MB key index; its pool keeps no reader (each is closed after its
// lookup), so no map holds the file's pages and they can be dropped from memory.
class KeyIndexPrefetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteLarge(dir_.Join("data-1.parquet"), 40000, 4000);
    path_ = KeyIndexPath(dir_.Join("data-1.parquet"));
  }
  TempDir dir_;
  std::string path_;
  KeyIndexReaderPool pool_{0};
};

TEST_F(KeyIndexPrefetcherTest, LookupsAheadBringTheKeysPagesIn) {
  const std::string& path = path_;
  KeyIndexPrefetcher prefetcher(2, 16, pool_);
  if (!DropFromPageCache(path)) GTEST_SKIP() << "the file system keeps the file in memory";
  // Outside the key range: the reader is opened (header, schema, range), no B-tree search.
  EXPECT_TRUE(prefetcher.Prefetch(path, "zzz"));
  EXPECT_TRUE(prefetcher.Prefetch(dir_.Join("missing.keyidx"), "k000001"));  // errors are ignored
  prefetcher.Drain();
  auto opened = ResidentPages(path);
  ASSERT_THAT(opened, IsOk());
  EXPECT_TRUE(prefetcher.Prefetch(path, "k003210"));
  EXPECT_TRUE(prefetcher.Prefetch(path, "k001234"));
  prefetcher.Drain();
  EXPECT_EQ(prefetcher.completed(), 4u);
  auto after = ResidentPages(path);
  ASSERT_THAT(after, IsOk());
  EXPECT_GE(*after, *opened + 2) << "the two lookups' leaves (and inner pages) are in memory";
  // The lookups read from the disk: prefetching stays on.
  for (int i = 0; i < 32; ++i) EXPECT_TRUE(prefetcher.Admit());
}

TEST_F(KeyIndexPrefetcherTest, BacksOffWhileLookupsFindTheirPagesInMemoryAndComesBack) {
  const std::string& path = path_;
  KeyIndexPrefetcher prefetcher(1, 1024, pool_);
  // Warm: the file was just written, and a first pass reads every page once.
  for (int i = 0; i < 4000; i += 40) prefetcher.Prefetch(path, LargeKey(i));
  prefetcher.Drain();
  for (int i = 0; i < KeyIndexPrefetcher::kWarmStreak; ++i) prefetcher.Prefetch(path, "k000007");
  prefetcher.Drain();
  int admitted = 0;
  for (int i = 0; i < 4 * KeyIndexPrefetcher::kProbeEvery; ++i) admitted += prefetcher.Admit() ? 1 : 0;
  EXPECT_EQ(admitted, 4) << "one batch in kProbeEvery while backing off";
  // The file leaves memory: the next lookup reads from the disk and prefetching is on again.
  if (!DropFromPageCache(path)) GTEST_SKIP() << "the file system keeps the file in memory";
  prefetcher.Prefetch(path, "k003999");
  prefetcher.Drain();
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(prefetcher.Admit());
}

TEST_F(KeyIndexPrefetcherTest, AFullQueueDropsLookups) {
  KeyIndexPrefetcher idle(0, 2, pool_);  // no threads: nothing leaves the queue
  EXPECT_TRUE(idle.Prefetch("a.keyidx", "1"));
  EXPECT_TRUE(idle.Prefetch("a.keyidx", "2"));
  EXPECT_FALSE(idle.Prefetch("a.keyidx", "3"));
  EXPECT_EQ(idle.completed(), 0u);
}

TEST(KeyIndexReaderPoolTest, ChecksForDeletedFilesOncePerRecheckInterval) {
  TempDir dir;
  const std::string a = dir.Join("a.parquet");
  WriteSample(a);
  KeyIndexReaderPool pool(4, std::chrono::milliseconds(300));
  const KeyIndexReader* first = nullptr;
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, BorrowKeyIndexReader(KeyIndexPath(a), pool));
    first = &*r;
  }
  std::filesystem::remove(KeyIndexPath(a));
  const auto removed_at = std::chrono::steady_clock::now();
  {
    // Checked when opened, just now: served from the pool without a look at the file.
    auto r = BorrowKeyIndexReader(KeyIndexPath(a), pool);
    if (std::chrono::steady_clock::now() - removed_at < std::chrono::milliseconds(250)) {
      ASSERT_THAT(r, IsOk());
      EXPECT_EQ(&**r, first);
      EXPECT_TRUE((*r)->Unlinked());
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  // The interval has passed: the reader is checked, found deleted and dropped.
  EXPECT_EQ(BorrowKeyIndexReader(KeyIndexPath(a), pool).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(pool.idle(), 0u);
}

}  // namespace
}  // namespace medlake::storage

namespace medlake::storage {
namespace {

TEST(KeyIndexReaderPoolTest, ReusesReadersAndDropsThoseOfDeletedFiles) {
  TempDir dir;
  const std::string a = dir.Join("a.parquet"), b = dir.Join("b.parquet");
  WriteSample(a);
  WriteSample(b);
  KeyIndexReaderPool pool(1);
  const KeyIndexReader* first = nullptr;
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, BorrowKeyIndexReader(KeyIndexPath(a), pool));
    first = &*r;
    EXPECT_EQ(r->record_count(), 4);
  }
  EXPECT_EQ(pool.idle(), 1u);
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, BorrowKeyIndexReader(KeyIndexPath(a), pool));
    EXPECT_EQ(&*r, first);  // the idle reader, not a new one
    EXPECT_EQ(pool.idle(), 0u);
  }
  // At most one idle reader: b's evicts a's.
  { MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, BorrowKeyIndexReader(KeyIndexPath(b), pool)); }
  EXPECT_EQ(pool.idle(), 1u);
  // A deleted key index is not served from the pool.
  std::filesystem::remove(KeyIndexPath(b));
  EXPECT_EQ(BorrowKeyIndexReader(KeyIndexPath(b), pool).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(pool.idle(), 0u);
  // Nor one replaced by a rename (a rebuild at the same path): the pool opens the new file.
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, BorrowKeyIndexReader(KeyIndexPath(a), pool));
    EXPECT_FALSE(r->Unlinked());
    std::filesystem::copy_file(KeyIndexPath(a), KeyIndexPath(a) + ".new");
    std::filesystem::rename(KeyIndexPath(a) + ".new", KeyIndexPath(a));
    EXPECT_TRUE(r->Unlinked());
  }
  EXPECT_EQ(pool.idle(), 1u);
  {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, BorrowKeyIndexReader(KeyIndexPath(a), pool));
    EXPECT_FALSE(r->Unlinked());
  }
}

}  // namespace
}  // namespace medlake::storage
