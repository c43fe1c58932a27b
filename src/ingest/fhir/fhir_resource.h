// ingest/fhir/fhir_resource.h: checks one FHIR R4 resource (JSON) and extracts the columns of
// the raw table raw.fhir_resources.
//
// This is the first gate of FHIR ingestion: NDJSON lines (ndjson_reader.h) and Bundle entries
// (bundle_reader.h) pass through SummarizeResource; an error is a rejected record (quarantine),
// never a failed load. Only the envelope is checked here (resourceType, id, meta, the reference
// to the patient and the effective time), not the full profile.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ingest/fhir/fhir_datetime.h"

namespace medlake::ingest::fhir {

// The extracted columns of one resource.
struct FhirResourceSummary {
  std::string resource_type;  // e.g. "Observation"; always one of FhirR4ResourceTypes()
  std::string id;             // Resource.id; empty only when SummarizeOptions::require_id is false
  std::string version_id;     // Resource.meta.versionId; empty when absent
  std::optional<int64_t> last_updated_micros;  // Resource.meta.lastUpdated as UTC micros
  // The patient the resource is about: Patient.id for a Patient; otherwise the first of
  // subject/patient/beneficiary whose reference points at a Patient. "Patient/x" (also absolute
  // ".../Patient/x" and "Patient/x/_history/n") gives "x"; "urn:uuid:..." and conditional
  // references ("Patient?identifier=...") are kept as given. Empty when there is none.
  std::string patient_reference;
  // The first present of: effectiveDateTime, effectivePeriod.start, effectiveInstant, issued,
  // period.start, onsetDateTime, authoredOn, occurrenceDateTime, recordedDate,
  // performedDateTime, performedPeriod.start, date.
  std::optional<FhirDateTime> effective;
  std::string effective_path;  // the element `effective` came from, e.g. "effectivePeriod.start"
};

struct SummarizeOptions {
  // Bundle entries created by POST may come without an id; NDJSON resources must have one.
  bool require_id = true;
};

// All FHIR R4 (4.0.1) resource type names, sorted.
std::span<const std::string_view> FhirR4ResourceTypes();
// True when `name` is one of FhirR4ResourceTypes() (case-sensitive).
bool IsFhirR4ResourceType(std::string_view name);

// Checks and summarizes one resource. Returns InvalidArgument with a reason when `json` is not
// valid JSON (or not UTF-8), not an object, has no string resourceType or an unknown one, has no
// id (when required) or an id not matching [A-Za-z0-9\-.]{1,64}, has a malformed meta.versionId
// or meta.lastUpdated (instant), a subject/patient/beneficiary that is not a Reference, or a
// malformed date in any of the effective-time elements listed above. Reasons name JSON paths,
// never values. `json` is only read during the call. Reuses an internal parser: not thread-safe;
// use one object per thread.
class FhirResourceSummarizer {
 public:
  FhirResourceSummarizer();
  ~FhirResourceSummarizer();
  FhirResourceSummarizer(const FhirResourceSummarizer&) = delete;
  FhirResourceSummarizer& operator=(const FhirResourceSummarizer&) = delete;

  Result<FhirResourceSummary> Summarize(std::string_view json,
                                        const SummarizeOptions& options = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot form of FhirResourceSummarizer::Summarize (allocates a parser per call). Thread-safe.
Result<FhirResourceSummary> SummarizeResource(std::string_view json,
                                              const SummarizeOptions& options = {});

// True when `id` matches the FHIR id type: [A-Za-z0-9\-.]{1,64}.
bool IsValidFhirId(std::string_view id);

}  // namespace medlake::ingest::fhir
