// cli/patient_index_command.h: `medlake patient-index review|accept|reject|stats`, the reviewer's
// side of the enterprise patient index (pipeline/patient_index.h).
//
//   review [--limit N]        pending uncertain pairs, most likely matches first
//   accept KEY_A KEY_B        link two source records (recorded as a decision, then applied)
//   reject KEY_A KEY_B        keep two source records in different persons (same)
//   stats                     records, persons, methods, review queue, retired ids
#pragma once

#include <cstdio>
#include <string>

namespace medlake::cli {

struct PatientIndexCommandOptions {
  std::string lake;
  std::string action;  // review, accept, reject, stats
  std::string key_a;   // accept/reject: normalized.patient source keys
  std::string key_b;
  int limit = 50;      // review: rows to show
  bool apply = true;   // accept/reject: run the index afterwards so the decision takes effect
};

// Runs the action on the lake at options.lake (which must exist). Tables go to `out` in the
// `medlake sql` table format; errors to `err`. Returns the exit status: 0 ok, 1 when the lake,
// a table or a source key is missing or a commit fails, 2 for an unknown action.
int RunPatientIndexCommand(const PatientIndexCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace medlake::cli
