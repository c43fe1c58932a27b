// storage/table.h: Iceberg v2 tables of a lake: create, load, plan scans, and commit changes as
// atomic snapshots (ARCHITECTURE.md section 4).
//
// A commit writes new manifests, a manifest list and a new metadata file
// (<location>/metadata/v<N>.metadata.json, created exclusively), then swaps the catalog's pointer
// with a compare-and-swap, then rewrites version-hint.text for file-based readers. A crash at any
// point leaves the table at the old or the new snapshot; leftovers are orphan files. When another
// writer committed first, the change is re-applied on the new metadata and retried; a row-level
// change whose data files were removed meanwhile fails with Aborted (a real conflict).
//
// Tables written by other engines may store paths under another location (another machine, a
// bucket): every stored path is resolved against the table's local root by stripping the URI
// scheme and the stored location prefix. Such "moved" tables are read-only here.
//
// Thread-safety: a LakeTable is an immutable snapshot of one metadata version; share freely.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/file_system.h"
#include "core/status.h"
#include "storage/catalog.h"
#include "storage/iceberg/table_metadata.h"
#include "storage/manifest.h"
#include "storage/scan_plan.h"

namespace medlake::storage {

// A live file of a snapshot, with what its manifest entry says.
struct LiveFile {
  iceberg::DataFile file;
  int64_t data_sequence_number = 0;
  int64_t snapshot_id = 0;
  int32_t spec_id = 0;
  std::string local_path;
};

class LakeTable {
 public:
  // Loads the table `id` through the catalog. NotFound if it is not in the catalog; DataLoss if
  // its metadata file is corrupt.
  static Result<std::unique_ptr<LakeTable>> Load(Catalog& catalog, FileSystem& fs,
                                                 const TableIdentifier& id);
  // Loads a metadata file directly (registering a table, file-based reads). `id` names it.
  static Result<std::unique_ptr<LakeTable>> LoadMetadataFile(FileSystem& fs,
                                                             const std::string& metadata_path,
                                                             const TableIdentifier& id);

  const TableIdentifier& id() const { return id_; }
  const iceberg::TableMetadata& metadata() const { return *metadata_; }
  // The same metadata, shared (tables loaded from one metadata file share one parsed copy).
  const std::shared_ptr<const iceberg::TableMetadata>& shared_metadata() const { return metadata_; }
  const std::string& metadata_location() const { return metadata_location_; }
  // The local directory holding metadata/ and data/.
  const std::string& local_root() const { return local_root_; }
  // True when the stored location is not the local root (a table written elsewhere).
  bool moved() const { return moved_; }
  // Maps a path stored in metadata or manifests to a local path.
  std::string ResolvePath(const std::string& stored) const;

  // Snapshot id for `AT (VERSION => v)`: `v` must be a snapshot id of the table. NotFound else.
  Result<int64_t> SnapshotById(int64_t snapshot_id) const;
  // The snapshot current at `timestamp_ms` (from the snapshot log). NotFound if none was.
  Result<int64_t> SnapshotAsOf(int64_t timestamp_ms) const;

  // The live data and delete files of a snapshot (nullopt: the current one; no files when the
  // table has no snapshot). DataLoss names the manifest or list that cannot be read.
  // With `filters`, data files (and whole manifests, by their partition summaries) that cannot
  // hold a matching row are skipped; delete files are always kept. `pruning` (nullable) counts.
  Result<std::vector<LiveFile>> LiveFiles(std::optional<int64_t> snapshot_id,
                                          const std::vector<ScanFilter>& filters = {},
                                          ScanPruning* pruning = nullptr) const;
  // The scan plan of a snapshot: schema of that snapshot (or the current schema when reading the
  // current snapshot) and its live files, pruned by `filters` (conjunctive). Each data file says
  // which filters every one of its rows satisfies (ScanDataFile::filters_hold).
  Result<ScanPlan> PlanScan(std::optional<int64_t> snapshot_id,
                            const std::vector<ScanFilter>& filters = {}) const;
  // Incremental scan: the rows the current snapshot gained since snapshot `since` (exclusive), as a
  // plan of the data files added after it. Returns nullopt when that cannot be told from appended
  // files alone: `since` is not an ancestor of the current snapshot (expired, or another branch),
  // or a snapshot after it is not an `append` (rows were deleted, overwritten or rewritten); the
  // caller then reads the whole table. Reads only the manifests written after `since`.
  Result<std::optional<ScanPlan>> PlanAppendedScan(int64_t since) const;
  // Change scan: what changed between snapshot `since` and the current snapshot, whatever the
  // operations in between (appends, deletes, overwrites, compactions); see ChangePlan. Reads the
  // manifests of both snapshots. Returns nullopt when `since` is not an ancestor of the current
  // snapshot (expired, or another branch): the caller then reads the whole table.
  Result<std::optional<ChangePlan>> PlanChanges(int64_t since) const;

  LakeTable(TableIdentifier id, iceberg::TableMetadata metadata, std::string metadata_location,
            std::string local_root, FileSystem& fs);
  LakeTable(TableIdentifier id, std::shared_ptr<const iceberg::TableMetadata> metadata,
            std::string metadata_location, std::string local_root, FileSystem& fs);

 private:
  TableIdentifier id_;
  std::shared_ptr<const iceberg::TableMetadata> metadata_;  // never null
  std::string metadata_location_;
  std::string local_root_;
  std::string stored_location_;  // location without URI scheme
  bool moved_ = false;
  FileSystem& fs_;
};

struct CreateTableRequest {
  TableIdentifier id;
  iceberg::Schema schema;              // field ids assigned by the caller, from 1
  iceberg::PartitionSpec spec;         // spec id 0; partition field ids from 1000
  std::map<std::string, std::string> properties;
};

// Creates the table under <warehouse>/<ns>/<name>: writes v1.metadata.json and registers it.
// AlreadyExists if the table exists; NotFound if the namespace does not.
Result<std::unique_ptr<LakeTable>> CreateLakeTable(Catalog& catalog, FileSystem& fs,
                                                   const std::string& warehouse,
                                                   const CreateTableRequest& request,
                                                   const Clock& clock = SystemClock::Default());

// Registers an existing table (its directory or a metadata file) under `id`.
Result<std::unique_ptr<LakeTable>> RegisterLakeTable(Catalog& catalog, FileSystem& fs,
                                                     const TableIdentifier& id,
                                                     const std::string& path);

// One change committed as one snapshot (or, with only a schema change, a metadata-only commit).
struct TableChange {
  std::string operation = "append";  // append, overwrite, delete (snapshot summary)
  std::vector<iceberg::DataFile> added_data_files;
  std::vector<iceberg::DataFile> added_delete_files;
  std::set<std::string> removed_file_paths;  // stored paths of data or delete files to drop
  // Data files (stored paths) that must still be live when the change is applied.
  std::set<std::string> required_live_files;
  std::optional<iceberg::Schema> new_schema;  // becomes the current schema
  std::map<std::string, std::string> properties;  // merged into table properties
  // Becomes the default sort order (an existing identical order is reused; no fields: unsorted).
  std::optional<iceberg::SortOrder> new_sort_order;
  // Snapshots to remove from the metadata (expiry); never the current one.
  std::set<int64_t> expire_snapshot_ids;
};

// Manifest merging on commit, as Iceberg does it (MergingSnapshotProducer), set by the table
// properties commit.manifest-merge.enabled ('true'/'false'), commit.manifest.min-count-to-merge
// and commit.manifest.target-size-bytes, with Iceberg's defaults. Each commit packs the manifests
// of one content type and partition spec, oldest first, into bins of up to target_size_bytes;
// a bin of several manifests is rewritten as one, except the newest bin while it holds fewer
// than min_count_to_merge. So a table appended to in small commits keeps about
// min_count_to_merge manifests (its manifest list and every scan's planning stay bounded), and
// one commit in about min_count_to_merge rewrites the newest bin.
struct ManifestMergePolicy {
  bool enabled = true;
  int64_t min_count_to_merge = 100;
  int64_t target_size_bytes = int64_t{8} << 20;
};
inline constexpr const char* kManifestMergeEnabled = "commit.manifest-merge.enabled";
inline constexpr const char* kManifestMinCountToMerge = "commit.manifest.min-count-to-merge";
inline constexpr const char* kManifestTargetSize = "commit.manifest.target-size-bytes";
// A table property's value as a decimal integer in [min, max] (strtoll: nothing after the digits);
// InvalidArgument "table property KEY = 'VALUE' is not an integer from MIN to MAX" otherwise.
Result<int64_t> IntegerTableProperty(const std::string& key, const std::string& value, int64_t min, int64_t max);
// The policy of a table with `properties`; InvalidArgument naming the property whose value is
// not 'true'/'false' or not an integer in range (min count 2 to 100,000; target 1 KiB to 1 GiB).
Result<ManifestMergePolicy> ManifestMergePolicyOf(const std::map<std::string, std::string>& properties);

// Writes the next metadata file of a table whose current metadata is `base_location`, under
// `table_root`/metadata: v<N+1>.metadata.json, or the first free version after it (a writer
// killed between writing its file and the catalog swap leaves a file no commit points to; taking
// its number would wedge every later commit). Returns the path written. The catalog's
// compare-and-swap still decides which writer wins. Aborted when 16 versions in a row are taken.
// The file is `metadata` serialized with the codec its properties choose
// (write.metadata.compression-codec: v<N>.metadata.json, or v<N>.gz.metadata.json for gzip);
// InvalidArgument for an unknown codec.
Result<std::string> WriteNextMetadataFile(FileSystem& fs, const std::string& table_root,
                                          const std::string& base_location, const iceberg::TableMetadata& metadata);

// Commits `change` on top of `base`, retrying up to `max_attempts` times when another writer
// committed first. Returns the table at the new metadata. Aborted on a real conflict or when
// retries run out; FailedPrecondition for a moved (foreign) table.
Result<std::unique_ptr<LakeTable>> CommitTableChange(Catalog& catalog, FileSystem& fs,
                                                     const LakeTable& base,
                                                     const TableChange& change,
                                                     const Clock& clock = SystemClock::Default(),
                                                     int max_attempts = 12);

// Drops the table from the catalog and, when `purge`, deletes its directory (tables inside the
// warehouse only).
Status DropLakeTable(Catalog& catalog, FileSystem& fs, const std::string& warehouse,
                     const TableIdentifier& id, bool purge);

}  // namespace medlake::storage
