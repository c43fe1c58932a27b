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
  Result<std::optional<std::string>> Resolve(const std::string& ns, const std::string& name,
                                             const std::optional<AtClause>& at) override;

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
};

// Parses "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) to milliseconds since the epoch.
Result<int64_t> ParseTimestampMillis(const std::string& text);

}  // namespace medlake::engine
