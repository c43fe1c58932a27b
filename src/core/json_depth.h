// core/json_depth.h: a guard against deeply nested JSON, checked before a JSON library parses it.
//
// JSON libraries build and free trees recursively; a few hundred thousand nested brackets in a
// request body or a metadata file would exhaust the stack. This scan counts bracket depth outside
// strings without building anything.
#pragma once

#include <string_view>

namespace medlake {

// True when no array or object in `text` is nested deeper than `max_depth` levels. Does not
// validate the JSON otherwise.
bool JsonNestingWithin(std::string_view text, int max_depth);

}  // namespace medlake
