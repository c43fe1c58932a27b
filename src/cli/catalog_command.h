// cli/catalog_command.h: `medlake catalog show|classify|tag|untag|describe`: the catalog metadata
// of a lake (governance/metadata_store.h, docs/formats/catalog_metadata.md).
//
//   medlake catalog show [NS[.TABLE]] [--format F]   descriptions, owners, stewards, tags
//   medlake catalog classify [NS.TABLE...]           classifier on the tables (default: all),
//                     [--sample N] [--no-propagate]  then tag propagation along lineage
//   medlake catalog tag OBJECT TAG...                add manual tags (OBJECT: ns[.table[.column]])
//   medlake catalog untag OBJECT TAG...              remove tags; classifier/lineage won't re-add
//   medlake catalog describe OBJECT 'text'           set the description ('' clears it)
//
// tag, untag and describe run the equivalent SQL statements (ALTER ... SET TAGS, COMMENT ON) in
// a user session, so the security layer checks and audits them as it does for SQL. classify is a
// job for the owner and admins (it reads raw values); show prints metadata only, never data.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/result_writer.h"
#include "cli/user_session.h"
#include "core/status.h"
#include "engine/lake_session.h"
#include "governance/metadata_store.h"

namespace medlake::cli {

struct CatalogCommandOptions {
  std::string lake;
  std::string action;                // "show", "classify", "tag", "untag", "describe"
  std::vector<std::string> targets;  // show: at most one NS[.TABLE]; classify: NS.TABLE...
  std::string object;                // tag, untag, describe: NS[.TABLE[.COLUMN]]
  std::vector<std::string> tags;     // tag, untag
  std::string text;                  // describe; empty clears the description
  int64_t sample_values = 1000;      // classify: values sampled per column
  bool no_propagate = false;         // classify: skip lineage propagation
  OutputFormat format = OutputFormat::kTable;  // show
  UserOptions who;                             // the session's user (default: the owner)
};

// The SQL statement `catalog tag|untag|describe` runs for `options` (identifiers quoted).
// InvalidArgument for a malformed object name, no tags, or an action without a statement.
Result<std::string> CatalogEditSql(const CatalogCommandOptions& options);

// Automatic classification after a job wrote `tables` (ingestion, model runs): classifies them
// and, with `propagate`, recomputes lineage tags. Returns a one-line summary; a failure is a
// warning for the caller to print (the job's data is committed either way).
Result<std::string> ClassifyWrittenTables(engine::LakeSession& session, const storage::Lake& lake,
                                          const std::vector<storage::TableIdentifier>& tables, bool propagate);

// Runs the command. Exit status 0; 1 when the lake cannot be read, a table failed to classify or
// a statement failed; 2 for usage errors (unknown action, malformed object name or tag).
int RunCatalogCommand(const CatalogCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace medlake::cli
