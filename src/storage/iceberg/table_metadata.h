// storage/iceberg/table_metadata.h: Iceberg table metadata files (spec "Table Metadata",
// Appendix C "Table Metadata and Snapshots", Appendix E "Version 2").
//
// Part of the Iceberg v2 model in storage/iceberg/. `TableMetadata` mirrors the JSON document
// `<table>/metadata/*.metadata.json` field by field. ParseTableMetadata reads format versions 1
// and 2; v1 documents are upgraded in memory as Appendix E says (last-sequence-number and snapshot
// sequence numbers default to 0, "schema"/"partition-spec" become one-element "schemas" /
// "partition-specs", partition field ids are assigned from 1000, sort orders default to the
// unsorted order) while `format_version` stays 1 so that writers know what they read.
// SerializeTableMetadata writes a deterministic document (fixed key order, sorted maps).
//
// The v3 fields (next-row-id, encryption-keys, snapshot first-row-id, ...) are out of scope:
// format-version 3 is rejected with Unimplemented.
//
// Thread-safety: values; the lookup helpers only read. Share a parsed metadata between threads
// as std::shared_ptr<const TableMetadata> (STYLE.md section 5).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/iceberg/partition.h"
#include "storage/iceberg/schema.h"
#include "storage/iceberg/snapshot.h"
#include "storage/iceberg/sort_order.h"

namespace medlake::storage::iceberg {

inline constexpr int kMaxSupportedFormatVersion = 2;

// One entry of "snapshot-log": the snapshot that became current at timestamp-ms.
struct SnapshotLogEntry {
  int64_t timestamp_ms = 0;
  int64_t snapshot_id = 0;
  bool operator==(const SnapshotLogEntry& o) const {
    return timestamp_ms == o.timestamp_ms && snapshot_id == o.snapshot_id;
  }
};

// One entry of "metadata-log": a previous metadata file and when it was replaced.
struct MetadataLogEntry {
  int64_t timestamp_ms = 0;
  std::string metadata_file;
  bool operator==(const MetadataLogEntry& o) const {
    return timestamp_ms == o.timestamp_ms && metadata_file == o.metadata_file;
  }
};

// Blob metadata of a statistics file (spec "Table Statistics").
struct BlobMetadata {
  std::string type;
  int64_t snapshot_id = 0;
  int64_t sequence_number = 0;
  std::vector<int32_t> fields;
  std::map<std::string, std::string> properties;
  bool operator==(const BlobMetadata& o) const {
    return type == o.type && snapshot_id == o.snapshot_id && sequence_number == o.sequence_number &&
           fields == o.fields && properties == o.properties;
  }
};

// An entry of "statistics": a Puffin file of table statistics for one snapshot.
struct StatisticsFile {
  int64_t snapshot_id = 0;
  std::string statistics_path;
  int64_t file_size_in_bytes = 0;
  int64_t file_footer_size_in_bytes = 0;
  std::optional<std::string> key_metadata;  // base64 text as stored
  std::vector<BlobMetadata> blob_metadata;
  bool operator==(const StatisticsFile& o) const {
    return snapshot_id == o.snapshot_id && statistics_path == o.statistics_path &&
           file_size_in_bytes == o.file_size_in_bytes &&
           file_footer_size_in_bytes == o.file_footer_size_in_bytes &&
           key_metadata == o.key_metadata && blob_metadata == o.blob_metadata;
  }
};

// An entry of "partition-statistics" (spec "Partition Statistics").
struct PartitionStatisticsFile {
  int64_t snapshot_id = 0;
  std::string statistics_path;
  int64_t file_size_in_bytes = 0;
  bool operator==(const PartitionStatisticsFile& o) const {
    return snapshot_id == o.snapshot_id && statistics_path == o.statistics_path &&
           file_size_in_bytes == o.file_size_in_bytes;
  }
};

// The table metadata document, with the spec's field names.
struct TableMetadata {
  int format_version = 2;
  std::string table_uuid;  // required in v2; may be empty for v1 tables
  std::string location;
  int64_t last_sequence_number = 0;
  int64_t last_updated_ms = 0;
  int32_t last_column_id = 0;
  std::vector<Schema> schemas;
  int32_t current_schema_id = 0;
  std::vector<PartitionSpec> partition_specs;
  int32_t default_spec_id = 0;
  int32_t last_partition_id = kPartitionDataIdStart - 1;
  std::map<std::string, std::string> properties;
  // Absent when the table has no current snapshot (Java's -1 is read as absent).
  std::optional<int64_t> current_snapshot_id;
  SnapshotList snapshots;  // shared between copies (snapshot.h)
  std::vector<SnapshotLogEntry> snapshot_log;
  std::vector<MetadataLogEntry> metadata_log;
  std::vector<SortOrder> sort_orders;
  int32_t default_sort_order_id = kUnsortedOrderId;
  // Branches and tags by name. When a document has no "refs" but a current snapshot, the parser
  // adds the "main" branch pointing at it (spec: "Always a main branch reference").
  std::map<std::string, SnapshotRef> refs;
  std::vector<StatisticsFile> statistics;
  std::vector<PartitionStatisticsFile> partition_statistics;

  bool operator==(const TableMetadata& o) const;
  bool operator!=(const TableMetadata& o) const { return !(*this == o); }
};

// Parses a table metadata JSON document.
// Errors: Unimplemented if format-version is not 1 or 2; DataLoss (naming the field) if the text
// is not JSON, a required field is missing, a field has the wrong JSON type, a type or transform
// is malformed, or the ids do not line up (current-schema-id, default-spec-id,
// default-sort-order-id, current-snapshot-id or a ref naming something that is not listed;
// duplicate schema, spec, order or snapshot ids). Takes JSON text: a file's bytes, which may be
// gzip, go through ParseMetadataFile (metadata_file.h).
Result<TableMetadata> ParseTableMetadata(std::string_view json);

// Serializes `metadata` as compact JSON with a trailing newline (as Java writes it: no indentation,
// which at 10,000 snapshots is a third of a pretty-printed file's bytes). The key order
// is fixed and maps are sorted, so equal metadata gives identical bytes. Version 2 documents carry
// every field the spec requires; version 1 documents are written per Appendix E (no sequence
// numbers, plus the deprecated "schema" and "partition-spec"). A missing current snapshot is
// written as -1, as Java does for v1/v2. Does not validate: serialize only what parses.
std::string SerializeTableMetadata(const TableMetadata& metadata);

// Removes the snapshots `ids` (expiry): their entries in "snapshots" and "snapshot-log", and the
// parent links of snapshots whose parent is removed. Refs are left to the caller.
void RemoveSnapshots(TableMetadata* metadata, const std::set<int64_t>& ids);

// Lookups. Returned pointers borrow from `metadata` and stay valid while it lives unmodified.

// NotFound if `schema_id` is not in schemas.
Result<const Schema*> FindSchema(const TableMetadata& metadata, int32_t schema_id);
// The schema with current-schema-id. NotFound if missing (not possible for parsed metadata).
Result<const Schema*> CurrentSchema(const TableMetadata& metadata);
// NotFound if `spec_id` is not in partition-specs.
Result<const PartitionSpec*> FindPartitionSpec(const TableMetadata& metadata, int32_t spec_id);
// The spec with default-spec-id.
Result<const PartitionSpec*> DefaultPartitionSpec(const TableMetadata& metadata);
// NotFound if `order_id` is not in sort-orders.
Result<const SortOrder*> FindSortOrder(const TableMetadata& metadata, int32_t order_id);
// The order with default-sort-order-id; nullptr when the table is unsorted (or the id is missing).
const SortOrder* DefaultSortOrder(const TableMetadata& metadata);
// NotFound if `snapshot_id` is not in snapshots.
Result<const Snapshot*> FindSnapshot(const TableMetadata& metadata, int64_t snapshot_id);
// The current snapshot. NotFound if the table has none (a new, empty table).
Result<const Snapshot*> CurrentSnapshot(const TableMetadata& metadata);

// The snapshot that was current at `timestamp_ms` (time travel, Appendix F): the last
// snapshot-log entry whose timestamp-ms is <= `timestamp_ms`. NotFound if there is none (the
// timestamp is before the first entry, or the log is empty) or if that snapshot has expired.
Result<const Snapshot*> SnapshotAsOf(const TableMetadata& metadata, int64_t timestamp_ms);

// The snapshot `snapshot_id` followed by its parent, grandparent, ... following
// parent-snapshot-id until a snapshot has no parent or the parent is no longer listed (expired).
// NotFound if `snapshot_id` itself is not listed.
Result<std::vector<const Snapshot*>> Ancestors(const TableMetadata& metadata, int64_t snapshot_id);

}  // namespace medlake::storage::iceberg
