#include "storage/key_index.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"

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

TEST(KeyIndexTest, LooksUpTheRowsOfAKeyInFileOrder) {
  TempDir dir;
  const std::string data = dir.Join("data-1.parquet");
  WriteSample(data);
  auto r = KeyIndexReader::Open(KeyIndexPath(data));
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
}

}  // namespace
}  // namespace medlake::storage
