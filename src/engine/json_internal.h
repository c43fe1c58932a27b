// engine/json_internal.h: private to the engine module: exception-free reads of nlohmann::json
// trees produced by DuckDB's json_serialize_sql or by Iceberg type JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace medlake::engine::internal {

// The string member `key` of `node`, or "" when it is missing or not a string.
inline std::string JsonString(const nlohmann::json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace medlake::engine::internal
