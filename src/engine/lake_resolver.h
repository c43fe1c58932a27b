// engine/lake_resolver.h: resolves lake table references for the read path: a namespace of the
// catalog plus a table name becomes the scan SQL of the chosen snapshot.
//
// Thread-safety: one thread at a time (uses the session's catalog).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/file_system.h"
#include "engine/select_rewriter.h"
#include "storage/catalog.h"
#include "storage/table.h"

namespace medlake::engine {

class LakeTableResolver : public TableResolver {
 public:
  LakeTableResolver(storage::Catalog& catalog, FileSystem& fs) : catalog_(catalog), fs_(fs) {}

  // Resolves `ns.name`: nullopt when `ns` is not a lake namespace; NotFound when the namespace
  // exists but the table does not; NotFound for a snapshot id or time the table does not have.
  // Predicates on columns prune the files the scan reads (storage::LakeTable::PlanScan).
  Result<std::optional<std::string>> Resolve(const std::string& ns, const std::string& name,
                                             const std::optional<AtClause>& at,
                                             const std::vector<ColumnPredicate>& predicates) override;

  // Files skipped by pruning over this resolver's lifetime (for tests and benchmarks).
  const storage::ScanPruning& pruning() const { return pruning_; }

  // Scans of `ns.name` include row-id columns (for DELETE/UPDATE), at the current snapshot.
  void SetRowIdTarget(const storage::TableIdentifier& id) { row_id_target_ = id; }

  // Loads (and caches for this resolver's lifetime) a lake table.
  Result<const storage::LakeTable*> Table(const storage::TableIdentifier& id);

 private:
  storage::Catalog& catalog_;
  FileSystem& fs_;
  std::optional<storage::TableIdentifier> row_id_target_;
  std::map<std::string, std::unique_ptr<storage::LakeTable>> tables_;
  std::map<std::string, bool> namespaces_;
  storage::ScanPruning pruning_;
};

// Converts predicates on column names into scan filters on field ids of `schema`, keeping only
// those whose constants convert exactly to the column's type.
std::vector<storage::ScanFilter> ToScanFilters(const std::vector<ColumnPredicate>& predicates,
                                               const storage::iceberg::Schema& schema);

// Parses "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) to milliseconds since the epoch.
Result<int64_t> ParseTimestampMillis(const std::string& text);

}  // namespace medlake::engine
