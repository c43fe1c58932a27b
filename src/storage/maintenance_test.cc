#include "storage/maintenance.h"

#include <gtest/gtest.h>

#include "core/testing/manual_clock.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "storage/iceberg/types.h"
#include "storage/lake.h"

namespace medlake::storage {
namespace {

namespace ib = iceberg;

class MaintenanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(catalog_, Catalog::Open(lake_->catalog_path()));
    MEDLAKE_ASSERT_OK(catalog_->CreateNamespace("raw"));
    CreateTableRequest req;
    req.id = id_;
    req.schema.fields.push_back(ib::NestedField{1, "id", false, ib::Type::Long(), "", std::nullopt, std::nullopt});
    MEDLAKE_ASSERT_OK_AND_ASSIGN(table_, CreateLakeTable(*catalog_, fs_, lake_->warehouse_path(), req, clock_));
  }
  // Appends one real (empty-content) file per commit so that deletions can be observed.
  void Append(const std::string& name, bool remove_previous = false) {
    std::string path = table_->local_root() + "/data/" + name;
    ASSERT_THAT(fs_.WriteFileAtomic(path, "parquet bytes"), IsOk());
    TableChange c;
    ib::DataFile f;
    f.file_path = path;
    f.record_count = 1;
    f.file_size_in_bytes = 13;
    c.added_data_files = {f};
    if (remove_previous && !last_.empty()) c.removed_file_paths = {last_};
    auto t = CommitTableChange(*catalog_, fs_, *table_, c, clock_);
    ASSERT_THAT(t, IsOk());
    table_ = std::move(*t);
    last_ = path;
    clock_.AdvanceMicros(1'000'000);
  }
  bool Exists(const std::string& p) { return fs_.Exists(p).value_or(false); }

  TempDir tmp_;
  LocalFileSystem fs_;
  ManualClock clock_{1'700'000'000'000'000};
  TableIdentifier id_{"raw", "t"};
  std::unique_ptr<Lake> lake_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<LakeTable> table_;
  std::string last_;
};

TEST_F(MaintenanceTest, ExpireKeepsRecentSnapshotsAndDeletesOnlyUnreachableFiles) {
  Append("a.parquet");
  Append("b.parquet", /*remove_previous=*/true);  // a.parquet now only in snapshot 1
  Append("c.parquet");
  ASSERT_EQ(table_->metadata().snapshots.size(), 3u);
  std::string first_list = table_->metadata().snapshots[0].manifest_list;
  std::string a = table_->local_root() + "/data/a.parquet";
  std::string b = table_->local_root() + "/data/b.parquet";

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, ExpireSnapshots(*catalog_, fs_, id_, clock_.NowMillis(), 2, clock_));
  EXPECT_EQ(r.expired_snapshots, 1);
  EXPECT_EQ(r.deleted_manifest_lists, 1);
  EXPECT_EQ(r.deleted_data_files, 1);
  EXPECT_FALSE(Exists(a));
  EXPECT_TRUE(Exists(b));
  EXPECT_FALSE(Exists(first_list));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t, LakeTable::Load(*catalog_, fs_, id_));
  EXPECT_EQ(t->metadata().snapshots.size(), 2u);
  EXPECT_FALSE(t->metadata().snapshots[0].parent_snapshot_id.has_value());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, t->LiveFiles(std::nullopt));
  EXPECT_EQ(files.size(), 2u);
  // Nothing older than the threshold is left: a second run is a no-op.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto again, ExpireSnapshots(*catalog_, fs_, id_, clock_.NowMillis(), 2, clock_));
  EXPECT_EQ(again.expired_snapshots, 0);
}

TEST_F(MaintenanceTest, ExpireNeverRemovesTheCurrentSnapshot) {
  Append("a.parquet");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, ExpireSnapshots(*catalog_, fs_, id_, clock_.NowMillis() + 1000, 0, clock_));
  EXPECT_EQ(r.expired_snapshots, 0);
  EXPECT_TRUE(Exists(last_));
}

TEST_F(MaintenanceTest, OrphanFilesAreRemovedOnlyWhenOldEnough) {
  Append("a.parquet");
  std::string orphan = table_->local_root() + "/data/crashed-writer.parquet";
  ASSERT_THAT(fs_.WriteFileAtomic(orphan, "x"), IsOk());
  // Too young: kept.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto young, RemoveOrphanFiles(*catalog_, fs_, id_, 0));
  EXPECT_EQ(young.deleted_files, 0);
  EXPECT_TRUE(Exists(orphan));
  // Old enough (threshold in the future): removed; everything reachable stays.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto r, RemoveOrphanFiles(*catalog_, fs_, id_, INT64_MAX / 1000));
  EXPECT_EQ(r.deleted_files, 1);
  EXPECT_FALSE(Exists(orphan));
  EXPECT_TRUE(Exists(last_));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t, LakeTable::Load(*catalog_, fs_, id_));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, t->LiveFiles(std::nullopt));
  EXPECT_EQ(files.size(), 1u);
}

}  // namespace
}  // namespace medlake::storage
