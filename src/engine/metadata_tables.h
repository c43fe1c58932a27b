// engine/metadata_tables.h: Iceberg metadata tables of a lake table, queried as
// ns."table$snapshots", "$history", "$files", "$manifests", "$partitions" (Trino's naming).
//
//   $snapshots   committed_at, snapshot_id, parent_id, sequence_number, operation, manifest_list,
//                summary (MAP(VARCHAR, VARCHAR))
//   $history     made_current_at, snapshot_id, parent_id, is_current_ancestor
//   $files       content (0 data, 1 position deletes, 2 equality deletes), file_path, file_format,
//                spec_id, partition (text), record_count, file_size_in_bytes,
//                data_sequence_number, snapshot_id
//   $manifests   path, length, partition_spec_id, content, sequence_number, added_snapshot_id,
//                added/existing/deleted data files and rows
//   $partitions  partition (text), spec_id, record_count, file_count
// All of them describe the current snapshot (or the one chosen with AT (...)).
//
// Thread-safety: pure functions over an immutable table.
#pragma once

#include <optional>
#include <string>

#include "core/file_system.h"
#include "core/status.h"
#include "storage/table.h"

namespace medlake::engine {

// Splits "patient$files" into ("patient", "files"); nullopt when there is no '$'.
std::optional<std::pair<std::string, std::string>> SplitMetadataTableName(const std::string& name);

// The SQL text of metadata table `kind` of `table` at `snapshot_id` (nullopt: current).
// NotFound for an unknown kind.
Result<std::string> MetadataTableSql(const storage::LakeTable& table, const std::string& kind,
                                     std::optional<int64_t> snapshot_id, FileSystem& fs);

}  // namespace medlake::engine
