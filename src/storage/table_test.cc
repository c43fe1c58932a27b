#include "storage/table.h"

#include <gtest/gtest.h>

#include <map>
#include <numeric>
#include <set>

#include "core/testing/manual_clock.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "storage/file_cache.h"
#include "storage/iceberg/metadata_file.h"
#include "storage/iceberg/types.h"
#include "storage/lake.h"

namespace medlake::storage {
namespace {

namespace ib = iceberg;

ib::Schema TwoColumns() {
  ib::Schema s;
  s.fields.push_back(ib::NestedField{1, "id", true, ib::Type::Long(), "", std::nullopt, std::nullopt});
  s.fields.push_back(ib::NestedField{2, "name", false, ib::Type::String(), "", std::nullopt, std::nullopt});
  s.fields.push_back(ib::NestedField{3, "day", false, ib::Type::Date(), "", std::nullopt, std::nullopt});
  return s;
}

ib::DataFile FakeFile(const std::string& path, int64_t rows, std::vector<ib::Value> partition = {}) {
  ib::DataFile f;
  f.file_path = path;
  f.record_count = rows;
  f.file_size_in_bytes = rows * 10;
  f.partition = std::move(partition);
  f.column_sizes = {{1, 40}, {2, 50}};
  f.value_counts = {{1, rows}};
  f.null_value_counts = {{2, 1}};
  f.lower_bounds = {{1, std::string("\x01\0\0\0\0\0\0\0", 8)}};
  f.upper_bounds = {{1, std::string("\x09\0\0\0\0\0\0\0", 8)}};
  return f;
}

int64_t LiveRows(const std::vector<LiveFile>& files) {
  int64_t n = 0;
  for (const auto& f : files) {
    if (f.file.content == ib::DataFileContent::kData) n += f.file.record_count;
  }
  return n;
}

class TableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(catalog_, Catalog::Open(lake_->catalog_path()));
    MEDLAKE_ASSERT_OK(catalog_->CreateNamespace("raw"));
  }
  // A table "raw.<name>" whose metadata files are gzip (write.metadata.compression-codec).
  std::unique_ptr<LakeTable> CreateGzip(const std::string& name) {
    CreateTableRequest req;
    req.id = {"raw", name};
    req.schema = TwoColumns();
    req.properties[ib::kMetadataCompressionCodec] = "gzip";
    auto t = CreateLakeTable(*catalog_, fs_, lake_->warehouse_path(), req, clock_);
    EXPECT_THAT(t, IsOk());
    return t.ok() ? std::move(*t) : nullptr;
  }
  std::unique_ptr<LakeTable> Create(ib::PartitionSpec spec = {}) {
    CreateTableRequest req;
    req.id = {"raw", "t"};
    req.schema = TwoColumns();
    req.spec = spec;
    auto t = CreateLakeTable(*catalog_, fs_, lake_->warehouse_path(), req, clock_);
    EXPECT_THAT(t, IsOk());
    return t.ok() ? std::move(*t) : nullptr;
  }
  TempDir tmp_;
  LocalFileSystem fs_;
  ManualClock clock_{1'700'000'000'000'000};
  std::unique_ptr<Lake> lake_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(TableTest, CreateWritesMetadataAndRegisters) {
  auto t = Create();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->metadata().format_version, 2);
  EXPECT_FALSE(t->metadata().current_snapshot_id.has_value());
  EXPECT_FALSE(t->moved());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto hint, fs_.ReadFile(t->local_root() + "/metadata/version-hint.text"));
  EXPECT_EQ(hint, "1");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto loaded, LakeTable::Load(*catalog_, fs_, {"raw", "t"}));
  EXPECT_EQ(loaded->metadata(), t->metadata());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto plan, loaded->PlanScan(std::nullopt));
  EXPECT_EQ(plan.columns.size(), 3u);
  EXPECT_TRUE(plan.data_files.empty());
  CreateTableRequest again;
  again.id = {"raw", "t"};
  again.schema = TwoColumns();
  EXPECT_THAT(CreateLakeTable(*catalog_, fs_, lake_->warehouse_path(), again),
              StatusIs(StatusCode::kAlreadyExists, "raw.t"));
}

TEST_F(TableTest, NamesThatWouldLeaveTheWarehouseAreRefusedBeforeAnythingIsCreated) {
  for (const std::string& name : {tmp_.Join("escape"), std::string(".."), std::string("a/../../b")}) {
    CreateTableRequest req;
    req.id = {"raw", name};
    req.schema = TwoColumns();
    EXPECT_THAT(CreateLakeTable(*catalog_, fs_, lake_->warehouse_path(), req), StatusIs(StatusCode::kInvalidArgument, ""))
        << name;
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(bool made, fs_.Exists(tmp_.Join("escape")));
  EXPECT_FALSE(made);
}

TEST_F(TableTest, AppendsBecomeSnapshotsWithInheritedSequenceNumbers) {
  auto t0 = Create();
  TableChange c1;
  c1.added_data_files = {FakeFile("/d/a.parquet", 10)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t1, CommitTableChange(*catalog_, fs_, *t0, c1, clock_));
  clock_.AdvanceMicros(1000);
  TableChange c2;
  c2.added_data_files = {FakeFile("/d/b.parquet", 5), FakeFile("/d/c.parquet", 7)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t2, CommitTableChange(*catalog_, fs_, *t1, c2, clock_));

  EXPECT_EQ(t2->metadata().last_sequence_number, 2);
  EXPECT_EQ(t2->metadata().snapshots.size(), 2u);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, t2->LiveFiles(std::nullopt));
  ASSERT_EQ(files.size(), 3u);
  std::map<std::string, int64_t> seq;
  for (const auto& f : files) seq[f.file.file_path] = f.data_sequence_number;
  EXPECT_EQ(seq["/d/a.parquet"], 1);
  EXPECT_EQ(seq["/d/b.parquet"], 2);
  EXPECT_EQ(LiveRows(files), 22);
  const auto& snap = t2->metadata().snapshots.back();
  EXPECT_EQ(snap.summary.at("total-records"), "22");
  EXPECT_EQ(snap.summary.at("added-records"), "12");
  EXPECT_EQ(snap.parent_snapshot_id, t1->metadata().current_snapshot_id);
  // Stats survive the manifest round trip.
  for (const auto& f : files) {
    EXPECT_EQ(f.file.column_sizes.at(2), 50);
    EXPECT_EQ(f.file.lower_bounds.at(1), std::string("\x01\0\0\0\0\0\0\0", 8));
  }
  // Time travel to the first snapshot.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto first, t2->LiveFiles(t1->metadata().current_snapshot_id));
  EXPECT_EQ(LiveRows(first), 10);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(int64_t as_of, t2->SnapshotAsOf(clock_.NowMillis() - 1));
  EXPECT_EQ(as_of, *t1->metadata().current_snapshot_id);
  EXPECT_THAT(t2->SnapshotById(42), StatusIs(StatusCode::kNotFound, "42"));
  // The catalog points at the newest metadata and file readers find it through the hint.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto entry, catalog_->LoadTable({"raw", "t"}));
  EXPECT_EQ(entry.metadata_location, t2->metadata_location());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto hint, fs_.ReadFile(t2->local_root() + "/metadata/version-hint.text"));
  EXPECT_EQ(hint, "3");
}

TEST_F(TableTest, RemovingFilesWritesDeletedEntries) {
  auto t0 = Create();
  TableChange c1;
  c1.added_data_files = {FakeFile("/d/a.parquet", 10), FakeFile("/d/b.parquet", 4)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t1, CommitTableChange(*catalog_, fs_, *t0, c1, clock_));
  TableChange c2;
  c2.operation = "overwrite";
  c2.removed_file_paths = {"/d/a.parquet"};
  c2.added_data_files = {FakeFile("/d/a2.parquet", 8)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t2, CommitTableChange(*catalog_, fs_, *t1, c2, clock_));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, t2->LiveFiles(std::nullopt));
  EXPECT_EQ(LiveRows(files), 12);
  std::map<std::string, int64_t> seq;
  for (const auto& f : files) seq[f.file.file_path] = f.data_sequence_number;
  EXPECT_EQ(seq.count("/d/a.parquet"), 0u);
  EXPECT_EQ(seq["/d/b.parquet"], 1);  // existing entries keep their sequence number
  EXPECT_EQ(seq["/d/a2.parquet"], 2);
  EXPECT_EQ(t2->metadata().snapshots.back().summary.at("deleted-records"), "10");
  // Removing a file that is gone is a conflict.
  TableChange c3;
  c3.removed_file_paths = {"/d/a.parquet"};
  EXPECT_THAT(CommitTableChange(*catalog_, fs_, *t2, c3, clock_),
              StatusIs(StatusCode::kAborted, "no longer live"));
}

TEST_F(TableTest, AppendedScanHoldsOnlyFilesAddedSinceASnapshot) {
  auto t0 = Create();
  TableChange c1;
  c1.added_data_files = {FakeFile("/d/a.parquet", 10)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t1, CommitTableChange(*catalog_, fs_, *t0, c1, clock_));
  int64_t first = *t1->metadata().current_snapshot_id;
  TableChange c2;
  c2.added_data_files = {FakeFile("/d/b.parquet", 5)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t2, CommitTableChange(*catalog_, fs_, *t1, c2, clock_));
  TableChange c3;
  c3.added_data_files = {FakeFile("/d/c.parquet", 7)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t3, CommitTableChange(*catalog_, fs_, *t2, c3, clock_));
  int64_t third = *t3->metadata().current_snapshot_id;

  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto since_first, t3->PlanAppendedScan(first));
  ASSERT_TRUE(since_first.has_value());
  std::set<std::string> paths;
  for (const auto& f : since_first->data_files) paths.insert(f.original_path);
  EXPECT_EQ(paths, (std::set<std::string>{"/d/b.parquet", "/d/c.parquet"}));
  EXPECT_EQ(since_first->columns.size(), 3u);
  // Only the manifests written after the snapshot were read.
  EXPECT_EQ(since_first->pruning.manifests_total, 2);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto since_now, t3->PlanAppendedScan(third));
  ASSERT_TRUE(since_now.has_value());
  EXPECT_TRUE(since_now->data_files.empty());
  // An unknown snapshot cannot be a starting point.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto unknown, t3->PlanAppendedScan(12345));
  EXPECT_FALSE(unknown.has_value());
  // After an overwrite, appended files no longer tell the whole change.
  TableChange c4;
  c4.operation = "overwrite";
  c4.removed_file_paths = {"/d/a.parquet"};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t4, CommitTableChange(*catalog_, fs_, *t3, c4, clock_));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto after_overwrite, t4->PlanAppendedScan(first));
  EXPECT_FALSE(after_overwrite.has_value());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto from_overwrite, t4->PlanAppendedScan(*t4->metadata().current_snapshot_id));
  EXPECT_TRUE(from_overwrite.has_value());
}

std::vector<ib::ManifestFile> CurrentManifests(LocalFileSystem& fs, const LakeTable& t) {
  auto snap = ib::CurrentSnapshot(t.metadata());
  EXPECT_THAT(snap, IsOk());
  if (!snap.ok()) return {};
  auto bytes = fs.ReadFile((*snap)->manifest_list);
  EXPECT_THAT(bytes, IsOk());
  auto list = ib::ReadManifestList(bytes.ok() ? *bytes : "");
  EXPECT_THAT(list, IsOk());
  return list.ok() ? *list : std::vector<ib::ManifestFile>{};
}

TEST_F(TableTest, SmallAppendsAreMergedIntoFewManifestsKeepingSequenceNumbers) {
  std::unique_ptr<LakeTable> t = Create();
  std::vector<int64_t> snapshots;
  size_t most = 0;
  int merged_lists = 0;
  for (int i = 1; i <= 12; ++i) {
    TableChange c;
    if (i == 1) c.properties[kManifestMinCountToMerge] = "4";
    c.added_data_files = {FakeFile("/d/f" + std::to_string(i) + ".parquet", i)};
    if (i == 6) {  // a position delete file: its own group, never mixed with data manifests
      ib::DataFile d = FakeFile("/d/del6.parquet", 1);
      d.content = ib::DataFileContent::kPositionDeletes;
      d.referenced_data_file = "/d/f2.parquet";
      c.added_delete_files = {d};
    }
    MEDLAKE_ASSERT_OK_AND_ASSIGN(t, CommitTableChange(*catalog_, fs_, *t, c, clock_));
    snapshots.push_back(*t->metadata().current_snapshot_id);
    auto list = CurrentManifests(fs_, *t);
    most = std::max(most, list.size());
    bool merged = false;
    for (const auto& mf : list) merged = merged || mf.existing_files_count > 0;
    merged_lists += merged ? 1 : 0;
    EXPECT_EQ(t->metadata().snapshots.back().summary.at("total-records"), std::to_string(i * (i + 1) / 2));
    EXPECT_EQ(t->metadata().snapshots.back().summary.at("total-data-files"), std::to_string(i));
  }
  // Without merging the list would hold 13 manifests; with min-count 4 a group never exceeds 3
  // after a commit (data), plus the one delete manifest.
  EXPECT_LE(most, 4u);
  EXPECT_GT(merged_lists, 0);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, t->LiveFiles(std::nullopt));
  std::map<std::string, int64_t> seq;
  for (const auto& f : files) seq[f.file.file_path] = f.data_sequence_number;
  ASSERT_EQ(seq.size(), 13u);
  for (int i = 1; i <= 12; ++i) EXPECT_EQ(seq["/d/f" + std::to_string(i) + ".parquet"], i) << i;
  EXPECT_EQ(seq["/d/del6.parquet"], 6);
  for (const auto& mf : CurrentManifests(fs_, *t)) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto bytes, fs_.ReadFile(mf.manifest_path));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto entries, ib::ReadManifest(bytes, t->metadata().schemas[0],
                                                                t->metadata().partition_specs[0], mf));
    for (const auto& e : entries) {
      EXPECT_EQ(e.data_file.content == ib::DataFileContent::kData, mf.content == ib::ManifestContent::kData);
    }
  }
  // Older snapshots still read through their own lists.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto at5, t->LiveFiles(snapshots[4]));
  EXPECT_EQ(LiveRows(at5), 15);
  // Files appended since a snapshot are found in merged manifests by their sequence numbers.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto since3, t->PlanAppendedScan(snapshots[2]));
  ASSERT_TRUE(since3.has_value());
  std::set<std::string> appended;
  for (const auto& f : since3->data_files) appended.insert(f.original_path);
  EXPECT_EQ(appended.size(), 9u);
  EXPECT_EQ(appended.count("/d/f3.parquet"), 0u);
  EXPECT_EQ(appended.count("/d/f4.parquet"), 1u);

  // A removal's deleted entry is kept by its own snapshot and dropped by the next merge.
  TableChange rm;
  rm.operation = "overwrite";
  rm.removed_file_paths = {"/d/f1.parquet"};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(t, CommitTableChange(*catalog_, fs_, *t, rm, clock_));
  int64_t deleted = 0;
  for (const auto& mf : CurrentManifests(fs_, *t)) deleted += mf.deleted_files_count;
  EXPECT_EQ(deleted, 1);
  for (int i = 13; i <= 20; ++i) {
    TableChange c;
    c.added_data_files = {FakeFile("/d/f" + std::to_string(i) + ".parquet", 1)};
    MEDLAKE_ASSERT_OK_AND_ASSIGN(t, CommitTableChange(*catalog_, fs_, *t, c, clock_));
  }
  deleted = 0;
  for (const auto& mf : CurrentManifests(fs_, *t)) deleted += mf.deleted_files_count;
  EXPECT_EQ(deleted, 0);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(files, t->LiveFiles(std::nullopt));
  EXPECT_EQ(LiveRows(files), 12 * 13 / 2 - 1 + 8);
}

TEST_F(TableTest, ManifestMergingFollowsItsTableProperties) {
  // Disabled: one manifest per append.
  std::unique_ptr<LakeTable> t = Create();
  for (int i = 1; i <= 5; ++i) {
    TableChange c;
    if (i == 1) {
      c.properties[kManifestMergeEnabled] = "false";
      c.properties[kManifestMinCountToMerge] = "2";
    }
    c.added_data_files = {FakeFile("/d/f" + std::to_string(i) + ".parquet", 1)};
    MEDLAKE_ASSERT_OK_AND_ASSIGN(t, CommitTableChange(*catalog_, fs_, *t, c, clock_));
  }
  EXPECT_EQ(CurrentManifests(fs_, *t).size(), 5u);
  // Enabled with a target smaller than one manifest: every bin holds one manifest, none merge.
  TableChange small;
  small.properties[kManifestMergeEnabled] = "true";
  small.properties[kManifestTargetSize] = "1024";
  small.added_data_files = {FakeFile("/d/f6.parquet", 1)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(t, CommitTableChange(*catalog_, fs_, *t, small, clock_));
  EXPECT_EQ(CurrentManifests(fs_, *t).size(), 6u);
  // A normal target: the six become one.
  TableChange normal;
  normal.properties[kManifestTargetSize] = "8388608";
  normal.added_data_files = {FakeFile("/d/f7.parquet", 1)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(t, CommitTableChange(*catalog_, fs_, *t, normal, clock_));
  auto list = CurrentManifests(fs_, *t);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].added_files_count, 1);
  EXPECT_EQ(list[0].existing_files_count, 6);
  // Bad values are refused with the property's name, before anything is committed.
  TableChange bad;
  bad.properties[kManifestMinCountToMerge] = "1";
  bad.added_data_files = {FakeFile("/d/f8.parquet", 1)};
  EXPECT_THAT(CommitTableChange(*catalog_, fs_, *t, bad, clock_),
              StatusIs(StatusCode::kInvalidArgument, kManifestMinCountToMerge));
  EXPECT_THAT(ManifestMergePolicyOf({{kManifestMergeEnabled, "yes"}}),
              StatusIs(StatusCode::kInvalidArgument, kManifestMergeEnabled));
  EXPECT_THAT(ManifestMergePolicyOf({{kManifestTargetSize, "12x"}}),
              StatusIs(StatusCode::kInvalidArgument, kManifestTargetSize));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto defaults, ManifestMergePolicyOf({}));
  EXPECT_TRUE(defaults.enabled);
  EXPECT_EQ(defaults.min_count_to_merge, 100);
  EXPECT_EQ(defaults.target_size_bytes, 8 << 20);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto latest, LakeTable::Load(*catalog_, fs_, {"raw", "t"}));
  EXPECT_EQ(latest->metadata_location(), t->metadata_location());
}

TEST_F(TableTest, AMetadataFileLeftByAKilledWriterDoesNotWedgeCommits) {
  auto t0 = Create();
  // A writer killed after writing the next metadata file, before the catalog swap.
  const std::string dir = t0->local_root() + "/metadata";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string text, fs_.ReadFile(t0->metadata_location()));
  const std::string orphan = dir + "/v2.metadata.json";
  MEDLAKE_ASSERT_OK(fs_.WriteFileExclusive(orphan, text));
  TableChange a;
  a.added_data_files = {FakeFile("/d/a.parquet", 1)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t1, CommitTableChange(*catalog_, fs_, *t0, a, clock_));
  EXPECT_EQ(t1->metadata_location(), dir + "/v3.metadata.json");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto hint, fs_.ReadFile(dir + "/version-hint.text"));
  EXPECT_EQ(hint, "3");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto loaded, LakeTable::Load(*catalog_, fs_, t0->id()));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, loaded->LiveFiles(std::nullopt));
  EXPECT_EQ(LiveRows(files), 1);
  // The next commit goes on after it.
  TableChange b;
  b.added_data_files = {FakeFile("/d/b.parquet", 2)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t2, CommitTableChange(*catalog_, fs_, *loaded, b, clock_));
  EXPECT_EQ(t2->metadata_location(), dir + "/v4.metadata.json");
}

TEST_F(TableTest, ConcurrentAppendsBothLand) {
  auto t0 = Create();
  TableChange a, b;
  a.added_data_files = {FakeFile("/d/a.parquet", 1)};
  b.added_data_files = {FakeFile("/d/b.parquet", 2)};
  // Both writers start from the same version; the second retries on the first's snapshot.
  MEDLAKE_ASSERT_OK(CommitTableChange(*catalog_, fs_, *t0, a, clock_));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t2, CommitTableChange(*catalog_, fs_, *t0, b, clock_));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, t2->LiveFiles(std::nullopt));
  EXPECT_EQ(LiveRows(files), 3);
  EXPECT_EQ(t2->metadata().last_sequence_number, 2);
}

TEST_F(TableTest, RowLevelChangeConflictsWhenItsFilesVanish) {
  auto t0 = Create();
  TableChange c1;
  c1.added_data_files = {FakeFile("/d/a.parquet", 10)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t1, CommitTableChange(*catalog_, fs_, *t0, c1, clock_));
  TableChange rewrite;
  rewrite.removed_file_paths = {"/d/a.parquet"};
  rewrite.added_data_files = {FakeFile("/d/a-compacted.parquet", 10)};
  MEDLAKE_ASSERT_OK(CommitTableChange(*catalog_, fs_, *t1, rewrite, clock_));
  TableChange deletes;  // computed against t1, where a.parquet was live
  ib::DataFile pd = FakeFile("/d/pos-deletes.parquet", 1);
  pd.content = ib::DataFileContent::kPositionDeletes;
  deletes.added_delete_files = {pd};
  deletes.required_live_files = {"/d/a.parquet"};
  EXPECT_THAT(CommitTableChange(*catalog_, fs_, *t1, deletes, clock_),
              StatusIs(StatusCode::kAborted, "depends on"));
}

TEST_F(TableTest, PartitionValuesRoundTrip) {
  ib::PartitionSpec spec;
  spec.fields.push_back(ib::PartitionField{2, 1000, "name", ib::Transform::Identity()});
  spec.fields.push_back(ib::PartitionField{3, 1001, "day_day", ib::Transform::Day()});
  auto t0 = Create(spec);
  TableChange c;
  c.added_data_files = {FakeFile("/d/p1.parquet", 3, {ib::Value(std::string("Madrid")), ib::Value(int32_t{19723})}),
                        FakeFile("/d/p2.parquet", 4, {ib::Value(), ib::Value(int32_t{19000})})};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t1, CommitTableChange(*catalog_, fs_, *t0, c, clock_));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, t1->LiveFiles(std::nullopt));
  ASSERT_EQ(files.size(), 2u);
  for (const auto& f : files) {
    ASSERT_EQ(f.file.partition.size(), 2u);
    if (f.file.file_path == "/d/p1.parquet") {
      EXPECT_EQ(std::get<std::string>(f.file.partition[0]), "Madrid");
      EXPECT_EQ(std::get<int32_t>(f.file.partition[1]), 19723);
    } else {
      EXPECT_TRUE(ib::IsNull(f.file.partition[0]));
    }
  }
  TableChange wrong;
  wrong.added_data_files = {FakeFile("/d/bad.parquet", 1, {ib::Value(std::string("x"))})};
  EXPECT_THAT(CommitTableChange(*catalog_, fs_, *t1, wrong, clock_),
              StatusIs(StatusCode::kInvalidArgument, "partition values"));
}

TEST_F(TableTest, SchemaChangeWithoutFilesIsMetadataOnly) {
  auto t0 = Create();
  TableChange c;
  ib::Schema s = TwoColumns();
  s.fields.push_back(ib::NestedField{4, "added", false, ib::Type::Int(), "", std::nullopt, std::nullopt});
  c.new_schema = s;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t1, CommitTableChange(*catalog_, fs_, *t0, c, clock_));
  EXPECT_EQ(t1->metadata().schemas.size(), 2u);
  EXPECT_EQ(t1->metadata().current_schema_id, 1);
  EXPECT_EQ(t1->metadata().last_column_id, 4);
  EXPECT_TRUE(t1->metadata().snapshots.empty());
}

TEST_F(TableTest, RegisteringADirectoryToleratesAHintThatIsBehindEmptyOrGarbage) {
  // The hint is written without a sync: after a power failure it can be old, empty or torn.
  std::unique_ptr<LakeTable> t = Create();
  for (int i = 1; i <= 3; ++i) {
    TableChange c;
    c.added_data_files = {FakeFile("/d/f" + std::to_string(i) + ".parquet", i)};
    MEDLAKE_ASSERT_OK_AND_ASSIGN(t, CommitTableChange(*catalog_, fs_, *t, c, clock_));
  }
  const std::string hint = t->local_root() + "/metadata/version-hint.text";
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto written, fs_.ReadFile(hint));
  EXPECT_EQ(written, "4");
  int n = 0;
  for (const std::string& bad : {std::string("2"), std::string(""), std::string("4\0\0", 3), std::string("x9"),
                                 std::string("99")}) {
    MEDLAKE_ASSERT_OK(fs_.WriteFileAtomic(hint, bad));
    TableIdentifier id{"raw", "copy" + std::to_string(n++)};
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto copy, RegisterLakeTable(*catalog_, fs_, id, t->local_root()));
    EXPECT_EQ(copy->metadata_location(), t->metadata_location()) << "hint '" << bad << "'";
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, copy->LiveFiles(std::nullopt));
    EXPECT_EQ(LiveRows(files), 6);
  }
}

TEST_F(TableTest, GzipMetadataIsWrittenReadAndRegisteredByItsCodecProperty) {
  std::unique_ptr<LakeTable> t = CreateGzip("gz");
  ASSERT_NE(t, nullptr);
  const TableIdentifier id = t->id();
  const std::string dir = t->local_root() + "/metadata";
  EXPECT_EQ(t->metadata_location(), dir + "/v1.gz.metadata.json");
  for (int i = 1; i <= 40; ++i) {  // past one kept run of 32 snapshots
    TableChange c;
    c.added_data_files = {FakeFile("/d/g" + std::to_string(i) + ".parquet", i)};
    MEDLAKE_ASSERT_OK_AND_ASSIGN(t, CommitTableChange(*catalog_, fs_, *t, c, clock_));
  }
  EXPECT_EQ(t->metadata_location(), dir + "/v41.gz.metadata.json");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string bytes, fs_.ReadFile(t->metadata_location()));
  ASSERT_GE(bytes.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1f);  // gzip, not JSON
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string text, ib::MetadataFileText(bytes));
  EXPECT_EQ(text, ib::SerializeTableMetadata(t->metadata()));
  // Read back through the catalog, and registered from the folder by another name.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto loaded, LakeTable::Load(*catalog_, fs_, id));
  EXPECT_EQ(loaded->metadata(), t->metadata());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, loaded->LiveFiles(std::nullopt));
  EXPECT_EQ(LiveRows(files), 40 * 41 / 2);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto copy, RegisterLakeTable(*catalog_, fs_, {"raw", "gz_copy"}, t->local_root()));
  EXPECT_EQ(copy->metadata_location(), t->metadata_location());
  // Without a usable hint the folder is listed, and compressed names count.
  MEDLAKE_ASSERT_OK(fs_.WriteFileAtomic(dir + "/version-hint.text", "garbage"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto listed, RegisterLakeTable(*catalog_, fs_, {"raw", "gz_listed"}, t->local_root()));
  EXPECT_EQ(listed->metadata_location(), t->metadata_location());

  // Switching the codec off writes plain JSON from the next version on.
  TableChange off;
  off.properties[ib::kMetadataCompressionCodec] = "none";
  off.added_data_files = {FakeFile("/d/plain.parquet", 1)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(t, CommitTableChange(*catalog_, fs_, *t, off, clock_));
  EXPECT_EQ(t->metadata_location(), dir + "/v42.metadata.json");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string plain, fs_.ReadFile(t->metadata_location()));
  EXPECT_EQ(plain, ib::SerializeTableMetadata(t->metadata()));

  // An unknown codec is refused before anything is written.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto before, fs_.ListDirectory(dir));
  TableChange bad;
  bad.properties[ib::kMetadataCompressionCodec] = "zstd";
  bad.added_data_files = {FakeFile("/d/bad.parquet", 1)};
  EXPECT_THAT(CommitTableChange(*catalog_, fs_, *t, bad, clock_),
              StatusIs(StatusCode::kInvalidArgument, ib::kMetadataCompressionCodec));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto after, fs_.ListDirectory(dir));
  EXPECT_EQ(after.size(), before.size());
  CreateTableRequest req;
  req.id = {"raw", "gz_bad"};
  req.schema = TwoColumns();
  req.properties[ib::kMetadataCompressionCodec] = "lz4";
  EXPECT_THAT(CreateLakeTable(*catalog_, fs_, lake_->warehouse_path(), req, clock_),
              StatusIs(StatusCode::kInvalidArgument, "lz4"));
}

TEST_F(TableTest, TheNextLoadAfterACommitSharesTheCommittedMetadata) {
  std::unique_ptr<LakeTable> t = Create();
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto reloaded, LakeTable::Load(*catalog_, fs_, t->id()));  // v1 cached
  const auto entries = ParsedFileCache::Global().stats().entries;
  TableChange c;
  c.added_data_files = {FakeFile("/d/a.parquet", 3)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(t, CommitTableChange(*catalog_, fs_, *t, c, clock_));
  // v2 went in and v1, which it supersedes, went out.
  EXPECT_EQ(ParsedFileCache::Global().stats().entries, entries);
  const auto misses = ParsedFileCache::Global().stats().misses;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto loaded, LakeTable::Load(*catalog_, fs_, t->id()));
  EXPECT_EQ(loaded->shared_metadata().get(), t->shared_metadata().get());  // not read again
  EXPECT_EQ(ParsedFileCache::Global().stats().misses, misses);
  // The file itself holds the same metadata.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string bytes, fs_.ReadFile(t->metadata_location()));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ib::TableMetadata on_disk, ib::ParseMetadataFile(bytes));
  EXPECT_EQ(on_disk, t->metadata());
}

TEST_F(TableTest, AVersionTakenUnderTheOtherCodecsNameIsSkipped) {
  auto t0 = Create();
  const std::string dir = t0->local_root() + "/metadata";
  // A killed writer left version 2 compressed; this table writes plain JSON.
  MEDLAKE_ASSERT_OK(fs_.WriteFileExclusive(dir + "/v2.gz.metadata.json", "left over"));
  TableChange a;
  a.added_data_files = {FakeFile("/d/a.parquet", 1)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto t1, CommitTableChange(*catalog_, fs_, *t0, a, clock_));
  EXPECT_EQ(t1->metadata_location(), dir + "/v3.metadata.json");
}

TEST_F(TableTest, CorruptGzipMetadataIsDataLossNamingTheFile) {
  std::unique_ptr<LakeTable> t = CreateGzip("gz");
  ASSERT_NE(t, nullptr);
  TableChange c;
  c.added_data_files = {FakeFile("/d/a.parquet", 1)};
  MEDLAKE_ASSERT_OK_AND_ASSIGN(t, CommitTableChange(*catalog_, fs_, *t, c, clock_));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string bytes, fs_.ReadFile(t->metadata_location()));
  const std::string path = t->metadata_location();
  MEDLAKE_ASSERT_OK(fs_.WriteFileAtomic(path, bytes.substr(0, bytes.size() - 20)));
  auto loaded = LakeTable::Load(*catalog_, fs_, t->id());
  EXPECT_THAT(loaded, StatusIs(StatusCode::kDataLoss, "truncated"));
  EXPECT_THAT(loaded, StatusIs(StatusCode::kDataLoss, path));
}

// ----------------------------------------------------------------- tables of other engines

std::string Fixture(const std::string& name) {
  return std::string(MEDLAKE_FIXTURES_DIR) + "/iceberg/" + name;
}

class ForeignTableTest : public TableTest {
 protected:
  std::unique_ptr<LakeTable> Register(const std::string& name) {
    auto t = RegisterLakeTable(*catalog_, fs_, {"raw", name}, Fixture(name));
    EXPECT_THAT(t, IsOk());
    return t.ok() ? std::move(*t) : nullptr;
  }
};

TEST_F(ForeignTableTest, LineitemSnapshotsHaveTheStatedRowCounts) {
  auto t = Register("spark_v2_lineitem");
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->moved());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto current, t->LiveFiles(std::nullopt));
  EXPECT_EQ(LiveRows(current), 51793);
  for (const auto& f : current) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(bool exists, fs_.Exists(f.local_path));
    EXPECT_TRUE(exists) << f.local_path;
  }
  const auto& snaps = t->metadata().snapshots;
  ASSERT_EQ(snaps.size(), 2u);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto first, t->LiveFiles(snaps[0].snapshot_id));
  EXPECT_EQ(LiveRows(first), 60175);
  TableChange c;
  c.added_data_files = {FakeFile("/d/x.parquet", 1)};
  EXPECT_THAT(CommitTableChange(*catalog_, fs_, *t, c, clock_),
              StatusIs(StatusCode::kFailedPrecondition, "read-only"));
}

TEST_F(ForeignTableTest, PositionDeleteTableHasItsFiles) {
  auto t = Register("spark_v2_posdeletes");
  ASSERT_NE(t, nullptr);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, t->LiveFiles(std::nullopt));
  int data = 0, deletes = 0;
  int64_t delete_rows = 0;
  for (const auto& f : files) {
    if (f.file.content == ib::DataFileContent::kData) {
      ++data;
    } else {
      ++deletes;
      delete_rows += f.file.record_count;
    }
  }
  EXPECT_EQ(data, 5);
  EXPECT_EQ(LiveRows(files), 18044);
  EXPECT_EQ(deletes, 3);
  EXPECT_EQ(delete_rows, 11452);
}

TEST_F(ForeignTableTest, CatalogStyleMetadataNamesPickTheHighest) {
  auto t = Register("pyiceberg_v2_case_sensitive");
  ASSERT_NE(t, nullptr);
  EXPECT_NE(t->metadata_location().find("00001-"), std::string::npos);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto files, t->LiveFiles(std::nullopt));
  EXPECT_EQ(LiveRows(files), 3);
}

TEST_F(ForeignTableTest, MissingManifestListIsDataLossNamingTheFile) {
  auto t = Register("spark_v2_eqdeletes");
  ASSERT_NE(t, nullptr);
  // The README: the seq-2 snapshot's manifest list is not in the repository.
  std::optional<int64_t> seq2;
  for (const auto& s : t->metadata().snapshots) {
    if (s.sequence_number == 2) seq2 = s.snapshot_id;
  }
  ASSERT_TRUE(seq2.has_value());
  EXPECT_THAT(t->LiveFiles(seq2), StatusIs(StatusCode::kNotFound, "manifest list"));
}

}  // namespace
}  // namespace medlake::storage
