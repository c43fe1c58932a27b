// server/fhir/fhir_ids.h: the logical ids of the resources the FHIR API serves.
//
// Part of server/fhir (see README.md). Two kinds of ids:
//   - Patient: the enterprise person id of the patient index (normalized.person_link.person_id),
//     in decimal: "Patient/42". One Patient per person, carrying every linked source record.
//   - every other resource: its normalized row's `source_key`, encoded reversibly into the FHIR
//     id alphabet [A-Za-z0-9-.] (FHIR R4 "id" datatype, at most 64 characters):
//       letters and digits   themselves
//       '|'                  '.'
//       '.'  '-'  '/'  '_'   "-d"  "-m"  "-s"  "-u"
//       any other byte       "-x" + two lowercase hex digits
//     e.g. "fhir|Observation/obs-1" -> "fhir.Observation-sobs-m1",
//          "hl7|LAB|L1_X|7|2"     -> "hl7.LAB.L1-uX.7.2".
//     A key whose encoding would exceed 64 characters gets "-h" + the first 40 hex digits of
//     SHA-256(source_key) instead; such ids are found by hashing (a scan), the others by
//     equality on source_key (files pruned by their statistics).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace medlake::server::fhir {

// Longest id FHIR R4 allows.
inline constexpr size_t kMaxFhirIdLength = 64;

// The FHIR id of a normalized row with `source_key` (see the file comment). Never empty for a
// non-empty key.
std::string EncodeSourceKey(std::string_view source_key);

// What a FHIR id names.
struct DecodedId {
  std::string source_key;  // set when the id is a plain encoding
  std::string key_hash;    // 40 lowercase hex digits, when the id is the hashed form
};

// Decodes an id made by EncodeSourceKey(). nullopt when `id` is not a valid FHIR id or not an
// encoding (a malformed escape): such an id names nothing.
std::optional<DecodedId> DecodeResourceId(std::string_view id);

// True when `id` matches the FHIR R4 id datatype: [A-Za-z0-9\-\.]{1,64}.
bool IsValidFhirId(std::string_view id);

}  // namespace medlake::server::fhir
