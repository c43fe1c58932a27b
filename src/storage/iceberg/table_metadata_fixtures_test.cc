// Parses every real metadata file under fixtures/iceberg/*/metadata/ (written by Spark, Iceberg
// Java and PyIceberg) and checks facts stated in fixtures/iceberg/README.md.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "storage/iceberg/table_metadata.h"

#ifndef MEDLAKE_FIXTURES_DIR
#error "MEDLAKE_FIXTURES_DIR must name the shared fixtures directory"
#endif

namespace medlake::storage::iceberg {
namespace {

const std::string kIcebergDir = std::string(MEDLAKE_FIXTURES_DIR) + "/iceberg";

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Every *.metadata.json below kIcebergDir/<table>/metadata/, sorted.
std::vector<std::string> AllMetadataFiles() {
  auto& fs = LocalFileSystem::Default();
  std::vector<std::string> out;
  auto tables = fs.ListDirectory(kIcebergDir);
  if (!tables.ok())
    return out;
  for (const FileInfo& table : *tables) {
    if (!table.is_directory)
      continue;
    std::string dir = JoinPath(JoinPath(kIcebergDir, table.name), "metadata");
    auto files = fs.ListDirectory(dir);
    if (!files.ok())
      continue;
    for (const FileInfo& f : *files) {
      if (EndsWith(f.name, ".metadata.json"))
        out.push_back(JoinPath(dir, f.name));
    }
  }
  return out;
}

Result<TableMetadata> Load(const std::string& table, const std::string& file) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string text, LocalFileSystem::Default().ReadFile(
                                                 kIcebergDir + "/" + table + "/metadata/" + file));
  return ParseTableMetadata(text);
}

TEST(IcebergMetadataFixturesTest, EveryFileParsesAndRoundTrips) {
  std::vector<std::string> files = AllMetadataFiles();
  ASSERT_EQ(files.size(), 26u) << "fixture set changed? (" << kIcebergDir << ")";
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string text, LocalFileSystem::Default().ReadFile(path));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, ParseTableMetadata(text));
    EXPECT_EQ(md.format_version, 2);
    MEDLAKE_EXPECT_OK(CurrentSchema(md));
    MEDLAKE_EXPECT_OK(DefaultPartitionSpec(md));
    if (md.current_snapshot_id) {
      MEDLAKE_EXPECT_OK(CurrentSnapshot(md));
      EXPECT_EQ(md.refs.at("main").snapshot_id, *md.current_snapshot_id);
    }
    std::string written = SerializeTableMetadata(md);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata again, ParseTableMetadata(written));
    EXPECT_EQ(again, md);
    EXPECT_EQ(SerializeTableMetadata(again), written);
  }
}

TEST(IcebergMetadataFixturesTest, SparkPositionDeletesSchemaEvolution) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, Load("spark_v2_posdeletes", "v9.metadata.json"));
  EXPECT_EQ(md.table_uuid, "7c10a28a-8931-4e12-8142-0befc8b0eed7");
  EXPECT_EQ(md.last_sequence_number, 7);
  EXPECT_EQ(md.last_column_id, 16);
  ASSERT_EQ(md.schemas.size(), 3u);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Schema* current, CurrentSchema(md));
  EXPECT_EQ(current->schema_id, 2);
  ASSERT_EQ(current->fields.size(), 16u);
  const NestedField* added = FindFieldById(*current, 16);
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->name, "schema_evol_added_col_1");
  EXPECT_EQ(added->type, Type::Long());
  EXPECT_FALSE(added->required);
  // Added as int in schema 1, promoted int -> long in schema 2.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Schema* before, FindSchema(md, 1));
  EXPECT_EQ(FindFieldById(*before, 16)->type, Type::Int());
  EXPECT_TRUE(CanPromote(FindFieldById(*before, 16)->type, added->type));
  EXPECT_EQ(FindFieldById(*current, 6)->type, Type::Decimal(9, 2));
  EXPECT_EQ(FindFieldById(*current, 7)->type, Type::Decimal(18, 6));
  EXPECT_EQ(FindFieldById(*current, 8)->type, Type::Decimal(38, 10));
  EXPECT_EQ(FindFieldById(*current, 12)->type, Type::TimestampTz());
  EXPECT_EQ(FindFieldById(*current, 15)->type, Type::Binary());
  for (const NestedField& f : current->fields)
    EXPECT_FALSE(f.required) << f.name;
  // Unpartitioned.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const PartitionSpec* spec, DefaultPartitionSpec(md));
  EXPECT_TRUE(spec->is_unpartitioned());
  EXPECT_EQ(md.last_partition_id, 999);
  EXPECT_EQ(md.properties.at("write.update.mode"), "merge-on-read");
  // 7 snapshots; the current one is the UPDATE of sequence 7 written with schema 1.
  ASSERT_EQ(md.snapshots.size(), 7u);
  EXPECT_EQ(md.current_snapshot_id, 4786266686210019019);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Snapshot* snap, CurrentSnapshot(md));
  EXPECT_EQ(snap->sequence_number, 7);
  EXPECT_EQ(snap->operation(), "overwrite");
  EXPECT_EQ(snap->schema_id, 1);
  EXPECT_EQ(snap->summary.at("total-records"), "18044");
  EXPECT_EQ(snap->summary.at("total-position-deletes"), "11452");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto chain, Ancestors(md, snap->snapshot_id));
  ASSERT_EQ(chain.size(), 7u);
  EXPECT_EQ(chain.back()->snapshot_id, 764624380497366583);
  EXPECT_EQ(chain.back()->operation(), "append");
  // Time travel through the snapshot log: sequence 4 became current at 1719580929661.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Snapshot* at, SnapshotAsOf(md, 1719580929661));
  EXPECT_EQ(at->snapshot_id, 6585012225877417653);
  EXPECT_EQ(at->sequence_number, 4);
  EXPECT_THAT(SnapshotAsOf(md, 1719580927569), StatusIs(StatusCode::kNotFound, ""));
  EXPECT_EQ(md.metadata_log.size(), 8u);
}

TEST(IcebergMetadataFixturesTest, SparkPositionDeletesHistory) {
  // v7 adds a column without a new snapshot; v9 promotes it.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata v7, Load("spark_v2_posdeletes", "v7.metadata.json"));
  EXPECT_EQ(v7.current_schema_id, 1);
  EXPECT_EQ(v7.snapshots.size(), 6u);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata v1, Load("spark_v2_posdeletes", "v1.metadata.json"));
  EXPECT_EQ(v1.snapshots.size(), 1u);
  EXPECT_EQ(v1.current_schema_id, 0);
  EXPECT_EQ(v1.schemas[0].fields.size(), 15u);
}

TEST(IcebergMetadataFixturesTest, EqualityDeletesPartitionedByIdentity) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md,
                               Load("spark_v2_eqdeletes_partitioned", "v6.metadata.json"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const PartitionSpec* spec, FindPartitionSpec(md, 0));
  ASSERT_EQ(spec->fields.size(), 1u);
  EXPECT_EQ(spec->fields[0], (PartitionField{2, 1000, "name", Transform::Identity()}));
  EXPECT_EQ(md.last_partition_id, 1000);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Schema* schema, CurrentSchema(md));
  ASSERT_EQ(schema->fields.size(), 3u);
  EXPECT_TRUE(schema->fields[0].required);  // 1 id int required
  EXPECT_EQ(schema->fields[0].type, Type::Int());
  EXPECT_EQ(schema->fields[2].type, Type::Date());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Type partition_type, PartitionType(*spec, *schema));
  EXPECT_EQ(partition_type.fields[0].type, Type::String());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string path,
                               PartitionToPath(*spec, *schema, {Value(std::string("a"))}));
  EXPECT_EQ(path, "name=a");  // the data/name=a/ directories of this table
  EXPECT_EQ(md.snapshots.size(), 5u);
  EXPECT_EQ(md.current_snapshot_id, 3138177759849079112);
  EXPECT_EQ(md.last_sequence_number, 5);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Snapshot* snap, CurrentSnapshot(md));
  EXPECT_EQ(snap->operation(), "delete");
  EXPECT_EQ(snap->summary.at("total-equality-deletes"), "3");
  // The first metadata file is the empty table.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata empty,
                               Load("spark_v2_eqdeletes_partitioned", "v1.metadata.json"));
  EXPECT_FALSE(empty.current_snapshot_id.has_value());
  EXPECT_TRUE(empty.snapshots.empty());
}

TEST(IcebergMetadataFixturesTest, EqualityDeletesWithRollbacksInSnapshotLog) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, Load("spark_v2_eqdeletes", "v7.metadata.json"));
  EXPECT_EQ(md.snapshots.size(), 6u);
  EXPECT_EQ(md.current_snapshot_id, 1916084761853986166);
  // The log has 8 entries for 6 snapshots: sequence 2 and 3 were current twice (rollbacks).
  ASSERT_EQ(md.snapshot_log.size(), 8u);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Snapshot* at, SnapshotAsOf(md, 1758879496330));
  EXPECT_EQ(at->snapshot_id, 7342794868382145167);
  EXPECT_EQ(at->sequence_number, 2);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Snapshot* later, SnapshotAsOf(md, 1758879496403));
  EXPECT_EQ(later->snapshot_id, 7342794868382145167);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Snapshot* after, SnapshotAsOf(md, 1758879496404));
  EXPECT_EQ(after->snapshot_id, 1584331123492059582);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto chain, Ancestors(md, 1916084761853986166));
  EXPECT_EQ(chain.size(), 6u);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Schema* schema, CurrentSchema(md));
  EXPECT_EQ(schema->fields.size(), 3u);
  EXPECT_FALSE(schema->fields[0].required);
}

TEST(IcebergMetadataFixturesTest, SparkLineitem) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, Load("spark_v2_lineitem", "v2.metadata.json"));
  EXPECT_EQ(md.location, "./lineitem_iceberg");
  ASSERT_EQ(md.snapshots.size(), 2u);
  EXPECT_EQ(md.current_snapshot_id, 2354745328521181395);
  MEDLAKE_ASSERT_OK(FindSnapshot(md, 7817332053627255703));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Schema* schema, CurrentSchema(md));
  ASSERT_EQ(schema->fields.size(), 16u);
  EXPECT_EQ(HighestFieldId(*schema), 16);
  EXPECT_EQ(FindFieldByName(*schema, "l_extendedprice")->type, Type::Decimal(15, 2));
  EXPECT_EQ(FindFieldByName(*schema, "l_shipdate")->type, Type::Date());
  EXPECT_EQ(FindFieldByName(*schema, "l_orderkey")->type, Type::Long());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Snapshot* snap, CurrentSnapshot(md));
  EXPECT_EQ(snap->sequence_number, 2);
  EXPECT_EQ(*snap->parent_snapshot_id, 7817332053627255703);
}

TEST(IcebergMetadataFixturesTest, PyIcebergCaseSensitiveNames) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md,
                               Load("pyiceberg_v2_case_sensitive",
                                    "00001-a7a3a44c-4aac-4619-bebd-11be37b27351.metadata.json"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Schema* schema, CurrentSchema(md));
  ASSERT_EQ(schema->fields.size(), 2u);
  const NestedField* user_id = FindFieldByName(*schema, "user_id");
  const NestedField* mixed = FindFieldByName(*schema, "uSeR_Id");
  ASSERT_NE(user_id, nullptr);
  ASSERT_NE(mixed, nullptr);
  EXPECT_EQ(user_id->id, 1);
  EXPECT_TRUE(user_id->required);
  EXPECT_EQ(user_id->type, Type::Long());
  EXPECT_EQ(mixed->id, 2);
  EXPECT_EQ(mixed->type, Type::String());
  EXPECT_EQ(FindFieldByName(*schema, "USER_ID"), nullptr);
  ASSERT_EQ(md.snapshots.size(), 1u);
  EXPECT_EQ(md.current_snapshot_id, 5298355539581857556);
  EXPECT_EQ(md.snapshots[0].summary.at("total-records"), "3");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata empty,
                               Load("pyiceberg_v2_case_sensitive",
                                    "00000-c86b5eba-44ed-4a98-8b59-1b0dc9fac4ff.metadata.json"));
  EXPECT_FALSE(empty.current_snapshot_id.has_value());
  EXPECT_TRUE(empty.refs.empty());
}

}  // namespace
}  // namespace medlake::storage::iceberg
