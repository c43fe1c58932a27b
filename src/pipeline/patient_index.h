// pipeline/patient_index.h: the enterprise patient index (ARCHITECTURE.md section 6).
//
// Links every normalized.patient row (one per source patient record) to a stable person_id and
// keeps three lake tables in namespace `normalized` (docs/formats/patient_index.md):
//   person_link         one row per source record: source_key -> person_id, how it was linked
//   person_link_review  uncertain pairs waiting for a reviewer, and the decisions taken
//   person_id_map       person ids retired by merges -> the id that survives them
// Linking: validated national identifiers (DNI/NIE, CIP, NUSS) link exactly; then blocked
// Fellegi-Sunter scoring with m/u probabilities estimated by EM; HL7 A40 merges and reviewers'
// decisions are honoured; connected components become persons. Person ids are never renumbered:
// a component keeps the smallest id its records had, other ids are retired into person_id_map,
// components without an id get max + 1.
//
// The runner calls UpdatePatientIndex as the native step `normalized.person_link` after
// normalized.patient is built (pipeline/runner.cc).
//
// Thread-safety: one call at a time per session (uses the session's connection and catalog).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "engine/lake_session.h"

namespace medlake::pipeline {

struct PatientIndexOptions {
  // Re-score every candidate pair (not only pairs with a new or changed record). Person ids are
  // still kept: components are matched to the ids their records had.
  bool full_rebuild = false;
  // Estimate the m/u probabilities again (EM over all candidate pairs) instead of reusing the
  // ones stored by the first run. Scores may then change for every pair.
  bool reestimate_weights = false;
  // Match probability at or above which a scored pair is linked automatically.
  double link_threshold = 0.99;
  // Match probability at or above which (and below link_threshold) a pair goes to review.
  double review_threshold = 0.5;
};

struct PatientIndexReport {
  int64_t records_read = 0;     // normalized.patient rows considered in this run (new or changed
                                // rows in an incremental run; all rows in a full one)
  int64_t records_linked = 0;   // person_link rows written (new, or with a changed person/method)
  int64_t persons_total = 0;    // distinct person ids after the run
  int64_t persons_new = 0;      // person ids created in this run
  int64_t review_pairs = 0;     // uncertain pairs waiting in the review table
  int64_t merges_applied = 0;   // HL7 A40 merges honoured in this run
  int64_t persons_retired = 0;  // person ids retired in this run (merged into another)
  int64_t candidate_pairs = 0;  // pairs scored in this run
  bool weights_estimated = false;  // EM ran in this run
  bool idle = false;            // nothing changed since the last run; nothing was written
};

// Links every normalized.patient row to a stable person_id; writes normalized.person_link,
// normalized.person_link_review and normalized.person_id_map (one Iceberg snapshot each).
// An incremental run (the default) scores only pairs with a new or changed record, and returns
// at once (idle) when normalized.patient, raw.hl7_messages and the review table did not change
// since the last run. Errors: NotFound when normalized.patient does not exist; errors of DuckDB
// or of the commits (Aborted on a concurrent commit), in which case tables committed earlier in
// the run keep their new snapshot and person_link its previous one, so the next run redoes the
// work. `session` must outlive the call.
Result<PatientIndexReport> UpdatePatientIndex(engine::LakeSession& session, const PatientIndexOptions& options);

enum class ReviewDecision { kAccept, kReject };

// Records a reviewer's decision on the pair of source records (`source_key_a`, `source_key_b`,
// order does not matter) in normalized.person_link_review: accept links them (as `manual`),
// reject keeps them in different persons. The pair does not need to be in the review queue. A
// later decision on the same pair replaces an earlier one. Takes effect at the next
// UpdatePatientIndex. Errors: InvalidArgument when both keys are equal; NotFound when
// normalized.patient or one of the keys does not exist; commit errors.
Status DecidePatientLinkPair(engine::LakeSession& session, const std::string& source_key_a,
                             const std::string& source_key_b, ReviewDecision decision);

// Pairwise quality of normalized.person_link against a ground truth.
struct LinkQuality {
  int64_t records = 0;           // person_link rows matched to a truth row
  int64_t unmatched = 0;         // person_link rows without a truth row (not counted below)
  int64_t persons = 0;           // distinct person ids among the matched rows
  int64_t true_persons = 0;      // distinct true persons among them
  int64_t linked_pairs = 0;      // record pairs in the same person
  int64_t true_pairs = 0;        // record pairs of the same true person
  int64_t correct_pairs = 0;     // pairs in both
  double precision = 0;          // correct / linked (1 when nothing is linked)
  double recall = 0;             // correct / true (1 when there is nothing to find)
  double f1 = 0;
};

// Compares normalized.person_link with `truth_csv`, a CSV with a header and at least the columns
// source_system, local_id, person_id (the synthetic generator's truth/source_records.csv). A
// normalized.patient row matches the truth row with the same local_id and source_system =
// assigning_authority (HL7) or 'FHIR' (FHIR records). Pairs are counted per cluster
// (n(n-1)/2), never enumerated. Errors: NotFound when a table or the file is missing; DuckDB's
// errors for a malformed CSV. The file name may appear in errors; its contents never do.
Result<LinkQuality> EvaluatePatientIndex(engine::LakeSession& session, const std::string& truth_csv);

}  // namespace medlake::pipeline
