// storage/manifest.h: Iceberg v2 manifests and manifest lists (Iceberg spec "Manifests" and
// "Manifest Lists"), read and written as Avro object container files with every field id.
//
// Reading applies the spec's inheritance rules: an entry whose snapshot_id is null takes the
// manifest's added_snapshot_id; an ADDED entry whose sequence_number or file_sequence_number is
// null takes the manifest's sequence_number. Writers here leave those fields null for ADDED
// entries (so a commit retried with a new sequence number only rewrites the manifest list) and
// write them explicitly for EXISTING and DELETED entries.
//
// Errors: DataLoss for a file that is not a valid manifest or manifest list (the caller adds the
// path), InvalidArgument for entries that do not fit the partition spec when writing.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "storage/iceberg/partition.h"
#include "storage/iceberg/schema.h"
#include "storage/iceberg/value.h"

namespace medlake::storage::iceberg {

enum class DataFileContent : int32_t { kData = 0, kPositionDeletes = 1, kEqualityDeletes = 2 };
enum class ManifestContent : int32_t { kData = 0, kDeletes = 1 };
enum class ManifestEntryStatus : int32_t { kExisting = 0, kAdded = 1, kDeleted = 2 };

struct DataFile {
  DataFileContent content = DataFileContent::kData;
  std::string file_path;
  std::string file_format = "PARQUET";
  std::vector<Value> partition;  // one value per field of the spec (monostate = null)
  int64_t record_count = 0;
  int64_t file_size_in_bytes = 0;
  std::map<int32_t, int64_t> column_sizes;
  std::map<int32_t, int64_t> value_counts;
  std::map<int32_t, int64_t> null_value_counts;
  std::map<int32_t, int64_t> nan_value_counts;
  std::map<int32_t, std::string> lower_bounds;  // single-value binary serialization
  std::map<int32_t, std::string> upper_bounds;
  std::optional<std::string> key_metadata;
  std::vector<int64_t> split_offsets;
  std::vector<int32_t> equality_ids;
  std::optional<int32_t> sort_order_id;
  std::optional<std::string> referenced_data_file;
};

struct ManifestEntry {
  ManifestEntryStatus status = ManifestEntryStatus::kAdded;
  std::optional<int64_t> snapshot_id;
  std::optional<int64_t> sequence_number;       // the data sequence number
  std::optional<int64_t> file_sequence_number;
  DataFile data_file;
};

struct PartitionFieldSummary {
  bool contains_null = false;
  std::optional<bool> contains_nan;
  std::optional<std::string> lower_bound;  // single-value binary of the partition value
  std::optional<std::string> upper_bound;
};

struct ManifestFile {
  std::string manifest_path;
  int64_t manifest_length = 0;
  int32_t partition_spec_id = 0;
  ManifestContent content = ManifestContent::kData;
  int64_t sequence_number = 0;
  int64_t min_sequence_number = 0;
  int64_t added_snapshot_id = 0;
  int32_t added_files_count = 0;
  int32_t existing_files_count = 0;
  int32_t deleted_files_count = 0;
  int64_t added_rows_count = 0;
  int64_t existing_rows_count = 0;
  int64_t deleted_rows_count = 0;
  std::vector<PartitionFieldSummary> partitions;
  std::optional<std::string> key_metadata;
};

// What WriteManifest produces: the file's bytes and its manifest-list entry, complete except
// for manifest_path, manifest_length and the sequence numbers (known at commit time).
struct WrittenManifest {
  std::string bytes;
  ManifestFile summary;
};

// Writes a manifest of `content` for entries that all belong to `spec` (of `schema`), added by
// `snapshot_id`. `min_sequence_number` in the summary is the lowest explicit sequence number
// among the entries (the caller lowers it to the commit's number for ADDED entries).
Result<WrittenManifest> WriteManifest(const Schema& schema, const PartitionSpec& spec,
                                      ManifestContent content, int64_t snapshot_id,
                                      const std::vector<ManifestEntry>& entries);

// Reads a manifest. `spec` and `schema` type its partition tuples (take them from the table
// metadata by the manifest list's partition_spec_id). `list_entry` supplies inherited values.
Result<std::vector<ManifestEntry>> ReadManifest(const std::string& bytes, const Schema& schema,
                                                const PartitionSpec& spec,
                                                const ManifestFile& list_entry);

// Writes a manifest list for a snapshot.
Result<std::string> WriteManifestList(const std::vector<ManifestFile>& manifests,
                                      int64_t snapshot_id, std::optional<int64_t> parent_id,
                                      int64_t sequence_number);

// Reads a manifest list (v2; v1 lists get content=data and sequence numbers 0).
Result<std::vector<ManifestFile>> ReadManifestList(const std::string& bytes);

}  // namespace medlake::storage::iceberg
