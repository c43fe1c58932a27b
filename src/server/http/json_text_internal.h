// server/http/json_text_internal.h: JSON string escaping shared by the error bodies of
// http_server.cc and the result writers of json_stream.cc (private to server/http).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace medlake::server::http::internal {

// Appends `text` as a JSON string literal, quotes included (RFC 8259 section 7). Control
// characters, '"' and '\' are escaped; bytes that are not well-formed UTF-8 (RFC 3629) become
// U+FFFD so that the output is always valid JSON whatever the stored bytes are.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace medlake::server::http::internal
