#include "cli/run_command.h"

#include "cli/catalog_command.h"

#include "engine/lake_session.h"
#include "pipeline/model.h"
#include "pipeline/runner.h"
#include "storage/lake.h"

namespace medlake::cli {

int RunRunCommand(const RunCommandOptions& options, std::FILE* out, std::FILE* err) {
  auto lake = storage::Lake::Open(options.lake);
  if (!lake.ok()) {
    std::fprintf(err, "Error: %s\n", lake.status().ToString().c_str());
    return 1;
  }
  std::string project = options.project.empty() ? (*lake)->root() + "/project" : options.project;
  auto models = pipeline::LoadModels(project);
  if (!models.ok()) {
    std::fprintf(err, "Error: %s\n", models.status().ToString().c_str());
    return 1;
  }
  auto session = engine::LakeSession::Open(**lake);
  if (!session.ok()) {
    std::fprintf(err, "Error: %s\n", session.status().ToString().c_str());
    return 1;
  }
  pipeline::RunOptions run_options;
  run_options.selection = options.models;
  run_options.full_refresh = options.full_refresh;
  auto runs = pipeline::RunModels(**session, *models, run_options);
  if (!runs.ok()) {
    std::fprintf(err, "Error: %s\n", runs.status().ToString().c_str());
    return 1;
  }
  int failed = 0, skipped = 0;
  std::fprintf(out, "%-28s %-8s %-12s %12s %12s %12s %8s  %s\n", "model", "outcome", "mode", "rows read",
               "written", "removed", "seconds", "note");
  for (const auto& r : *runs) {
    const char* outcome = r.outcome == pipeline::ModelRun::Outcome::kBuilt    ? "built"
                          : r.outcome == pipeline::ModelRun::Outcome::kFailed ? "FAILED"
                                                                              : "skipped";
    if (r.outcome == pipeline::ModelRun::Outcome::kFailed) ++failed;
    if (r.outcome == pipeline::ModelRun::Outcome::kSkipped) ++skipped;
    std::fprintf(out, "%-28s %-8s %-12s %12lld %12lld %12lld %8.2f  %s\n", r.model.c_str(), outcome,
                 r.mode.c_str(), static_cast<long long>(r.rows_read), static_cast<long long>(r.rows_written),
                 static_cast<long long>(r.rows_removed), r.seconds, r.reason.c_str());
  }
  std::fprintf(out, "%zu models: %zu built, %d failed, %d skipped\n", runs->size(),
               runs->size() - static_cast<size_t>(failed + skipped), failed, skipped);
  // Classify what changed (PHI, identifiers, special categories) and carry tags along lineage.
  std::vector<storage::TableIdentifier> changed;
  for (const auto& r : *runs) {
    if (r.outcome != pipeline::ModelRun::Outcome::kBuilt || r.mode == "up-to-date") continue;
    auto id = storage::ParseTableIdentifier(r.model);
    if (id.ok()) changed.push_back(*id);
  }
  if (!changed.empty()) {
    auto line = ClassifyWrittenTables(**session, **lake, changed, /*propagate=*/true);
    if (line.ok()) {
      std::fprintf(out, "%s\n", line->c_str());
    } else {
      std::fprintf(err, "Warning: classification: %s\n", line.status().ToString().c_str());
    }
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace medlake::cli
