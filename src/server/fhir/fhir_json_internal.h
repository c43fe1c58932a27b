// server/fhir/fhir_json_internal.h: JSON text of resources and Bundles, written without the JSON
// library's per-character escaping loop (private to server/fhir).
//
// nlohmann's serializer decodes every byte of every string through its UTF-8 state machine; on a
// Patient/$everything that was about 6% of the request's CPU. The text is the same as
// `j.dump(-1, ' ', false, error_handler_t::replace)`, byte for byte: strings of valid UTF-8 go to
// engine::AppendJsonString (runs copied whole between the characters JSON escapes), and the rare
// string holding invalid UTF-8 (or a float) is left to the library.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "server/fhir/fhir_resources_internal.h"

namespace medlake::server::fhir::internal {

// Appends the compact JSON text of `j` to `out`.
void AppendCompactJson(const Json& j, std::string* out);

// The compact JSON text of `j` (invalid UTF-8 in strings replaced by U+FFFD).
std::string CompactJson(const Json& j);

}  // namespace medlake::server::fhir::internal
