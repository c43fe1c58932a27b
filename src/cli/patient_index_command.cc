#include "cli/patient_index_command.h"

#include "cli/lake_report.h"
#include "engine/lake_session.h"
#include "pipeline/patient_index.h"
#include "storage/lake.h"

namespace medlake::cli {
namespace {

int PrintQueries(const PatientIndexCommandOptions& options, std::vector<std::string> queries, std::FILE* out,
                 std::FILE* err) {
  return PrintLakeReport(options.lake, {"normalized", "person_link"},
                         "No patient index yet: ingest data and run `medlake run` first.", queries, OutputFormat::kTable,
                         out, err);
}

}  // namespace

int RunPatientIndexCommand(const PatientIndexCommandOptions& options, std::FILE* out, std::FILE* err) {
  if (options.action == "review") {
    return PrintQueries(options,
                        {"SELECT source_key_l, source_key_r, person_id_l, person_id_r, round(score, 4) AS score, "
                         "comparison, created_at FROM normalized.person_link_review WHERE status = 'pending' "
                         "ORDER BY score DESC, source_key_l, source_key_r LIMIT " +
                         std::to_string(options.limit < 0 ? 0 : options.limit)},
                        out, err);
  }
  if (options.action == "stats") {
    return PrintQueries(
        options,
        {"SELECT count(*) AS records, count(DISTINCT person_id) AS persons, max(updated_at) AS last_change "
         "FROM normalized.person_link",
         "SELECT method, count(*) AS records FROM normalized.person_link GROUP BY method ORDER BY records DESC",
         "SELECT status, count(*) AS pairs FROM normalized.person_link_review GROUP BY status ORDER BY status",
         "SELECT count(*) AS retired_person_ids FROM normalized.person_id_map"},
        out, err);
  }
  if (options.action != "accept" && options.action != "reject") {
    std::fprintf(err, "Error: unknown action %s (review, accept, reject, stats)\n", options.action.c_str());
    return 2;
  }
  auto lake = storage::Lake::Open(options.lake);
  if (!lake.ok()) {
    std::fprintf(err, "Error: %s\n", lake.status().ToString().c_str());
    return 1;
  }
  auto session = engine::LakeSession::Open(**lake);
  if (!session.ok()) {
    std::fprintf(err, "Error: %s\n", session.status().ToString().c_str());
    return 1;
  }
  auto decision = options.action == "accept" ? pipeline::ReviewDecision::kAccept : pipeline::ReviewDecision::kReject;
  Status st = pipeline::DecidePatientLinkPair(**session, options.key_a, options.key_b, decision);
  if (!st.ok()) {
    std::fprintf(err, "Error: %s\n", st.ToString().c_str());
    return 1;
  }
  std::fprintf(out, "recorded: %s\n", options.action == "accept" ? "accepted" : "rejected");
  if (!options.apply) return 0;
  auto report = pipeline::UpdatePatientIndex(**session, {});
  if (!report.ok()) {
    std::fprintf(err, "Error: %s\n", report.status().ToString().c_str());
    return 1;
  }
  std::fprintf(out, "patient index: %lld persons (%lld new, %lld retired), %lld links changed, %lld pairs to review\n",
               static_cast<long long>(report->persons_total), static_cast<long long>(report->persons_new),
               static_cast<long long>(report->persons_retired), static_cast<long long>(report->records_linked),
               static_cast<long long>(report->review_pairs));
  return 0;
}

}  // namespace medlake::cli
