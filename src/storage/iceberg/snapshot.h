// storage/iceberg/snapshot.h: snapshots and snapshot references (spec "Snapshots",
// "Snapshot References").
//
// Part of the Iceberg v2 model in storage/iceberg/; the table metadata (table_metadata.h) holds
// lists of these. Field names follow the spec's JSON keys.
//
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace medlake::storage::iceberg {

// Values of the summary's "operation" key (spec "Snapshots").
inline constexpr const char* kOperationAppend = "append";
inline constexpr const char* kOperationReplace = "replace";
inline constexpr const char* kOperationOverwrite = "overwrite";
inline constexpr const char* kOperationDelete = "delete";

struct Snapshot {
  int64_t snapshot_id = 0;
  std::optional<int64_t> parent_snapshot_id;  // absent for a snapshot with no parent
  int64_t sequence_number = 0;                // 0 for snapshots read from v1 metadata
  int64_t timestamp_ms = 0;
  std::string manifest_list;  // required in v2; empty only for v1 snapshots using `manifests`
  std::vector<std::string> manifests;  // v1 only (deprecated); always empty in v2
  // The summary string map, including "operation" (required in v2; see Appendix F for the
  // optional metric keys such as "added-records").
  std::map<std::string, std::string> summary;
  std::optional<int32_t> schema_id;

  // summary["operation"], or "" when absent (possible only in v1).
  std::string operation() const {
    auto it = summary.find("operation");
    return it == summary.end() ? std::string() : it->second;
  }

  bool operator==(const Snapshot& other) const {
    return snapshot_id == other.snapshot_id && parent_snapshot_id == other.parent_snapshot_id &&
           sequence_number == other.sequence_number && timestamp_ms == other.timestamp_ms &&
           manifest_list == other.manifest_list && manifests == other.manifests &&
           summary == other.summary && schema_id == other.schema_id;
  }
  bool operator!=(const Snapshot& other) const { return !(*this == other); }
};

enum class SnapshotRefType { kBranch, kTag };

inline constexpr const char* kMainBranch = "main";

// A named branch or tag (the values of the table metadata's "refs" map).
struct SnapshotRef {
  int64_t snapshot_id = 0;
  SnapshotRefType type = SnapshotRefType::kBranch;
  std::optional<int32_t> min_snapshots_to_keep;  // branches only
  std::optional<int64_t> max_snapshot_age_ms;    // branches only
  std::optional<int64_t> max_ref_age_ms;         // never for the main branch

  bool operator==(const SnapshotRef& other) const {
    return snapshot_id == other.snapshot_id && type == other.type &&
           min_snapshots_to_keep == other.min_snapshots_to_keep &&
           max_snapshot_age_ms == other.max_snapshot_age_ms &&
           max_ref_age_ms == other.max_ref_age_ms;
  }
  bool operator!=(const SnapshotRef& other) const { return !(*this == other); }
};

}  // namespace medlake::storage::iceberg
