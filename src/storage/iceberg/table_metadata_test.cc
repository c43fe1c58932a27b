#include "storage/iceberg/table_metadata.h"

#include <gtest/gtest.h>

#include <functional>
#include <thread>
#include <nlohmann/json.hpp>

#include "core/testing/status_matchers.h"

namespace medlake::storage::iceberg {
namespace {

using nlohmann::json;

constexpr int64_t kFirst = 3051729675574597004;
constexpr int64_t kSecond = 3055729675574597004;

// A synthetic v2 document that uses every field of the spec's table.
constexpr const char* kV2 = R"({
  "format-version": 2,
  "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
  "location": "s3://bucket/test/location",
  "last-sequence-number": 34,
  "last-updated-ms": 1602638573590,
  "last-column-id": 3,
  "current-schema-id": 1,
  "schemas": [
    {"type": "struct", "schema-id": 0,
     "fields": [{"id": 1, "name": "x", "required": true, "type": "long"}]},
    {"type": "struct", "schema-id": 1, "identifier-field-ids": [1, 2], "fields": [
      {"id": 1, "name": "x", "required": true, "type": "long"},
      {"id": 2, "name": "y", "required": true, "type": "long", "doc": "comment"},
      {"id": 3, "name": "z", "required": true, "type": "long"}]}
  ],
  "default-spec-id": 0,
  "partition-specs": [{"spec-id": 0, "fields": [
    {"name": "x", "transform": "identity", "source-id": 1, "field-id": 1000}]}],
  "last-partition-id": 1000,
  "default-sort-order-id": 3,
  "sort-orders": [{"order-id": 3, "fields": [
    {"transform": "identity", "source-id": 2, "direction": "asc", "null-order": "nulls-first"},
    {"transform": "bucket[4]", "source-id": 3, "direction": "desc", "null-order": "nulls-last"}]}],
  "properties": {"write.format.default": "parquet", "commit.retry.num-retries": "4"},
  "current-snapshot-id": 3055729675574597004,
  "snapshots": [
    {"snapshot-id": 3051729675574597004, "timestamp-ms": 1515100955770, "sequence-number": 0,
     "summary": {"operation": "append"}, "manifest-list": "s3://a/b/1.avro"},
    {"snapshot-id": 3055729675574597004, "parent-snapshot-id": 3051729675574597004,
     "timestamp-ms": 1555100955770, "sequence-number": 1,
     "summary": {"operation": "append", "added-records": "4"},
     "manifest-list": "s3://a/b/2.avro", "schema-id": 1}
  ],
  "snapshot-log": [
    {"snapshot-id": 3051729675574597004, "timestamp-ms": 1515100955770},
    {"snapshot-id": 3055729675574597004, "timestamp-ms": 1555100955770}],
  "metadata-log": [{"metadata-file": "s3://bucket/test/location/metadata/v1.json",
                    "timestamp-ms": 1515100955000}],
  "refs": {
    "main": {"snapshot-id": 3055729675574597004, "type": "branch"},
    "audit": {"snapshot-id": 3051729675574597004, "type": "tag", "max-ref-age-ms": 10000000},
    "dev": {"snapshot-id": 3051729675574597004, "type": "branch", "min-snapshots-to-keep": 2,
            "max-snapshot-age-ms": 5000}},
  "statistics": [{"snapshot-id": 3055729675574597004,
    "statistics-path": "s3://a/b/stats.puffin", "file-size-in-bytes": 413,
    "file-footer-size-in-bytes": 42, "blob-metadata": [{"type": "apache-datasketches-theta-v1",
      "snapshot-id": 3055729675574597004, "sequence-number": 1, "fields": [1],
      "properties": {"ndv": "3"}}]}],
  "partition-statistics": [{"snapshot-id": 3055729675574597004,
    "statistics-path": "s3://a/b/partition-stats.parquet", "file-size-in-bytes": 43}]
})";

// kV2 with `edit` applied to its JSON.
std::string Edited(const std::function<void(json&)>& edit) {
  json doc = json::parse(kV2);
  edit(doc);
  return doc.dump();
}

TEST(IcebergTableMetadataTest, ParsesEveryField) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, ParseTableMetadata(kV2));
  EXPECT_EQ(md.format_version, 2);
  EXPECT_EQ(md.table_uuid, "9c12d441-03fe-4693-9a96-a0705ddf69c1");
  EXPECT_EQ(md.location, "s3://bucket/test/location");
  EXPECT_EQ(md.last_sequence_number, 34);
  EXPECT_EQ(md.last_updated_ms, 1602638573590);
  EXPECT_EQ(md.last_column_id, 3);
  ASSERT_EQ(md.schemas.size(), 2u);
  EXPECT_EQ(md.current_schema_id, 1);
  EXPECT_EQ(md.schemas[1].identifier_field_ids, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(md.schemas[1].fields[1].doc, "comment");
  ASSERT_EQ(md.partition_specs.size(), 1u);
  EXPECT_EQ(md.partition_specs[0].fields[0], (PartitionField{1, 1000, "x", Transform::Identity()}));
  EXPECT_EQ(md.default_spec_id, 0);
  EXPECT_EQ(md.last_partition_id, 1000);
  ASSERT_EQ(md.sort_orders.size(), 1u);
  EXPECT_EQ(md.default_sort_order_id, 3);
  EXPECT_EQ(md.sort_orders[0].fields[1].transform, Transform::Bucket(4));
  EXPECT_EQ(md.sort_orders[0].fields[1].direction, SortDirection::kDesc);
  EXPECT_EQ(md.sort_orders[0].fields[1].null_order, NullOrder::kNullsLast);
  EXPECT_EQ(md.properties.at("commit.retry.num-retries"), "4");
  EXPECT_EQ(md.current_snapshot_id, kSecond);
  ASSERT_EQ(md.snapshots.size(), 2u);
  EXPECT_FALSE(md.snapshots[0].parent_snapshot_id.has_value());
  EXPECT_EQ(md.snapshots[1].parent_snapshot_id, kFirst);
  EXPECT_EQ(md.snapshots[1].sequence_number, 1);
  EXPECT_EQ(md.snapshots[1].operation(), "append");
  EXPECT_EQ(md.snapshots[1].summary.at("added-records"), "4");
  EXPECT_EQ(md.snapshots[1].manifest_list, "s3://a/b/2.avro");
  EXPECT_EQ(md.snapshots[1].schema_id, 1);
  EXPECT_FALSE(md.snapshots[0].schema_id.has_value());
  ASSERT_EQ(md.snapshot_log.size(), 2u);
  ASSERT_EQ(md.metadata_log.size(), 1u);
  EXPECT_EQ(md.metadata_log[0].timestamp_ms, 1515100955000);
  ASSERT_EQ(md.refs.size(), 3u);
  EXPECT_EQ(md.refs.at("audit").type, SnapshotRefType::kTag);
  EXPECT_EQ(md.refs.at("audit").max_ref_age_ms, 10000000);
  EXPECT_EQ(md.refs.at("dev").min_snapshots_to_keep, 2);
  EXPECT_EQ(md.refs.at("dev").max_snapshot_age_ms, 5000);
  ASSERT_EQ(md.statistics.size(), 1u);
  EXPECT_EQ(md.statistics[0].file_footer_size_in_bytes, 42);
  EXPECT_EQ(md.statistics[0].blob_metadata[0].fields, std::vector<int32_t>{1});
  EXPECT_EQ(md.statistics[0].blob_metadata[0].properties.at("ndv"), "3");
  ASSERT_EQ(md.partition_statistics.size(), 1u);
  EXPECT_EQ(md.partition_statistics[0].file_size_in_bytes, 43);
}

TEST(IcebergTableMetadataTest, LookupHelpers) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, ParseTableMetadata(kV2));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Schema* current, CurrentSchema(md));
  EXPECT_EQ(current->schema_id, 1);
  EXPECT_EQ(current->fields.size(), 3u);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Schema* first, FindSchema(md, 0));
  EXPECT_EQ(first->fields.size(), 1u);
  EXPECT_THAT(FindSchema(md, 7), StatusIs(StatusCode::kNotFound, "no schema with id 7"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const PartitionSpec* spec, DefaultPartitionSpec(md));
  EXPECT_EQ(spec->spec_id, 0);
  EXPECT_THAT(FindPartitionSpec(md, 1), StatusIs(StatusCode::kNotFound, "partition spec"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const SortOrder* order, FindSortOrder(md, 3));
  EXPECT_EQ(order->fields.size(), 2u);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(const Snapshot* snap, CurrentSnapshot(md));
  EXPECT_EQ(snap->snapshot_id, kSecond);
  EXPECT_THAT(FindSnapshot(md, 1), StatusIs(StatusCode::kNotFound, "no snapshot with id 1"));
}

TEST(IcebergTableMetadataTest, SnapshotAsOfUsesSnapshotLog) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, ParseTableMetadata(kV2));
  auto id_at = [&](int64_t t) -> int64_t {
    auto s = SnapshotAsOf(md, t);
    return s.ok() ? (*s)->snapshot_id : -1;
  };
  EXPECT_EQ(id_at(1515100955770), kFirst);
  EXPECT_EQ(id_at(1555100955769), kFirst);
  EXPECT_EQ(id_at(1555100955770), kSecond);
  EXPECT_EQ(id_at(9000000000000), kSecond);
  EXPECT_THAT(SnapshotAsOf(md, 1515100955769),
              StatusIs(StatusCode::kNotFound, "no snapshot was current"));
  // An entry whose snapshot expired is reported, not silently skipped.
  md.snapshots.erase(md.snapshots.begin());
  EXPECT_THAT(SnapshotAsOf(md, 1515100955770), StatusIs(StatusCode::kNotFound, "expired"));
}

TEST(IcebergTableMetadataTest, AncestorsFollowParents) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, ParseTableMetadata(kV2));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto chain, Ancestors(md, kSecond));
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0]->snapshot_id, kSecond);
  EXPECT_EQ(chain[1]->snapshot_id, kFirst);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto root, Ancestors(md, kFirst));
  EXPECT_EQ(root.size(), 1u);
  EXPECT_THAT(Ancestors(md, 42), StatusIs(StatusCode::kNotFound, "42"));
  // History stops at an expired parent.
  md.snapshots.erase(md.snapshots.begin());
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto cut, Ancestors(md, kSecond));
  EXPECT_EQ(cut.size(), 1u);
  // A corrupt parent cycle is reported.
  md.snapshots.Edit(0, [](Snapshot& s) { s.parent_snapshot_id = kSecond; });
  EXPECT_THAT(Ancestors(md, kSecond), StatusIs(StatusCode::kDataLoss, "cycle"));
}

TEST(IcebergTableMetadataTest, RoundTripIsLosslessAndDeterministic) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, ParseTableMetadata(kV2));
  std::string written = SerializeTableMetadata(md);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata again, ParseTableMetadata(written));
  EXPECT_EQ(again, md);
  EXPECT_EQ(SerializeTableMetadata(again), written);
  EXPECT_EQ(written.rfind("{\"format-version\":2,\"table-uuid\":", 0), 0u) << written;
  EXPECT_EQ(written.back(), '\n');
  EXPECT_EQ(written.find('\n'), written.size() - 1) << "compact, one line";
  // Maps are written sorted whatever the input order.
  EXPECT_LT(written.find("commit.retry.num-retries"), written.find("write.format.default"));
  // The text equals what the JSON library would write for the same document (same keys in the
  // same order, same values): the snapshot parts are written by hand, not by the library.
  json doc = json::parse(written);
  EXPECT_EQ(json::parse(kV2)["snapshots"], doc["snapshots"]);
  EXPECT_EQ(json::parse(kV2)["snapshot-log"], doc["snapshot-log"]);
  EXPECT_EQ(json::parse(kV2)["metadata-log"], doc["metadata-log"]);
  nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(written);
  EXPECT_EQ(ordered.dump() + "\n", written);
}

TEST(IcebergTableMetadataTest, StringsThatNeedEscapingRoundTrip) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, ParseTableMetadata(kV2));
  const std::string tricky = std::string("q\"b\\s\x01" "c\nn\u00e9\u6f22\x7f" "/end");
  md.snapshots.Edit(0, [&](Snapshot& s) {
    s.manifest_list = "s3://b/" + tricky + ".avro";
    s.summary["k\"" + tricky] = tricky;
  });
  md.metadata_log.push_back(MetadataLogEntry{7, "/m/" + tricky});
  std::string written = SerializeTableMetadata(md);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata again, ParseTableMetadata(written));
  EXPECT_EQ(again, md);
  nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(written);
  EXPECT_EQ(ordered.dump() + "\n", written);
  // Invalid UTF-8 is replaced (U+FFFD) as the JSON library's dump does, never written raw.
  md.snapshots.Edit(0, [](Snapshot& s) { s.summary["bad"] = std::string("a\xff\xfe" "b"); });
  written = SerializeTableMetadata(md);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(again, ParseTableMetadata(written));
  EXPECT_EQ(again.snapshots[0].summary.at("bad"), "a\xef\xbf\xbd\xef\xbf\xbd" "b");
}

TEST(IcebergTableMetadataTest, CopiesShareSnapshotsButNeverSeeEachOthersChanges) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, ParseTableMetadata(kV2));
  ASSERT_EQ(md.snapshots.size(), 2u);
  TableMetadata copy = md;
  EXPECT_EQ(&copy.snapshots[0], &md.snapshots[0]);  // shared, not copied
  EXPECT_EQ(copy, md);
  copy.snapshots.Edit(0, [](Snapshot& s) { s.summary["operation"] = "overwrite"; });
  EXPECT_NE(&copy.snapshots[0], &md.snapshots[0]);
  EXPECT_EQ(md.snapshots[0].operation(), "append");
  EXPECT_EQ(copy.snapshots[0].operation(), "overwrite");
  EXPECT_NE(copy, md);
  // Equal contents at different addresses compare equal.
  TableMetadata other = md;
  other.snapshots.Edit(1, [](Snapshot&) {});
  EXPECT_NE(&other.snapshots[1], &md.snapshots[1]);
  EXPECT_EQ(other, md);
  EXPECT_EQ(copy.snapshots.RemoveIf([](const Snapshot& s) { return s.snapshot_id == kFirst; }), 1u);
  EXPECT_EQ(md.snapshots.size(), 2u);
  ASSERT_EQ(copy.snapshots.size(), 1u);
  EXPECT_EQ(copy.snapshots.front().snapshot_id, kSecond);
  copy.snapshots.push_back(md.snapshots[0]);
  EXPECT_EQ(copy.snapshots.back().snapshot_id, kFirst);
  EXPECT_EQ(copy.snapshots.end() - copy.snapshots.begin(), 2);
  // The kept JSON text follows edits: an edited snapshot is written with its new values.
  TableMetadata edited = md;
  const std::string before = SerializeTableMetadata(edited);
  EXPECT_EQ(&edited.snapshots.Json(0), &md.snapshots.Json(0));  // shared text
  edited.snapshots.Edit(0, [](Snapshot& s) { s.summary["added-records"] = "77"; });
  const std::string after = SerializeTableMetadata(edited);
  EXPECT_EQ(before.find("\"77\""), std::string::npos);
  EXPECT_NE(after.find("\"added-records\":\"77\""), std::string::npos);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata reread, ParseTableMetadata(after));
  EXPECT_EQ(reread, edited);
  EXPECT_EQ(SerializeTableMetadata(md), before);
}

TEST(IcebergTableMetadataTest, CopiesOnManyThreadsWriteTheSameText) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, ParseTableMetadata(kV2));
  for (int i = 0; i < 200; ++i) {
    Snapshot s = md.snapshots.back();
    s.parent_snapshot_id = s.snapshot_id;
    s.snapshot_id += 1 + i;
    md.snapshots.push_back(s);
  }
  const TableMetadata shared = md;  // its snapshots' text is not written yet
  std::vector<std::string> texts(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < texts.size(); ++t) {
    threads.emplace_back([&, t] {
      TableMetadata copy = shared;
      texts[t] = SerializeTableMetadata(copy);
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& text : texts) EXPECT_EQ(text, texts[0]);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata back, ParseTableMetadata(texts[0]));
  EXPECT_EQ(back, md);
}

TEST(IcebergTableMetadataTest, EmptyTableHasNoCurrentSnapshot) {
  std::string doc = Edited([](json& d) {
    d["current-snapshot-id"] = -1;  // Java's "none" (Appendix F)
    d.erase("refs");
    d.erase("snapshots");
    d.erase("snapshot-log");
    d.erase("statistics");
    d.erase("partition-statistics");
  });
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, ParseTableMetadata(doc));
  EXPECT_FALSE(md.current_snapshot_id.has_value());
  EXPECT_TRUE(md.refs.empty());
  EXPECT_THAT(CurrentSnapshot(md), StatusIs(StatusCode::kNotFound, "no snapshot"));
  EXPECT_THAT(SnapshotAsOf(md, 1), StatusIs(StatusCode::kNotFound, ""));
  std::string written = SerializeTableMetadata(md);
  EXPECT_NE(written.find("\"current-snapshot-id\":-1"), std::string::npos);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata again, ParseTableMetadata(written));
  EXPECT_EQ(again, md);
}

TEST(IcebergTableMetadataTest, AddsMainBranchWhenRefsAreAbsent) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md,
                               ParseTableMetadata(Edited([](json& d) { d.erase("refs"); })));
  ASSERT_EQ(md.refs.size(), 1u);
  EXPECT_EQ(md.refs.at("main").snapshot_id, kSecond);
  EXPECT_EQ(md.refs.at("main").type, SnapshotRefType::kBranch);
}

TEST(IcebergTableMetadataTest, MissingRequiredFieldsAreDataLoss) {
  for (const char* key :
       {"format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms",
        "last-column-id", "schemas", "current-schema-id", "partition-specs", "default-spec-id",
        "last-partition-id", "sort-orders", "default-sort-order-id"}) {
    std::string doc = Edited([&](json& d) { d.erase(key); });
    EXPECT_THAT(
        ParseTableMetadata(doc),
        StatusIs(StatusCode::kDataLoss, std::string("missing required field '") + key + "'"))
        << key;
  }
}

TEST(IcebergTableMetadataTest, MissingNestedRequiredFieldsAreDataLoss) {
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["snapshots"][0].erase("manifest-list"); })),
              StatusIs(StatusCode::kDataLoss,
                       "snapshot 3051729675574597004: missing required field 'manifest-list'"));
  EXPECT_THAT(
      ParseTableMetadata(Edited([](json& d) { d["snapshots"][0].erase("sequence-number"); })),
      StatusIs(StatusCode::kDataLoss, "'sequence-number'"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["snapshots"][0].erase("summary"); })),
              StatusIs(StatusCode::kDataLoss, "'summary'"));
  EXPECT_THAT(
      ParseTableMetadata(Edited([](json& d) { d["snapshots"][0]["summary"].erase("operation"); })),
      StatusIs(StatusCode::kDataLoss, "summary is missing required key 'operation'"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["schemas"][1].erase("schema-id"); })),
              StatusIs(StatusCode::kDataLoss, "'schema-id'"));
  EXPECT_THAT(ParseTableMetadata(
                  Edited([](json& d) { d["partition-specs"][0]["fields"][0].erase("field-id"); })),
              StatusIs(StatusCode::kDataLoss, "'field-id'"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["refs"]["dev"].erase("type"); })),
              StatusIs(StatusCode::kDataLoss, "ref 'dev': missing required field 'type'"));
  EXPECT_THAT(ParseTableMetadata(
                  Edited([](json& d) { d["statistics"][0].erase("file-footer-size-in-bytes"); })),
              StatusIs(StatusCode::kDataLoss, "'file-footer-size-in-bytes'"));
}

TEST(IcebergTableMetadataTest, WrongJsonTypesAreDataLoss) {
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["last-column-id"] = "3"; })),
              StatusIs(StatusCode::kDataLoss, "field 'last-column-id' must be an integer"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["location"] = 5; })),
              StatusIs(StatusCode::kDataLoss, "field 'location' must be a string"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["schemas"] = json::object(); })),
              StatusIs(StatusCode::kDataLoss, "'schemas' must be a JSON array"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["properties"]["x"] = 1; })),
              StatusIs(StatusCode::kDataLoss, "'properties.x' must be a string"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["snapshots"][0]["snapshot-id"] = 1.5; })),
              StatusIs(StatusCode::kDataLoss, "field 'snapshot-id' must be an integer"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["last-column-id"] = 4294967296LL; })),
              StatusIs(StatusCode::kDataLoss, "32-bit"));
  EXPECT_THAT(
      ParseTableMetadata(Edited([](json& d) { d["schemas"][0]["fields"][0]["type"] = "varchar"; })),
      StatusIs(StatusCode::kDataLoss, "unsupported Iceberg type: 'varchar'"));
  EXPECT_THAT(ParseTableMetadata("{\"format-version\": 2"),
              StatusIs(StatusCode::kDataLoss, "table metadata: not valid JSON"));
  EXPECT_THAT(ParseTableMetadata("[]"), StatusIs(StatusCode::kDataLoss, "JSON object"));
  EXPECT_THAT(ParseTableMetadata(""), StatusIs(StatusCode::kDataLoss, "not valid JSON"));
}

TEST(IcebergTableMetadataTest, RejectsUnsupportedFormatVersions) {
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["format-version"] = 3; })),
              StatusIs(StatusCode::kUnimplemented, "format-version 3 is not supported"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["format-version"] = 0; })),
              StatusIs(StatusCode::kUnimplemented, "format-version 0"));
}

TEST(IcebergTableMetadataTest, RejectsDanglingIds) {
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["current-schema-id"] = 9; })),
              StatusIs(StatusCode::kDataLoss, "current-schema-id 9 is not in 'schemas'"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["default-spec-id"] = 5; })),
              StatusIs(StatusCode::kDataLoss, "default-spec-id 5"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["default-sort-order-id"] = 0; })),
              StatusIs(StatusCode::kDataLoss, "default-sort-order-id 0"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["current-snapshot-id"] = 7; })),
              StatusIs(StatusCode::kDataLoss, "current-snapshot-id 7 is not in 'snapshots'"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["refs"]["dev"]["snapshot-id"] = 8; })),
              StatusIs(StatusCode::kDataLoss, "ref 'dev' names snapshot 8"));
  EXPECT_THAT(
      ParseTableMetadata(Edited([](json& d) { d["refs"]["main"]["snapshot-id"] = kFirst; })),
      StatusIs(StatusCode::kDataLoss, "does not match the 'main' branch"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["schemas"][0]["schema-id"] = 1; })),
              StatusIs(StatusCode::kDataLoss, "schema-id 1 is listed twice"));
  EXPECT_THAT(
      ParseTableMetadata(Edited([](json& d) { d["snapshots"].push_back(d["snapshots"][0]); })),
      StatusIs(StatusCode::kDataLoss, "snapshot-id 3051729675574597004 is listed twice"));
}

TEST(IcebergTableMetadataTest, TransformsAndSortFields) {
  // Unknown transforms are kept (spec: readers ignore them) and written back unchanged.
  std::string unknown = Edited([](json& d) {
    d["partition-specs"][0]["fields"][0]["transform"] = "zorder";
    d["sort-orders"][0]["fields"][0]["transform"] = "hilbert[3]";
  });
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, ParseTableMetadata(unknown));
  EXPECT_EQ(md.partition_specs[0].fields[0].transform.kind, TransformKind::kUnknown);
  EXPECT_EQ(md.sort_orders[0].fields[0].transform.unknown_name, "hilbert[3]");
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata again, ParseTableMetadata(SerializeTableMetadata(md)));
  EXPECT_EQ(again, md);

  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) {
                d["partition-specs"][0]["fields"][0]["transform"] = "bucket[0]";
              })),
              StatusIs(StatusCode::kDataLoss, "partition spec 0 field 'x': transform 'bucket[0]'"));
  EXPECT_THAT(ParseTableMetadata(
                  Edited([](json& d) { d["sort-orders"][0]["fields"][0]["direction"] = "up"; })),
              StatusIs(StatusCode::kDataLoss, "'direction' must be \"asc\" or \"desc\""));
  EXPECT_THAT(ParseTableMetadata(Edited(
                  [](json& d) { d["sort-orders"][0]["fields"][0]["null-order"] = "first"; })),
              StatusIs(StatusCode::kDataLoss, "'null-order'"));
  EXPECT_THAT(ParseTableMetadata(Edited([](json& d) { d["refs"]["dev"]["type"] = "twig"; })),
              StatusIs(StatusCode::kDataLoss, "\"branch\" or \"tag\""));
}

// A v1 document as early Java writers produced it.
constexpr const char* kV1 = R"({
  "format-version": 1,
  "location": "s3://bucket/test/v1",
  "last-updated-ms": 1602638573874,
  "last-column-id": 3,
  "schema": {"type": "struct", "fields": [
    {"id": 1, "name": "x", "required": true, "type": "long"},
    {"id": 2, "name": "y", "required": true, "type": "long"},
    {"id": 3, "name": "z", "required": true, "type": "long"}]},
  "partition-spec": [
    {"name": "x", "transform": "identity", "source-id": 1},
    {"name": "y_bucket", "transform": "bucket[8]", "source-id": 2}],
  "properties": {},
  "current-snapshot-id": 9,
  "snapshots": [{"snapshot-id": 9, "timestamp-ms": 1515100955770,
                 "manifests": ["s3://a/m1.avro", "s3://a/m2.avro"]}]
})";

TEST(IcebergTableMetadataTest, UpgradesV1AsAppendixESays) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata md, ParseTableMetadata(kV1));
  EXPECT_EQ(md.format_version, 1);
  EXPECT_EQ(md.table_uuid, "");
  EXPECT_EQ(md.last_sequence_number, 0);
  ASSERT_EQ(md.schemas.size(), 1u);
  EXPECT_EQ(md.schemas[0].schema_id, 0);
  EXPECT_EQ(md.current_schema_id, 0);
  ASSERT_EQ(md.partition_specs.size(), 1u);
  EXPECT_EQ(md.default_spec_id, 0);
  EXPECT_EQ(md.partition_specs[0].fields[0].field_id, 1000);
  EXPECT_EQ(md.partition_specs[0].fields[1].field_id, 1001);
  EXPECT_EQ(md.partition_specs[0].fields[1].transform, Transform::Bucket(8));
  EXPECT_EQ(md.last_partition_id, 1001);
  ASSERT_EQ(md.sort_orders.size(), 1u);
  EXPECT_TRUE(md.sort_orders[0].is_unsorted());
  EXPECT_EQ(md.default_sort_order_id, 0);
  ASSERT_EQ(md.snapshots.size(), 1u);
  EXPECT_EQ(md.snapshots[0].sequence_number, 0);
  EXPECT_EQ(md.snapshots[0].manifests.size(), 2u);
  EXPECT_TRUE(md.snapshots[0].manifest_list.empty());
  EXPECT_EQ(md.refs.at("main").snapshot_id, 9);

  std::string written = SerializeTableMetadata(md);
  EXPECT_NE(written.find("\"schema\":"), std::string::npos);
  EXPECT_NE(written.find("\"partition-spec\":"), std::string::npos);
  EXPECT_EQ(written.find("sequence-number"), std::string::npos);
  EXPECT_NE(written.find("\"manifests\":"), std::string::npos);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata again, ParseTableMetadata(written));
  EXPECT_EQ(again, md);
}

TEST(IcebergTableMetadataTest, V1NeedsASchema) {
  json doc = json::parse(kV1);
  doc.erase("schema");
  EXPECT_THAT(ParseTableMetadata(doc.dump()),
              StatusIs(StatusCode::kDataLoss, "missing required field 'schemas'"));
  doc = json::parse(kV1);
  doc["snapshots"][0].erase("manifests");
  EXPECT_THAT(ParseTableMetadata(doc.dump()),
              StatusIs(StatusCode::kDataLoss, "needs 'manifest-list' or 'manifests'"));
}

}  // namespace
}  // namespace medlake::storage::iceberg
