// engine/scan_sql.h: turns a storage::ScanPlan (one snapshot's live files) into the SQL text of
// a query that returns the table's rows: Parquet files read by Iceberg field id (renamed, added
// and widened columns handled by DuckDB's read_parquet `schema` option), minus position deletes
// and equality deletes under the sequence-number rules of the Iceberg spec:
//   - a position delete applies to a data file whose data sequence number is <= its own;
//   - an equality delete applies to a data file whose data sequence number is < its own, and
//     compares the equality columns with null-safe equality.
// Limit: equality deletes are applied table-wide (not only within their partition); for delete
// files written by engines that scope them to the equality columns' partition, this is the same.
//
// Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "storage/scan_plan.h"

namespace medlake::engine {

// Names of the row-id columns added when `with_row_ids`: the data file's path as stored in the
// manifest and the row's position in that file (what a position delete records).
inline constexpr const char* kRowFileColumn = "__medlake_file";
inline constexpr const char* kRowPositionColumn = "__medlake_pos";

// A single data file of at least this many rows is scanned on all threads (see BuildScanSql).
inline constexpr int64_t kParallelScanRows = 65536;

// Returns the SELECT text. DataLoss for an unreadable column type in the plan.
Result<std::string> BuildScanSql(const storage::ScanPlan& plan, bool with_row_ids = false);

// Name of the BOOLEAN column BuildChangedRowsSql adds: true for a removed row.
inline constexpr const char* kRemovedColumn = "__medlake_removed";

// Returns the SELECT text of the rows a ChangePlan describes: the rows added since the older
// snapshot (kRemovedColumn false) and those removed since (true), each as the current schema's
// columns named in `columns` (matched by field id, so a renamed column keeps its values; a
// column the older snapshot lacked is NULL in removed rows). NotFound for a name that is not a
// current column; DataLoss as BuildScanSql.
Result<std::string> BuildChangedRowsSql(const storage::ChangePlan& plan, const std::vector<std::string>& columns);

}  // namespace medlake::engine
