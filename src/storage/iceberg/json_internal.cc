#include "storage/iceberg/json_internal.h"

#include "core/json_depth.h"

#include <limits>
#include <utility>

namespace medlake::storage::iceberg::internal {
namespace {

Status WrongType(std::string_view key, std::string_view ctx, std::string_view expected) {
  return DataLoss(std::string(ctx) + ": field '" + std::string(key) + "' must be " +
                  std::string(expected));
}

}  // namespace

Result<Json> ParseJsonText(std::string_view text, std::string_view what) {
  // JSON trees are built and freed recursively: refuse absurd nesting before parsing (Iceberg
  // metadata and REST bodies nest a few levels; nested types a dozen at most).
  if (!JsonNestingWithin(text, 128)) return DataLoss(std::string(what) + ": JSON nested too deeply");
  // Non-throwing mode: a syntax error yields a "discarded" value instead of an exception.
  Json json = Json::parse(text.begin(), text.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded())
    return DataLoss(std::string(what) + ": not valid JSON");
  return json;
}

std::string DumpJson(const Json& json, int indent) {
  return json.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

Status RequireObject(const Json& value, std::string_view what) {
  if (!value.is_object())
    return DataLoss(std::string(what) + " must be a JSON object");
  return Status::OK();
}

Status RequireArray(const Json& value, std::string_view what) {
  if (!value.is_array())
    return DataLoss(std::string(what) + " must be a JSON array");
  return Status::OK();
}

const Json* FindMember(const Json& object, std::string_view key) {
  auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null())
    return nullptr;
  return &*it;
}

Result<const Json*> GetMember(const Json& object, std::string_view key, std::string_view ctx) {
  const Json* member = FindMember(object, key);
  if (member == nullptr) {
    return DataLoss(std::string(ctx) + ": missing required field '" + std::string(key) + "'");
  }
  return member;
}

Result<int64_t> AsInt64(const Json& value, std::string_view key, std::string_view ctx) {
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return WrongType(key, ctx, "a 64-bit signed integer");
    }
    return static_cast<int64_t>(u);
  }
  if (value.is_number_integer())
    return value.get<int64_t>();
  return WrongType(key, ctx, "an integer");
}

Result<int32_t> AsInt32(const Json& value, std::string_view key, std::string_view ctx) {
  MEDLAKE_ASSIGN_OR_RETURN(int64_t v, AsInt64(value, key, ctx));
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return WrongType(key, ctx, "a 32-bit integer");
  }
  return static_cast<int32_t>(v);
}

Result<bool> AsBool(const Json& value, std::string_view key, std::string_view ctx) {
  if (!value.is_boolean())
    return WrongType(key, ctx, "a boolean");
  return value.get<bool>();
}

Result<std::string> AsString(const Json& value, std::string_view key, std::string_view ctx) {
  if (!value.is_string())
    return WrongType(key, ctx, "a string");
  return value.get<std::string>();
}

Result<int32_t> GetInt32(const Json& object, std::string_view key, std::string_view ctx) {
  MEDLAKE_ASSIGN_OR_RETURN(const Json* member, GetMember(object, key, ctx));
  return AsInt32(*member, key, ctx);
}

Result<int64_t> GetInt64(const Json& object, std::string_view key, std::string_view ctx) {
  MEDLAKE_ASSIGN_OR_RETURN(const Json* member, GetMember(object, key, ctx));
  return AsInt64(*member, key, ctx);
}

Result<bool> GetBool(const Json& object, std::string_view key, std::string_view ctx) {
  MEDLAKE_ASSIGN_OR_RETURN(const Json* member, GetMember(object, key, ctx));
  return AsBool(*member, key, ctx);
}

Result<std::string> GetString(const Json& object, std::string_view key, std::string_view ctx) {
  MEDLAKE_ASSIGN_OR_RETURN(const Json* member, GetMember(object, key, ctx));
  return AsString(*member, key, ctx);
}

Result<std::optional<int32_t>> GetOptionalInt32(const Json& object, std::string_view key,
                                                std::string_view ctx) {
  const Json* member = FindMember(object, key);
  if (member == nullptr)
    return std::optional<int32_t>();
  MEDLAKE_ASSIGN_OR_RETURN(int32_t v, AsInt32(*member, key, ctx));
  return std::optional<int32_t>(v);
}

Result<std::optional<int64_t>> GetOptionalInt64(const Json& object, std::string_view key,
                                                std::string_view ctx) {
  const Json* member = FindMember(object, key);
  if (member == nullptr)
    return std::optional<int64_t>();
  MEDLAKE_ASSIGN_OR_RETURN(int64_t v, AsInt64(*member, key, ctx));
  return std::optional<int64_t>(v);
}

Result<std::optional<std::string>> GetOptionalString(const Json& object, std::string_view key,
                                                     std::string_view ctx) {
  const Json* member = FindMember(object, key);
  if (member == nullptr)
    return std::optional<std::string>();
  MEDLAKE_ASSIGN_OR_RETURN(std::string v, AsString(*member, key, ctx));
  return std::optional<std::string>(std::move(v));
}

Result<std::map<std::string, std::string>> GetStringMap(const Json& object, std::string_view key,
                                                        std::string_view ctx) {
  std::map<std::string, std::string> out;
  const Json* member = FindMember(object, key);
  if (member == nullptr)
    return out;
  if (!member->is_object())
    return WrongType(key, ctx, "an object of strings");
  for (const auto& [k, v] : member->items()) {
    if (!v.is_string()) {
      return DataLoss(std::string(ctx) + ": value of '" + std::string(key) + "." + k +
                      "' must be a string");
    }
    out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace medlake::storage::iceberg::internal
