// pipeline/patient_index.h: the enterprise patient index (ARCHITECTURE.md section 6).
// PLACEHOLDER: being written (issue 6). The interface below is the contract with the runner.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "engine/lake_session.h"

namespace medlake::pipeline {

struct PatientIndexOptions {
  bool full_rebuild = false;  // relink every record (person ids are still kept where possible)
};

struct PatientIndexReport {
  int64_t records_read = 0;     // normalized.patient rows considered in this run
  int64_t records_linked = 0;   // rows given (or confirmed) a person_id in this run
  int64_t persons_total = 0;    // distinct person ids after the run
  int64_t persons_new = 0;      // person ids created in this run
  int64_t review_pairs = 0;     // uncertain pairs waiting in the review table
  int64_t merges_applied = 0;   // HL7 A40 merges honoured in this run
};

// Links every normalized.patient row to a stable person_id; writes normalized.person_link
// (source_key VARCHAR, person_id BIGINT, ...) and the review table. NotFound when
// normalized.patient does not exist.
Result<PatientIndexReport> UpdatePatientIndex(engine::LakeSession& session, const PatientIndexOptions& options);

}  // namespace medlake::pipeline
