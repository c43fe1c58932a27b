#include "storage/lake.h"

#include <gtest/gtest.h>

#include "core/file_system.h"
#include "core/testing/manual_clock.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "storage/sqlite_db.h"

namespace medlake::storage {
namespace {

TEST(LakeTest, CreateMakesLayoutAndCatalog) {
  TempDir tmp;
  ManualClock clock(1'700'000'000'000'000);
  std::string root = tmp.Join("lake");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto lake, Lake::Create(root, clock));
  EXPECT_EQ(lake->created_micros(), 1'700'000'000'000'000);
  EXPECT_EQ(lake->lake_id().size(), 36u);
  auto& fs = LocalFileSystem::Default();
  for (const auto& p : {lake->warehouse_path(), lake->staging_path(), lake->keys_path()}) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(bool dir, fs.IsDirectory(p));
    EXPECT_TRUE(dir) << p;
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(lake->catalog_path(), false));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto stmt, db->Prepare("select count(*) from sqlite_master where name in "
                             "('iceberg_tables', 'iceberg_namespace_properties')"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(bool row, stmt->Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(stmt->ColumnInt64(0), 2);
}

TEST(LakeTest, OpenReadsIdentity) {
  TempDir tmp;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto created, Lake::Create(tmp.Join("l")));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto opened, Lake::Open(tmp.Join("l")));
  EXPECT_EQ(opened->lake_id(), created->lake_id());
  EXPECT_EQ(opened->root(), created->root());
}

TEST(LakeTest, CreateTwiceFails) {
  TempDir tmp;
  MEDLAKE_ASSERT_OK(Lake::Create(tmp.Join("l")));
  EXPECT_THAT(Lake::Create(tmp.Join("l")), StatusIs(StatusCode::kAlreadyExists, "already"));
}

TEST(LakeTest, RefusesNonEmptyForeignDirectory) {
  TempDir tmp;
  MEDLAKE_ASSERT_OK(LocalFileSystem::Default().WriteFileAtomic(tmp.Join("notes.txt"), "x"));
  EXPECT_THAT(Lake::Create(tmp.path()), StatusIs(StatusCode::kFailedPrecondition, "not a lake"));
}

TEST(LakeTest, OpenMissingSaysHowToCreate) {
  TempDir tmp;
  EXPECT_THAT(Lake::Open(tmp.Join("nope")), StatusIs(StatusCode::kNotFound, "medlake --lake"));
  EXPECT_THAT(Lake::Open(tmp.path()), StatusIs(StatusCode::kNotFound, "is not a medlake lake"));
}

TEST(LakeTest, CorruptIdentityIsDataLoss) {
  TempDir tmp;
  MEDLAKE_ASSERT_OK(Lake::Create(tmp.Join("l")));
  MEDLAKE_ASSERT_OK(
      LocalFileSystem::Default().WriteFileAtomic(tmp.Join("l/medlake.json"), "{not json"));
  EXPECT_THAT(Lake::Open(tmp.Join("l")), StatusIs(StatusCode::kDataLoss, "medlake.json"));
}

TEST(LakeTest, NewerLayoutIsRefused) {
  TempDir tmp;
  MEDLAKE_ASSERT_OK(Lake::Create(tmp.Join("l")));
  MEDLAKE_ASSERT_OK(LocalFileSystem::Default().WriteFileAtomic(
      tmp.Join("l/medlake.json"),
      R"({"format":"medlake-lake","layout-version":99,"lake-id":"x"})"));
  EXPECT_THAT(Lake::Open(tmp.Join("l")), StatusIs(StatusCode::kFailedPrecondition, "99"));
}

}  // namespace
}  // namespace medlake::storage
