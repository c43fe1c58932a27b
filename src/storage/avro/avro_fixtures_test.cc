// Reads Iceberg manifests and manifest lists written by Spark/Iceberg-Java (deflate) and PyIceberg
// (null codec): the reference tables in MEDLAKE_FIXTURES_DIR/iceberg (see its README.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "storage/avro/avro_container.h"

namespace medlake::storage {
namespace {

const std::string kIceberg = std::string(MEDLAKE_FIXTURES_DIR) + "/iceberg";
const std::string kLineitem = kIceberg + "/spark_v2_lineitem/metadata";
const std::string kPyIceberg = kIceberg + "/pyiceberg_v2_case_sensitive/metadata";

Result<std::unique_ptr<AvroFileReader>> OpenFixture(const std::string& path) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string bytes, LocalFileSystem::Default().ReadFile(path));
  Result<std::unique_ptr<AvroFileReader>> reader = AvroFileReader::Open(std::move(bytes));
  if (!reader.ok())
    return reader.status().WithContext("reading " + path);
  return reader;
}

std::string HexOf(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kDigits[(static_cast<uint8_t>(c) >> 4) & 0xF]);
    out.push_back(kDigits[static_cast<uint8_t>(c) & 0xF]);
  }
  return out;
}

// The value under `key` in an Iceberg map stored as an array of {key, value} records.
const AvroValue* IcebergMapValue(const AvroValue& array, int32_t key) {
  for (const AvroValue& kv : array.items()) {
    if (kv.fields()[0].int_value() == key)
      return &kv.fields()[1];
  }
  return nullptr;
}

int64_t LongField(const AvroNode& schema, const AvroValue& record, std::string_view name) {
  const AvroValue* v = FindRecordField(schema, record, name);
  EXPECT_NE(v, nullptr) << name;
  if (v == nullptr)
    return -1;
  const AvroValue& u = v->Unwrapped();
  return u.type() == AvroType::kInt ? u.int_value() : u.long_value();
}

TEST(AvroFixturesTest, ReadsSparkManifestList) {
  // Snapshot 1 (sequence 1) of lineitem: one manifest adding the 60175-row file.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto reader,
      OpenFixture(kLineitem +
                  "/snap-7817332053627255703-1-787a5996-87e9-4d93-b258-066d524e82cc.avro"));
  EXPECT_EQ(reader->codec(), AvroCodec::kDeflate);
  EXPECT_EQ(*reader->FindMetadata("format-version"), "2");
  EXPECT_EQ(*reader->FindMetadata("snapshot-id"), "7817332053627255703");
  EXPECT_EQ(*reader->FindMetadata("sequence-number"), "1");
  EXPECT_EQ(*reader->FindMetadata("parent-snapshot-id"), "null");

  const AvroNode& schema = reader->schema().root();
  EXPECT_EQ(schema.FullName(), "manifest_file");
  EXPECT_EQ(schema.FindField("added_rows_count")->field_id(), 512);
  EXPECT_EQ(schema.FindFieldById(500)->name, "manifest_path");
  // Java names this field differently from the spec; the id is what matters.
  EXPECT_EQ(schema.FindFieldById(504)->name, "added_data_files_count");
  const AvroNode* partitions = schema.FindFieldById(507)->type->branches[1];
  EXPECT_EQ(partitions->attributes.GetInt("element-id"), 508);
  EXPECT_EQ(partitions->items->FindField("contains_null")->field_id(), 509);

  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> records, reader->ReadAll());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(LongField(schema, records[0], "added_rows_count"), 60175);
  EXPECT_EQ(LongField(schema, records[0], "added_snapshot_id"), 7817332053627255703);
  EXPECT_EQ(LongField(schema, records[0], "sequence_number"), 1);
  EXPECT_EQ(LongField(schema, records[0], "content"), 0);
  EXPECT_EQ(FindRecordFieldById(schema, records[0], 500)->bytes_value(),
            "lineitem_iceberg/metadata/787a5996-87e9-4d93-b258-066d524e82cc-m0.avro");
}

TEST(AvroFixturesTest, ReadsSparkManifestListWithDeletedManifest) {
  // Snapshot 2: the overwrite adds a 51793-row file and deletes the 60175-row one.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto reader,
      OpenFixture(kLineitem +
                  "/snap-2354745328521181395-1-179b4fb1-0366-4f7d-ad35-99ee8da0abf5.avro"));
  const AvroNode& schema = reader->schema().root();
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> records, reader->ReadAll());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(LongField(schema, records[0], "added_rows_count"), 51793);
  EXPECT_EQ(LongField(schema, records[1], "deleted_rows_count"), 60175);
  EXPECT_EQ(LongField(schema, records[1], "sequence_number"), 2);
}

TEST(AvroFixturesTest, ReadsSparkManifest) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto reader, OpenFixture(kLineitem + "/787a5996-87e9-4d93-b258-066d524e82cc-m0.avro"));
  EXPECT_EQ(reader->codec(), AvroCodec::kDeflate);
  EXPECT_EQ(*reader->FindMetadata("format-version"), "2");
  EXPECT_EQ(*reader->FindMetadata("partition-spec"), "[]");
  EXPECT_EQ(*reader->FindMetadata("partition-spec-id"), "0");
  EXPECT_EQ(*reader->FindMetadata("content"), "data");
  EXPECT_NE(reader->FindMetadata("schema")->find("\"l_extendedprice\""), std::string::npos);
  EXPECT_EQ(reader->FindMetadata("schema-id"), nullptr);  // absent in Java's output (README)

  const AvroNode& entry = reader->schema().root();
  EXPECT_EQ(entry.FullName(), "manifest_entry");
  EXPECT_EQ(entry.FindField("status")->field_id(), 0);
  const AvroField* data_file_field = entry.FindFieldById(2);
  ASSERT_NE(data_file_field, nullptr);
  const AvroNode& data_file = *data_file_field->type;
  EXPECT_EQ(data_file.FindField("record_count")->field_id(), 103);
  const AvroNode* upper = data_file.FindFieldById(128)->type->branches[1];
  EXPECT_EQ(upper->logical_type(), "map");
  EXPECT_EQ(upper->items->FindField("key")->field_id(), 129);
  EXPECT_EQ(upper->items->FindField("value")->field_id(), 130);
  EXPECT_EQ(data_file.FindFieldById(132)->type->branches[1]->attributes.GetInt("element-id"), 133);

  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> records, reader->ReadAll());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(LongField(entry, records[0], "status"), 1);  // ADDED
  const AvroValue& df = *FindRecordFieldById(entry, records[0], 2);
  EXPECT_EQ(LongField(data_file, df, "record_count"), 60175);
  EXPECT_EQ(FindRecordField(data_file, df, "file_format")->bytes_value(), "PARQUET");
  // README: decimal(15,2) upper bound 0090e1a6 (94959.74), date lower bound 661f0000 (day 8038).
  const AvroValue& uppers = FindRecordField(data_file, df, "upper_bounds")->Unwrapped();
  const AvroValue& lowers = FindRecordField(data_file, df, "lower_bounds")->Unwrapped();
  ASSERT_NE(IcebergMapValue(uppers, 6), nullptr);
  EXPECT_EQ(HexOf(IcebergMapValue(uppers, 6)->bytes_value()), "0090e1a6");
  ASSERT_NE(IcebergMapValue(lowers, 11), nullptr);
  EXPECT_EQ(HexOf(IcebergMapValue(lowers, 11)->bytes_value()), "661f0000");
}

TEST(AvroFixturesTest, ReadsSparkDeletedEntry) {
  // The overwrite's manifest keeps the old file as status 2 (DELETED), sequence numbers 1/1.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto reader, OpenFixture(kLineitem + "/179b4fb1-0366-4f7d-ad35-99ee8da0abf5-m0.avro"));
  const AvroNode& entry = reader->schema().root();
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> records, reader->ReadAll());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(LongField(entry, records[0], "status"), 2);
  EXPECT_EQ(LongField(entry, records[0], "sequence_number"), 1);
  EXPECT_EQ(LongField(entry, records[0], "file_sequence_number"), 1);
}

TEST(AvroFixturesTest, ReadsPyIcebergFiles) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto list,
      OpenFixture(kPyIceberg +
                  "/snap-5298355539581857556-0-81af3af1-c807-48d2-b022-696b1f81a188.avro"));
  EXPECT_EQ(list->codec(), AvroCodec::kNull);
  EXPECT_EQ(*list->FindMetadata("snapshot-id"), "5298355539581857556");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> manifests, list->ReadAll());
  ASSERT_EQ(manifests.size(), 1u);
  EXPECT_EQ(LongField(list->schema().root(), manifests[0], "added_rows_count"), 3);
  // PyIceberg uses the spec's field names.
  EXPECT_EQ(list->schema().root().FindFieldById(504)->name, "added_files_count");

  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto manifest, OpenFixture(kPyIceberg + "/81af3af1-c807-48d2-b022-696b1f81a188-m0.avro"));
  EXPECT_EQ(manifest->codec(), AvroCodec::kNull);
  EXPECT_EQ(*manifest->FindMetadata("content"), "data");
  EXPECT_EQ(*manifest->FindMetadata("format-version"), "2");
  EXPECT_EQ(*manifest->FindMetadata("partition-spec"), "[]");
  const AvroNode& entry = manifest->schema().root();
  const AvroNode& data_file = *entry.FindFieldById(2)->type;
  EXPECT_EQ(data_file.FindFieldById(132)->type->branches[1]->attributes.GetInt("element-id"), 133);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> entries, manifest->ReadAll());
  ASSERT_EQ(entries.size(), 1u);
  const AvroValue& df = *FindRecordFieldById(entry, entries[0], 2);
  EXPECT_EQ(LongField(data_file, df, "record_count"), 3);
  const AvroValue& uppers = FindRecordFieldById(data_file, df, 128)->Unwrapped();
  EXPECT_EQ(IcebergMapValue(uppers, 2)->bytes_value(), "user_3");
}

// Every Avro file of every fixture table: it decodes, its schema survives a JSON round trip with
// all attributes (compared as JSON values, since writers order keys differently), and rewriting
// it with our writer gives the same records.
TEST(AvroFixturesTest, AllFixtureFilesRoundTrip) {
  std::vector<std::string> paths;
  for (const auto& table : std::filesystem::directory_iterator(kIceberg)) {
    const std::filesystem::path metadata = table.path() / "metadata";
    if (!std::filesystem::is_directory(metadata))
      continue;
    for (const auto& f : std::filesystem::directory_iterator(metadata)) {
      if (f.path().extension() == ".avro")
        paths.push_back(f.path().string());
    }
  }
  ASSERT_GE(paths.size(), 30u);
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto reader, OpenFixture(path));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> records, reader->ReadAll());
    EXPECT_FALSE(records.empty());

    const std::string& original = *reader->FindMetadata("avro.schema");
    const std::string written = reader->schema().ToJson();
    EXPECT_EQ(nlohmann::json::parse(written), nlohmann::json::parse(original));
    if (reader->codec() == AvroCodec::kDeflate) {
      EXPECT_EQ(written, original);  // Java writes keys in our order
    }

    AvroMetadata metadata = reader->metadata();
    metadata.erase("avro.schema");
    metadata.erase("avro.codec");
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string rewritten,
                                 WriteAvroFile(reader->schema(), metadata, records));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto again, AvroFileReader::Open(std::move(rewritten)));
    EXPECT_EQ(again->metadata().size(), reader->metadata().size());
    EXPECT_EQ(*again->FindMetadata("avro.schema"), written);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> back, again->ReadAll());
    EXPECT_EQ(back, records);
  }
}

}  // namespace
}  // namespace medlake::storage
