// engine/key_index_sql.h: the lake's row-level access path for lookups by key, in SQL.
//
// A table whose property `medlake.key-index` is 'true' and whose default sort order starts with
// an identity field on a string, int or long column (ALTER TABLE ... WRITE ORDERED BY) gets a
// key index beside each data file it writes (storage/key_index.h). A scan of such a table whose
// predicates fix that column (`col = v`, `col IN (v1, ...)`) then reads the matching rows from
// the key indexes through the table function medlake_key_rows() instead of opening Parquet:
// a B-tree search per file and key, no row group decoded, almost nothing for DuckDB to plan.
// The scan's result is the same rows and columns as the Parquet scan's (the same snapshot's
// files; the caller's own WHERE still applies on top), so policies, masks and audit wrap it
// exactly as they wrap the Parquet scan. Used only when every file the scan reads has a key
// index holding every column it returns and the snapshot has no delete files; otherwise the
// Parquet scan is used. medlake_key_rows() is not callable from untrusted SQL (the statement
// guard allows no such table function): it appears only in rewritten statements.
//
// Thread-safety: functions are pure except for the files they read or write.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/database.h"
#include "engine/select_rewriter.h"
#include "storage/iceberg/table_metadata.h"
#include "storage/scan_plan.h"

namespace medlake::engine {

inline constexpr const char* kKeyIndexProperty = "medlake.key-index";

// The field id of the key column when `metadata` asks for key indexes and can have them
// (property on, leading sort field an identity of a top-level string/int/long column); 0 otherwise.
int KeyIndexField(const storage::iceberg::TableMetadata& metadata);

// Builds the key index of each data file in `files` (paths of files of the table, written with
// `schema`), skipping those that have one. Columns of types a key index does not store
// (decimal, uuid, fixed, time, nested) are left out; scans returning them read Parquet.
// Returns the number of key indexes built.
Result<int64_t> BuildKeyIndexes(Connection& conn, const storage::iceberg::Schema& schema, int key_field_id,
                                const std::vector<storage::ScanDataFile>& files);

// The scan SQL of `plan` restricted to rows whose key column (`key_field_id`) equals one of the
// values `predicates` fix it to, read from key indexes; nullopt when the key index path does not
// apply (see the file comment).
std::optional<std::string> KeyIndexScanSql(const storage::ScanPlan& plan, int key_field_id,
                                           const storage::iceberg::Schema& schema,
                                           const std::vector<ColumnPredicate>& predicates);

// Registers medlake_key_rows(spec VARCHAR, keys VARCHAR[]) on `conn`: the rows of the key
// indexes and columns `spec` names (JSON, written by KeyIndexScanSql) whose key is in `keys`.
Status RegisterKeyIndexFunction(Connection& conn);

}  // namespace medlake::engine
