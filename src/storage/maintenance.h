// storage/maintenance.h: table maintenance: expiring old snapshots and removing orphan files.
// (Compaction rewrites data and lives in the engine: CALL medlake.compact.)
//
// Both are safe while readers read the table's current snapshot: they only delete files that
// no retained snapshot references. A reader still reading an expired snapshot may find its
// files gone (as with every Iceberg implementation); expire with a retention period longer than
// your longest query.
//
// Thread-safety: as storage/table.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/file_system.h"
#include "core/status.h"
#include "storage/catalog.h"
#include "storage/table.h"

namespace medlake::storage {

struct ExpireSnapshotsResult {
  int64_t expired_snapshots = 0;
  int64_t deleted_manifest_lists = 0;
  int64_t deleted_manifests = 0;
  int64_t deleted_data_files = 0;  // data and delete files
};

// Removes snapshots committed before `older_than_ms`, always keeping the current snapshot, the
// `retain_last` most recent ones and those referenced by branches or tags; then deletes the
// manifest lists, manifests and data files that only the expired snapshots referenced.
// FailedPrecondition for a table written elsewhere (read-only here).
Result<ExpireSnapshotsResult> ExpireSnapshots(Catalog& catalog, FileSystem& fs,
                                              const TableIdentifier& id, int64_t older_than_ms,
                                              int retain_last,
                                              const Clock& clock = SystemClock::Default());

struct RemoveOrphanFilesResult {
  int64_t deleted_files = 0;
  std::vector<std::string> deleted;  // paths, for the receipt
};

// Deletes files under the table's data/ and metadata/ folders that no metadata file, snapshot
// or manifest references and that were last modified before `older_than_ms` (files of commits
// in flight are younger: keep the threshold at least an hour in the past).
Result<RemoveOrphanFilesResult> RemoveOrphanFiles(Catalog& catalog, FileSystem& fs,
                                                  const TableIdentifier& id,
                                                  int64_t older_than_ms);

}  // namespace medlake::storage
