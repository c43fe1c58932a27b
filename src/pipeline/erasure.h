// pipeline/erasure.h: the right to erasure (GDPR art. 17): remove one person from every layer
// of the lake and from table history (docs/erasure.md).
//
// The person is an enterprise person_id of the patient index. Their source records are the
// normalized.person_link rows of that person; from those keys medlake finds, per table:
//   raw.hl7_messages      messages whose local patient id (first PID-3 PI identifier, with its
//                         assigning authority or the sending facility) is one of the person's
//   raw.fhir_resources    the Patient resources and every resource whose patient_ref points at them
//   raw.quarantine        quarantined rows whose payload names one of the person's source keys
//   normalized.*          rows whose patient_source_key (source_key for patient and person_link)
//                         is one of the person's; review pairs naming one of them
//   curated.*, any other  rows whose person_id is the person's
//   fhir_views.*          rows whose patient_id (id for patient) is one of the person's FHIR ids
// Each affected table gets one DELETE snapshot, then is compacted (every live row rewritten into
// new files, so no file holds the person's rows) and its older snapshots are expired (time
// travel to before the erasure is no longer possible for that table; the files only they used
// are deleted). Rows of other persons are not changed.
//
// A receipt (JSON, no identifiers: the number of source records, per-table counts, snapshots
// expired, files deleted) is written to <lake>/erasure/<erasure id>.json and returned.
//
// Limits: a message that arrives again from its source after the erasure is ingested again
// (erasure must be carried to the sources), and the MLLP staging WAL is not purged (its records
// are removed once committed); FHIR resources that point at the patient only through a Bundle's
// urn:uuid reference are not found; HL7 messages that mention the person only in other
// segments (MRG of a merge into another patient, NK1) are not found; quarantined messages that
// could not be parsed are found only by their source keys' text.
//
// Thread-safety: uses the given trusted session; one thread at a time. Concurrent writers to the
// affected tables make a step fail with a commit conflict; run it again.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "engine/lake_session.h"

namespace medlake::pipeline {

struct ErasureOptions {
  int64_t person_id = 0;
  bool dry_run = false;  // count what would be removed; change nothing
};

struct ErasureTableReport {
  std::string table;
  std::string matched_by;  // e.g. "person_id", "patient_source_key", "patient identifier"
  int64_t rows_removed = 0;
  int64_t snapshots_expired = 0;
  int64_t files_deleted = 0;
};

struct ErasureReceipt {
  std::string erasure_id;
  int64_t person_id = 0;
  bool dry_run = false;
  std::string started_at, finished_at;
  int64_t source_records = 0;                  // the person's source records (keys are not kept:
                                               // low-entropy ids would be recovered from hashes)
  std::vector<ErasureTableReport> tables;      // tables where rows matched
  int64_t rows_removed = 0;
  std::string receipt_path;                    // empty for a dry run
};

// Erases `options.person_id`. NotFound when the patient index does not know the person.
Result<ErasureReceipt> ErasePerson(engine::LakeSession& session, const ErasureOptions& options);

// How rows of `ns.table` (whose columns are `columns`) belong to the person: (what matched,
// SQL condition), or empty strings when the table holds no rows of persons.
std::pair<std::string, std::string> ErasureMatch(const std::string& ns, const std::string& table,
                                                 const std::set<std::string>& columns, int64_t person_id,
                                                 const std::vector<std::string>& source_keys,
                                                 const std::vector<std::string>& fhir_patient_ids);

// The receipt as JSON text.
std::string ErasureReceiptJson(const ErasureReceipt& receipt);

}  // namespace medlake::pipeline
