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

#include <string>

#include "core/clock.h"
#include "core/file_system.h"
#include "engine/database.h"
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

}  // namespace medlake::engine
