// pipeline/runner.h: `medlake run`: builds the dependency graph of the models and materializes
// each one as an Iceberg table, incrementally where it can.
//
// Dependencies: the lake tables a SQL model reads (found by parsing it with DuckDB's parser);
// raw.fhir_resources for a view model. Models run in dependency order; a model that fails keeps
// its previous table version (nothing is committed) and its dependents are skipped.
//
// Incremental runs: a model table stores, in its Iceberg table properties and in the same commit
// as its rows, the snapshot id of every source it read (`medlake.model.source.<ns.table>`) and a
// hash of its definition (`medlake.model.hash`). The next run reads, from each incremental
// source, only the data files appended after that snapshot (storage::LakeTable::PlanAppendedScan)
// and upserts the resulting rows by the model's key. A full rebuild happens instead when the table
// does not exist, the model changed, a source was rewritten (deletes, compaction, expired
// history), the model is `@materialized: table`, or the caller asks for one.
//
// Thread-safety: one run at a time per session.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/lake_session.h"
#include "pipeline/model.h"

namespace medlake::pipeline {

struct RunOptions {
  std::vector<std::string> selection;  // model names (ns.table) to run; empty: all
  bool full_refresh = false;           // rebuild every selected model from all of its sources
};

struct ModelRun {
  enum class Outcome { kBuilt, kFailed, kSkipped };
  std::string model;
  Outcome outcome = Outcome::kBuilt;
  std::string mode;     // "full", "incremental", or "up-to-date" (nothing changed: nothing read or written)
  std::string reason;   // why full, why skipped, or the error text
  int64_t rows_read = 0;     // source rows the model's scans were planned over
  int64_t rows_written = 0;  // rows added to the model's table
  int64_t rows_removed = 0;  // rows replaced or deleted
  int64_t rows_quarantined = 0;  // rows kept out by blocking quality rules (in raw.quarantine)
  int64_t rules_failed = 0;      // quality rules that found problems (warn or block)
  double seconds = 0;
};

// The lake tables `sql` reads (ns.table, lower-case as written), found with DuckDB's parser.
// InvalidArgument for a syntax error.
Result<std::vector<std::string>> SqlDependencies(engine::Connection& conn, const std::string& sql);

// Orders `models` so that every model comes after the models it depends on (`deps[i]` are the
// dependencies of models[i]; names of other tables are ignored). InvalidArgument naming the
// models of a cycle.
Result<std::vector<size_t>> TopologicalOrder(const std::vector<Model>& models,
                                             const std::vector<std::vector<std::string>>& deps);

// Runs the selected models on `session`'s lake. Returns one ModelRun per selected model in run
// order; a failing model is reported there, not as an error. Quality results of the run are
// appended to the lake table quality.results (one row per rule and source; see
// docs/formats/pipeline_models.md). Errors: an unknown model name, a dependency cycle, a model
// that does not parse, quality results that cannot be written.
Result<std::vector<ModelRun>> RunModels(engine::LakeSession& session, const std::vector<Model>& models,
                                        const RunOptions& options);

}  // namespace medlake::pipeline
