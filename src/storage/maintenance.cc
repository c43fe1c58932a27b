#include "storage/maintenance.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "storage/key_index.h"

namespace medlake::storage {

namespace ib = iceberg;

namespace {

// Everything one snapshot references: its manifest list, manifests and live files (stored paths).
struct SnapshotFiles {
  std::string manifest_list;
  std::set<std::string> manifests;
  std::set<std::string> files;
};

// Live files of each manifest already read in this operation: consecutive snapshots share most of
// their manifests, so each is read and decoded once rather than once per snapshot.
using ManifestFiles = std::map<std::string, std::set<std::string>>;

Result<SnapshotFiles> FilesOf(const LakeTable& table, FileSystem& fs, const ib::Snapshot& s,
                              ManifestFiles* seen) {
  SnapshotFiles out;
  out.manifest_list = s.manifest_list;
  std::string list_path = table.ResolvePath(s.manifest_list);
  auto bytes = fs.ReadFile(list_path);
  if (!bytes.ok()) return bytes.status().WithContext("reading manifest list " + list_path);
  auto list = ib::ReadManifestList(*bytes);
  if (!list.ok()) return list.status().WithContext("reading manifest list " + list_path);
  for (const auto& mf : *list) {
    out.manifests.insert(mf.manifest_path);
    auto cached = seen->find(mf.manifest_path);
    if (cached == seen->end()) {
      MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec,
                               ib::FindPartitionSpec(table.metadata(), mf.partition_spec_id));
      MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(table.metadata()));
      std::string path = table.ResolvePath(mf.manifest_path);
      auto mbytes = fs.ReadFile(path);
      if (!mbytes.ok()) return mbytes.status().WithContext("reading manifest " + path);
      auto entries = ib::ReadManifest(*mbytes, *schema, *spec, mf);
      if (!entries.ok()) return entries.status().WithContext("reading manifest " + path);
      std::set<std::string> live;
      for (const auto& e : *entries) {
        if (e.status != ib::ManifestEntryStatus::kDeleted) live.insert(e.data_file.file_path);
      }
      cached = seen->emplace(mf.manifest_path, std::move(live)).first;
    }
    out.files.insert(cached->second.begin(), cached->second.end());
  }
  return out;
}

void DeleteQuietly(FileSystem& fs, const std::string& path, int64_t* counter) {
  if (fs.Remove(path).ok()) ++*counter;
}

}  // namespace

Result<ExpireSnapshotsResult> ExpireSnapshots(Catalog& catalog, FileSystem& fs,
                                              const TableIdentifier& id, int64_t older_than_ms,
                                              int retain_last, const Clock& clock) {
  ExpireSnapshotsResult result;
  MEDLAKE_ASSIGN_OR_RETURN(auto base, LakeTable::Load(catalog, fs, id));
  if (base->moved()) {
    return FailedPrecondition("table " + id.ToString() + " was written at another location and is read-only here");
  }
  const ib::TableMetadata& m = base->metadata();
  std::vector<const ib::Snapshot*> by_time;
  for (const auto& s : m.snapshots) by_time.push_back(&s);
  std::sort(by_time.begin(), by_time.end(),
            [](const ib::Snapshot* a, const ib::Snapshot* b) { return a->timestamp_ms > b->timestamp_ms; });
  std::set<int64_t> keep;
  for (size_t i = 0; i < by_time.size(); ++i) {
    if (static_cast<int>(i) < std::max(retain_last, 1) || by_time[i]->timestamp_ms >= older_than_ms) {
      keep.insert(by_time[i]->snapshot_id);
    }
  }
  if (m.current_snapshot_id) keep.insert(*m.current_snapshot_id);
  for (const auto& [name, ref] : m.refs) keep.insert(ref.snapshot_id);
  if (keep.size() == m.snapshots.size()) return result;

  // What the retained snapshots need, and what the expired ones referenced.
  std::set<std::string> needed_lists, needed_manifests, needed_files;
  std::set<std::string> expired_lists, expired_manifests, expired_files;
  ManifestFiles seen;
  for (const auto& s : m.snapshots) {
    auto files = FilesOf(*base, fs, s, &seen);
    if (!files.ok()) {
      // An unreadable expired snapshot cannot hold anything a retained one needs to keep; an
      // unreadable retained one makes the whole operation unsafe.
      if (keep.count(s.snapshot_id)) return files.status();
      continue;
    }
    auto& lists = keep.count(s.snapshot_id) ? needed_lists : expired_lists;
    auto& manifests = keep.count(s.snapshot_id) ? needed_manifests : expired_manifests;
    auto& data = keep.count(s.snapshot_id) ? needed_files : expired_files;
    lists.insert(files->manifest_list);
    manifests.insert(files->manifests.begin(), files->manifests.end());
    data.insert(files->files.begin(), files->files.end());
  }

  TableChange change;
  change.expire_snapshot_ids.clear();
  for (const auto& s : m.snapshots) {
    if (!keep.count(s.snapshot_id)) change.expire_snapshot_ids.insert(s.snapshot_id);
  }
  result.expired_snapshots = static_cast<int64_t>(change.expire_snapshot_ids.size());
  MEDLAKE_RETURN_IF_ERROR(CommitTableChange(catalog, fs, *base, change, clock).status());

  for (const auto& p : expired_lists) {
    if (!needed_lists.count(p)) DeleteQuietly(fs, base->ResolvePath(p), &result.deleted_manifest_lists);
  }
  for (const auto& p : expired_manifests) {
    if (!needed_manifests.count(p)) DeleteQuietly(fs, base->ResolvePath(p), &result.deleted_manifests);
  }
  for (const auto& p : expired_files) {
    if (needed_files.count(p)) continue;
    const std::string path = base->ResolvePath(p);
    DeleteQuietly(fs, path, &result.deleted_data_files);
    // The file's key index holds the same rows: it goes with it (storage/key_index.h).
    int64_t key_indexes = 0;
    DeleteQuietly(fs, KeyIndexPath(path), &key_indexes);
  }
  return result;
}

Result<RemoveOrphanFilesResult> RemoveOrphanFiles(Catalog& catalog, FileSystem& fs,
                                                  const TableIdentifier& id,
                                                  int64_t older_than_ms) {
  RemoveOrphanFilesResult result;
  MEDLAKE_ASSIGN_OR_RETURN(auto table, LakeTable::Load(catalog, fs, id));
  if (table->moved()) {
    return FailedPrecondition("table " + id.ToString() + " was written at another location and is read-only here");
  }
  std::set<std::string> reachable;
  reachable.insert(table->metadata_location());
  for (const auto& e : table->metadata().metadata_log) reachable.insert(table->ResolvePath(e.metadata_file));
  reachable.insert(JoinPath(JoinPath(table->local_root(), "metadata"), "version-hint.text"));
  ManifestFiles seen;
  for (const auto& s : table->metadata().snapshots) {
    MEDLAKE_ASSIGN_OR_RETURN(SnapshotFiles files, FilesOf(*table, fs, s, &seen));
    reachable.insert(table->ResolvePath(files.manifest_list));
    for (const auto& p : files.manifests) reachable.insert(table->ResolvePath(p));
    for (const auto& p : files.files) {
      reachable.insert(table->ResolvePath(p));
      reachable.insert(KeyIndexPath(table->ResolvePath(p)));  // lives and dies with its file
    }
  }
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(table->local_root(), ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string path = it->path().string();
    if (reachable.count(path)) continue;
    auto mtime = fs.ModifiedMicros(path);
    if (!mtime.ok() || *mtime / 1000 >= older_than_ms) continue;
    if (fs.Remove(path).ok()) {
      ++result.deleted_files;
      result.deleted.push_back(path);
    }
  }
  if (ec) return IOError("listing " + table->local_root() + ": " + ec.message());
  return result;
}

}  // namespace medlake::storage
