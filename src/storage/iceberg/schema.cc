#include "storage/iceberg/schema.h"

#include <algorithm>
#include <functional>
#include <set>
#include <utility>

#include "storage/iceberg/json_internal.h"

namespace medlake::storage::iceberg {
namespace {

// Calls `visit(field, full_name)` for every field, parents before children; stops early when
// `visit` returns true. Returns true if stopped.
bool Walk(const std::vector<NestedField>& fields, const std::string& prefix,
          const std::function<bool(const NestedField&, const std::string&)>& visit) {
  for (const NestedField& f : fields) {
    std::string full = prefix.empty() ? f.name : prefix + "." + f.name;
    if (visit(f, full))
      return true;
    if (f.type.is_nested() && Walk(f.type.fields, full, visit))
      return true;
  }
  return false;
}

}  // namespace

const NestedField* FindFieldById(const Schema& schema, int32_t field_id) {
  const NestedField* found = nullptr;
  Walk(schema.fields, "", [&](const NestedField& f, const std::string&) {
    if (f.id != field_id)
      return false;
    found = &f;
    return true;
  });
  return found;
}

const NestedField* FindFieldByName(const Schema& schema, std::string_view name) {
  const NestedField* found = nullptr;
  Walk(schema.fields, "", [&](const NestedField& f, const std::string& full) {
    if (full != name)
      return false;
    found = &f;
    return true;
  });
  return found;
}

Result<std::string> FindColumnName(const Schema& schema, int32_t field_id) {
  std::string name;
  bool found = Walk(schema.fields, "", [&](const NestedField& f, const std::string& full) {
    if (f.id != field_id)
      return false;
    name = full;
    return true;
  });
  if (!found)
    return NotFound("no field with id " + std::to_string(field_id) + " in schema");
  return name;
}

int32_t HighestFieldId(const Schema& schema) {
  int32_t highest = 0;
  Walk(schema.fields, "", [&](const NestedField& f, const std::string&) {
    highest = std::max(highest, f.id);
    return false;
  });
  return highest;
}

Status ValidateSchema(const Schema& schema) {
  std::set<int32_t> seen;
  int32_t duplicate = 0;
  bool has_duplicate = Walk(schema.fields, "", [&](const NestedField& f, const std::string&) {
    if (seen.insert(f.id).second)
      return false;
    duplicate = f.id;
    return true;
  });
  if (has_duplicate) {
    return InvalidArgument("schema " + std::to_string(schema.schema_id) + ": field id " +
                           std::to_string(duplicate) + " is used more than once");
  }
  for (int32_t id : schema.identifier_field_ids) {
    const NestedField* f = FindFieldById(schema, id);
    if (f == nullptr || !f->type.is_primitive()) {
      return InvalidArgument("schema " + std::to_string(schema.schema_id) +
                             ": identifier field id " + std::to_string(id) +
                             " is not a primitive field of the schema");
    }
  }
  return Status::OK();
}

namespace internal {

Result<Schema> SchemaFromJson(const Json& json, bool require_schema_id, std::string_view ctx) {
  MEDLAKE_RETURN_IF_ERROR(RequireObject(json, ctx));
  Schema schema;
  if (require_schema_id) {
    MEDLAKE_ASSIGN_OR_RETURN(schema.schema_id, GetInt32(json, "schema-id", ctx));
  } else {
    MEDLAKE_ASSIGN_OR_RETURN(auto id, GetOptionalInt32(json, "schema-id", ctx));
    schema.schema_id = id.value_or(0);
  }
  std::string schema_ctx = std::string(ctx) + " " + std::to_string(schema.schema_id);
  MEDLAKE_ASSIGN_OR_RETURN(std::string kind, GetString(json, "type", schema_ctx));
  if (kind != "struct")
    return DataLoss(schema_ctx + ": 'type' must be \"struct\"");
  MEDLAKE_ASSIGN_OR_RETURN(Type type, TypeFromJson(json, schema_ctx));
  schema.fields = std::move(type.fields);
  if (const Json* ids = FindMember(json, "identifier-field-ids")) {
    MEDLAKE_RETURN_IF_ERROR(RequireArray(*ids, schema_ctx + ": 'identifier-field-ids'"));
    for (const Json& id : *ids) {
      MEDLAKE_ASSIGN_OR_RETURN(int32_t v, AsInt32(id, "identifier-field-ids", schema_ctx));
      schema.identifier_field_ids.push_back(v);
    }
  }
  Status valid = ValidateSchema(schema);
  if (!valid.ok())
    return DataLoss(valid.message());
  return schema;
}

Json SchemaToJsonValue(const Schema& schema) {
  Json j = Json::object();
  j["type"] = "struct";
  j["schema-id"] = schema.schema_id;
  if (!schema.identifier_field_ids.empty()) {
    j["identifier-field-ids"] = schema.identifier_field_ids;
  }
  j["fields"] = TypeToJsonValue(schema.AsStruct())["fields"];
  return j;
}

}  // namespace internal

Result<Schema> ParseSchemaJson(std::string_view json) {
  MEDLAKE_ASSIGN_OR_RETURN(internal::Json j, internal::ParseJsonText(json, "schema"));
  return internal::SchemaFromJson(j, /*require_schema_id=*/false, "schema");
}

std::string SchemaToJson(const Schema& schema) {
  return internal::DumpJson(internal::SchemaToJsonValue(schema), -1);
}

}  // namespace medlake::storage::iceberg
