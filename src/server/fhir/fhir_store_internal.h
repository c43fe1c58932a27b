// server/fhir/fhir_store_internal.h: FHIR reads, searches, $everything and export streams as SQL
// over the normalized layer, on the requesting user's session (private to server/fhir).
//
// Every function takes the user's LakeSession: the security layer rewrites each statement (row
// filters, masks, grants, purpose) and audits it. Query errors are translated so that nothing of
// the statement text (which holds search values) reaches the client or the log:
// PermissionDenied keeps its message (table and user names), NotFound becomes FailedPrecondition
// ("the lake has no table ... yet"), Aborted and ResourceExhausted keep their code with a generic
// message, anything else becomes Internal.
//
// Thread-safety: one session, one thread at a time (the session's rule).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "engine/lake_session.h"
#include "server/fhir/fhir_ids.h"
#include "server/fhir/fhir_resources_internal.h"

namespace medlake::server::fhir::internal {

// The search parameters of one request, in order (name with its modifier, e.g. "name:exact").
using SearchParams = std::vector<std::pair<std::string, std::string>>;

// A search translated to SQL: the WHERE conditions and the parameters that were applied (for the
// self link). Parameters that are not search parameters of the type are in `ignored`.
struct SearchSql {
  std::vector<std::string> conditions;  // ANDed; each refers to alias t (clinical) or l/p (Patient)
  SearchParams applied;
  std::vector<std::string> ignored;     // names only
};

// Result parameters (_count, _offset, _format, _summary, _total, _pretty) that are not search
// conditions. Others such as _sort or _include are unsupported: reported in `ignored`.
bool IsResultParameter(const std::string& name);

// The Patient search parameters: _id, identifier, name, family, given, birthdate, gender.
// InvalidArgument for a malformed value or an unsupported modifier.
Result<SearchSql> PatientSearchSql(engine::LakeSession& session, const SearchParams& params);
// The search parameters of a clinical type (spec.params plus _id).
Result<SearchSql> ClinicalSearchSql(engine::LakeSession& session, const ResourceSpec& spec,
                                    const SearchParams& params);

// The person a person id names now: itself, or the survivor of a merge (normalized.person_id_map,
// followed through chains). A lake without the map (or a user who may not read it) resolves every
// id to itself.
Result<int64_t> ResolvePerson(engine::LakeSession& session, int64_t person_id);

// A Patient read. nullopt when no readable source record is linked to `person_id`; a retired id
// whose survivor is readable answers with BuildRetiredPatient().
Result<std::optional<Json>> ReadPatient(engine::LakeSession& session, int64_t person_id);
// A clinical read by id. nullopt when no readable row has that id.
Result<std::optional<Json>> ReadClinical(engine::LakeSession& session, const ResourceSpec& spec,
                                         const DecodedId& id);

struct SearchPage {
  std::vector<Json> resources;  // the page, in order
  bool more = false;            // rows follow the page
  int64_t total = -1;           // matches in all; -1 when not computed
};
// One page of a search (offset, count). `with_total`: compute the total (free when the page is
// the last one, else a count query). count 0 gives only the total.
Result<SearchPage> SearchPatients(engine::LakeSession& session, const SearchSql& sql, size_t offset, size_t count,
                                  bool with_total);
Result<SearchPage> SearchClinical(engine::LakeSession& session, const ResourceSpec& spec, const SearchSql& sql,
                                  size_t offset, size_t count, bool with_total);

// $everything of a person (already resolved): the Patient first, then every clinical row of every
// linked source record, type by type (ClinicalSpecs() order), by source_key. Types the user may
// not read are skipped and named in `skipped`. `types` (empty: all) limits the clinical types;
// `date_conditions` (on the type's clinical date, may be empty) limit clinical rows.
struct EverythingOptions {
  std::vector<std::string> types;
  std::vector<DateRange> dates;  // start (ge) / end (le)
  bool include_patient = true;
};
struct EverythingPage {
  std::optional<Json> patient;  // nullopt: no readable record of the person (404)
  std::vector<Json> resources;  // Patient (when in the page) then clinical resources
  int64_t total = 0;
  bool more = false;
  std::vector<std::string> skipped;  // resource types not readable by the user
};
Result<EverythingPage> Everything(engine::LakeSession& session, int64_t person_id, const EverythingOptions& options,
                                  size_t offset, size_t count);

// Streams every resource of `resource` ("Patient" or a clinical type) to `on_resource`, for bulk
// export. `since` (may be empty): a TIMESTAMPTZ SQL expression; only records with record_time at
// or after it. `linked_only`: only records linked to a person (Patient-level export).
// `should_stop` is polled between rows; when it returns true the stream ends with Aborted.
Status StreamResources(engine::LakeSession& session, const std::string& resource, const std::string& since,
                       bool linked_only, const std::function<Status(const Json&)>& on_resource,
                       const std::function<bool()>& should_stop);

// Translates a query error as the file comment says; `what` names the table or resource type.
Status QueryError(const Status& error, std::string_view what);

}  // namespace medlake::server::fhir::internal
