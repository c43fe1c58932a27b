// server/fhir/fhir_resources_internal.h: the FHIR R4 resource types served over the normalized
// layer, their search parameters, and the mapping from normalized rows to resources (private to
// server/fhir).
//
// Resource <- table (one row per source record; see src/pipeline/models/normalized/*.sql):
//   Patient            <- normalized.patient rows of one person (normalized.person_link)
//   Observation        <- normalized.observation
//   Condition          <- normalized.condition
//   Encounter          <- normalized.encounter
//   MedicationRequest  <- normalized.medication_request
//   Procedure          <- normalized.procedure
//   AllergyIntolerance <- normalized.allergy_intolerance
//   Immunization       <- normalized.immunization
// Rows are read as `t.*` so that columns a user may not read are simply missing from the
// resource; masked values appear masked (a value that no longer fits its FHIR datatype, e.g. a
// hashed date, is left out; Patient.birthDate then carries the data-absent-reason "masked").
//
// Thread-safety: pure functions over immutable tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/fhir/fhir_query_internal.h"

namespace medlake::server::fhir::internal {

// Resources keep their keys in insertion order (resourceType first), as people read them.
using Json = nlohmann::ordered_json;

// An empty object with room for `keys` members. An ordered_json object is a vector of (const
// key, value) pairs, and growing it copies every value already in it (the const key makes the
// pair's move throwing): a resource built without room copied its nested members several times.
Json ObjectWithRoom(size_t keys);

inline constexpr std::string_view kPersonTable = "normalized.patient";
inline constexpr std::string_view kLinkTable = "normalized.person_link";
inline constexpr std::string_view kRetiredTable = "normalized.person_id_map";
// Identifier systems of our own (docs: README.md "Ids").
inline constexpr std::string_view kSourceRecordSystem = "urn:medlake:source-record";
inline constexpr std::string_view kFhirPatientSystem = "urn:medlake:fhir:Patient";
inline constexpr std::string_view kHl7AuthorityPrefix = "urn:medlake:hl7:";
inline constexpr std::string_view kCodeSystemPrefix = "urn:medlake:codesystem:";
// National identifier systems, as the region's FHIR sources send them.
inline constexpr std::string_view kDniSystem = "https://medlake.example/sid/dni";
inline constexpr std::string_view kNieSystem = "https://medlake.example/sid/nie";
inline constexpr std::string_view kCipSystem = "https://medlake.example/sid/cip";
inline constexpr std::string_view kNussSystem = "https://medlake.example/sid/nuss";

enum class ParamKind {
  kPatient,  // reference to a Patient: Patient/{person_id} or the bare id
  kCode,     // token over (code_system, code) columns
  kToken,    // token over one column, system ignored
  kDate,     // date with prefixes over one DATE/TIMESTAMPTZ column
};

struct ParamSpec {
  std::string name;
  ParamKind kind;
  std::string column;         // kToken/kDate: the column; kCode: the code column ("code")
  std::string documentation;  // for the CapabilityStatement
};

using BuildFn = Json (*)(const Row& row);

// One clinical resource type over one normalized table with a patient_source_key column.
struct ResourceSpec {
  std::string resource;     // "Observation"
  std::string table;        // "normalized.observation"
  std::string date_column;  // the clinical date ($everything start/end, _sort-free paging)
  std::vector<ParamSpec> params;
  BuildFn build;
};

// The clinical types in the order $everything and $export list them.
const std::vector<ResourceSpec>& ClinicalSpecs();
// nullptr when `resource` is not one of them.
const ResourceSpec* FindClinicalSpec(std::string_view resource);

// The Patient for `person_id` from its source records' normalized.patient rows (each with
// `source_key` and the other columns), newest record first. Empty `records` is a programmer
// error (callers answer 404 first).
Json BuildPatient(int64_t person_id, const std::vector<Row>& records);

// The Patient a retired (merged) person id still answers with: inactive, replaced-by `survivor`.
Json BuildRetiredPatient(int64_t retired_id, int64_t survivor);

// The FHIR R4 text of a DATE value ("YYYY-MM-DD"), or nullopt when it is not one (masked).
std::optional<std::string> FhirDate(const engine::Value& v);
// The FHIR R4 dateTime/instant text of a TIMESTAMPTZ value ("2024-03-01T10:00:00Z"; a DATE value
// gives its date when `allow_date`), or nullopt.
std::optional<std::string> FhirDateTime(const engine::Value& v, bool allow_date);
// Microseconds since 1970-01-01 UTC of a TIMESTAMPTZ as DuckDB renders it
// ("YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM]", years 0001-9999), or nullopt for other values.
std::optional<int64_t> InstantMicros(const engine::Value& v);

// The URI of a stored code system spelling ("http://loinc.org" stays; HL7 v2 table 0396 names
// such as "SCT" become their FHIR URIs; anything else urn:medlake:codesystem:<name>).
std::string CodeSystemUri(std::string_view stored);
// The stored spellings that CodeSystemUri() maps to `uri` (the URI itself included).
std::vector<std::string> StoredCodeSystems(std::string_view uri);

// The SQL condition of a token value on a (code_system, code) pair of columns of alias `t`.
std::string CodeTokenSql(const TokenValue& token);

// An OperationOutcome with one issue. `severity`: fatal, error, warning, information; `code`: an
// IssueType code (invalid, forbidden, not-found, login, ...).
Json OperationOutcome(std::string_view severity, std::string_view code, std::string_view text);

}  // namespace medlake::server::fhir::internal
