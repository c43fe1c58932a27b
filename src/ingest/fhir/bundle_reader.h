// ingest/fhir/bundle_reader.h: splits a FHIR R4 Bundle into the resources of its entries.
//
// Any Bundle.type is accepted (document, message, transaction, transaction-response, batch,
// batch-response, history, searchset, collection). Each entry's resource is returned as the
// exact substring of the input (byte-exact, so raw tables keep the original payload), with the
// entry index, fullUrl and request method/url. The resources themselves are checked by
// fhir_resource.h. A problem with one entry is reported on that entry (a rejected record); only
// a malformed Bundle as a whole is an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace medlake::ingest::fhir {

// One element of Bundle.entry.
struct FhirBundleEntry {
  size_t index = 0;            // 0-based position in Bundle.entry
  std::string full_url;        // Bundle.entry.fullUrl; empty when absent
  std::string request_method;  // Bundle.entry.request.method (e.g. "POST"); empty when absent
  std::string request_url;     // Bundle.entry.request.url; empty when absent
  // True when the entry has a resource (false e.g. for a DELETE request entry).
  bool has_resource = false;
  // The resource's exact JSON text: a view into the input given to ReadBundle.
  std::string_view resource_json;
  uint64_t resource_offset = 0;  // byte offset of resource_json within that input
  // Empty when the entry is usable; otherwise why it must be rejected (a reason naming the
  // JSON path, e.g. "entry[3].resource is not an object"; never a value).
  std::string problem;
};

struct FhirBundle {
  std::string id;    // Bundle.id; empty when absent
  std::string type;  // Bundle.type
  std::vector<FhirBundleEntry> entries;
};

// True for the R4 Bundle.type codes (http://hl7.org/fhir/R4/valueset-bundle-type.html).
bool IsFhirBundleType(std::string_view type);

// Splits `json`, one Bundle. Returns InvalidArgument with a reason when it is not valid JSON
// (or not UTF-8), not an object, resourceType is not "Bundle", type is missing or unknown, or
// entry is present but not an array. The returned views point into `json`, which must outlive
// them. Thread-safe (no shared state; allocates its parsers per call).
Result<FhirBundle> ReadBundle(std::string_view json);

}  // namespace medlake::ingest::fhir
