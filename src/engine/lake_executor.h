// engine/lake_executor.h: executes recognised lake statements (engine/lake_statement.h) on
// Iceberg tables: DuckDB computes the rows and writes Parquet (engine/parquet_writer.h), the
// storage layer commits one snapshot per statement (storage/table.h).
//
//   INSERT, CREATE TABLE AS   append data files (partitioned per the table's spec)
//   DELETE                    position-delete files, one per affected data file (merge-on-read)
//   UPDATE                    position deletes for the old rows + data files with the new rows,
//                             in one snapshot
//   ALTER TABLE               schema evolution by field id (add, drop, rename, widen), metadata
//                             only; RENAME TO renames in the catalog
// Required (NOT NULL) columns are checked while writing: a NULL fails the statement and nothing
// is committed.
//
// Thread-safety: one thread at a time (uses the session's connection and catalog).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/file_system.h"
#include "engine/database.h"
#include "engine/access_control.h"
#include "engine/lake_session.h"
#include "engine/lake_statement.h"
#include "storage/catalog.h"

namespace medlake::engine {

struct LakeExecutorContext {
  Connection* connection = nullptr;
  storage::Catalog* catalog = nullptr;
  FileSystem* fs = nullptr;
  std::string warehouse;
  const Clock* clock = nullptr;
  int64_t target_file_size_bytes = 256LL * 1024 * 1024;
  // Set for an untrusted principal: lake tables the statement reads are resolved with its
  // privileges, row filters and masks (engine/access_control.h).
  AccessController* access = nullptr;
};

// True when `st` is a lake statement whose target is a lake namespace (CREATE SCHEMA and DROP
// SCHEMA always are; table statements when their namespace exists in the catalog). An
// unqualified table name never is (it is DuckDB's).
Result<bool> IsLakeStatement(const LakeStatement& st, storage::Catalog& catalog);

// Executes `st`. Errors: NotFound (missing namespace/table), AlreadyExists, InvalidArgument (bad
// types, NOT NULL violations, bad ALTER), Aborted (commit conflict), and whatever DuckDB reports
// for the statement's queries.
Result<StatementOutcome> ExecuteLakeStatement(const LakeStatement& st,
                                              const LakeExecutorContext& ctx);

// Rewrites lake table references in `sql` (see select_rewriter.h); statements DuckDB cannot
// serialize are returned unchanged.
Result<std::string> RewriteLakeReferences(Connection& conn, storage::Catalog& catalog,
                                          FileSystem& fs, const std::string& sql);

// ---- Writes for pipelines (models materialized as lake tables) ----

struct TableWriteResult {
  int64_t rows_written = 0;  // rows in the new data files
  int64_t rows_removed = 0;  // rows dropped: replaced contents, or position-deleted by key
  bool created = false;      // the table did not exist and was created
  bool schema_changed = false;
  std::optional<int64_t> snapshot_id;  // the table's current snapshot after the write
};

// Replaces every row of `id` with the rows of `query` (SQL runnable on ctx.connection, lake
// references already rewritten) in one "overwrite" snapshot. Creates the table from the query's
// columns when it does not exist. When the columns changed, the new schema is committed with the
// data (a column keeping its name and type keeps its field id; others get new ids); a partition
// source column cannot disappear (InvalidArgument). `properties` are merged into the table's
// properties in the same commit, also when no row changes (metadata-only commit). A non-empty
// `write_order` (column names, ascending) becomes the table's default sort order first (a
// metadata-only commit, only when it changes), so the rows are written in that order.
Result<TableWriteResult> ReplaceTableRows(const LakeExecutorContext& ctx, const storage::TableIdentifier& id,
                                          const std::string& query,
                                          const std::map<std::string, std::string>& properties,
                                          const std::vector<std::string>& write_order = {});

// Upsert by key, in one snapshot: every row of `id` whose key (`key_columns`, NULL-safe equality)
// appears in `query`'s rows is removed (position deletes), then `query`'s rows are added; a key
// may have several rows. With a non-empty `delete_column`, `query` has a BOOLEAN column of that
// name: its true rows only remove their key, and the column is not stored. Creates the table (as
// ReplaceTableRows) when it does not exist. The query's stored columns must equal the table's
// (names and types, in order): FailedPrecondition otherwise (the caller rebuilds with
// ReplaceTableRows). `properties` and `write_order` as for ReplaceTableRows.
Result<TableWriteResult> UpsertTableRows(const LakeExecutorContext& ctx, const storage::TableIdentifier& id,
                                         const std::string& query,
                                         const std::vector<std::string>& key_columns,
                                         const std::string& delete_column,
                                         const std::map<std::string, std::string>& properties,
                                         const std::vector<std::string>& write_order = {});

// Checks a table property set from SQL (ALTER TABLE ... SET TBLPROPERTIES). Those that change
// how data files are written: Iceberg's write.parquet.compression-codec (zstd, medlake's
// default; snappy, gzip, lz4, brotli, uncompressed), write.parquet.compression-level (1-22, used
// with zstd only), write.target-file-size-bytes (from 1 MiB; default: the session's, 256 MiB),
// and medlake.write.parquet.row-group-rows (rows per Parquet row group, from 2,048; DuckDB's
// default 122,880). Small files and row groups make point reads of a sorted table cheaper
// (bench/README.md section 9) at some cost in compression and metadata, so a table with a sort
// order (ALTER TABLE ... WRITE ORDERED BY) is written in files of at most 64 MiB with 16,384-row
// groups unless these properties say otherwise. Iceberg's column metrics modes
// (write.metadata.metrics.default and write.metadata.metrics.column.<name>: none, counts,
// truncate(N), full; default truncate(16)) decide the counts and bounds kept in manifests; the
// leading sort column is kept in full unless a property names it. Other medlake.* keys are
// medlake's own (InvalidArgument); any other key is accepted.
Status CheckWriteProperty(const std::string& key, const std::string& value);

}  // namespace medlake::engine
