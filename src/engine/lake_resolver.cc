#include "engine/lake_resolver.h"

#include <cstdio>

#include "engine/metadata_tables.h"
#include "engine/scan_sql.h"

namespace medlake::engine {

Result<int64_t> ParseTimestampMillis(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  double s = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d:%lf", &y, &mo, &d, &h, &mi, &s) < 3) {
    return InvalidArgument("not a timestamp: " + text);
  }
  // Days from civil (Howard Hinnant's algorithm).
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * static_cast<unsigned>(mo + (mo > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
  return days * 86'400'000 + h * 3'600'000LL + mi * 60'000LL + static_cast<int64_t>(s * 1000);
}

Result<const storage::LakeTable*> LakeTableResolver::Table(const storage::TableIdentifier& id) {
  auto it = tables_.find(id.ToString());
  if (it != tables_.end()) return it->second.get();
  auto loaded = storage::LakeTable::Load(catalog_, fs_, id);
  if (!loaded.ok()) {
    if (loaded.status().code() == StatusCode::kNotFound) {
      MEDLAKE_ASSIGN_OR_RETURN(bool exists, catalog_.TableExists(id));
      if (!exists) return NotFound("Catalog Error: lake table " + id.ToString() + " does not exist");
    }
    return loaded.status();
  }
  const storage::LakeTable* ptr = loaded->get();
  tables_[id.ToString()] = std::move(*loaded);
  return ptr;
}

Result<std::optional<std::string>> LakeTableResolver::Resolve(const std::string& ns,
                                                              const std::string& name,
                                                              const std::optional<AtClause>& at) {
  auto ns_it = namespaces_.find(ns);
  if (ns_it == namespaces_.end()) {
    MEDLAKE_ASSIGN_OR_RETURN(bool exists, catalog_.NamespaceExists(ns));
    ns_it = namespaces_.emplace(ns, exists).first;
  }
  if (!ns_it->second) return std::optional<std::string>();
  std::optional<std::string> metadata_kind;
  std::string table_name = name;
  if (auto split = SplitMetadataTableName(name)) {
    storage::TableIdentifier plain{ns, split->first};
    MEDLAKE_ASSIGN_OR_RETURN(bool exists, catalog_.TableExists(plain));
    if (exists) {
      table_name = split->first;
      metadata_kind = split->second;
    }
  }
  storage::TableIdentifier id{ns, table_name};
  MEDLAKE_ASSIGN_OR_RETURN(const storage::LakeTable* table, Table(id));
  std::optional<int64_t> snapshot;
  if (at) {
    if (at->unit == "VERSION") {
      MEDLAKE_ASSIGN_OR_RETURN(snapshot, table->SnapshotById(at->value.i));
    } else {
      MEDLAKE_ASSIGN_OR_RETURN(int64_t ms, ParseTimestampMillis(at->value.ToText()));
      MEDLAKE_ASSIGN_OR_RETURN(snapshot, table->SnapshotAsOf(ms));
    }
  }
  if (metadata_kind) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string sql, MetadataTableSql(*table, *metadata_kind, snapshot, fs_));
    return std::optional<std::string>(std::move(sql));
  }
  MEDLAKE_ASSIGN_OR_RETURN(storage::ScanPlan plan, table->PlanScan(snapshot));
  bool row_ids = row_id_target_ && *row_id_target_ == id && !at;
  MEDLAKE_ASSIGN_OR_RETURN(std::string sql, BuildScanSql(plan, row_ids));
  return std::optional<std::string>(std::move(sql));
}

}  // namespace medlake::engine
