#include "storage/iceberg/partition.h"

#include <algorithm>
#include <utility>

#include "storage/iceberg/json_internal.h"

namespace medlake::storage::iceberg {
namespace {

Result<Type> SourceType(const PartitionField& field, const Schema& schema) {
  const NestedField* source = FindFieldById(schema, field.source_id);
  if (source == nullptr) {
    return InvalidArgument("partition field '" + field.name + "': source column id " +
                           std::to_string(field.source_id) + " is not in schema " +
                           std::to_string(schema.schema_id));
  }
  return source->type;
}

}  // namespace

int32_t HighestPartitionFieldId(const PartitionSpec& spec) {
  int32_t highest = kPartitionDataIdStart - 1;
  for (const PartitionField& f : spec.fields)
    highest = std::max(highest, f.field_id);
  return highest;
}

Result<Type> PartitionType(const PartitionSpec& spec, const Schema& schema) {
  std::vector<NestedField> fields;
  for (const PartitionField& pf : spec.fields) {
    MEDLAKE_ASSIGN_OR_RETURN(Type source, SourceType(pf, schema));
    auto result = TransformResultType(pf.transform, source);
    if (!result.ok())
      return result.status().WithContext("partition field '" + pf.name + "'");
    NestedField f;
    f.id = pf.field_id;
    f.name = pf.name;
    f.required = false;  // partition values may always be null
    f.type = std::move(result).value();
    fields.push_back(std::move(f));
  }
  return Type::Struct(std::move(fields));
}

std::string UrlEncodeLikeJava(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == '*' || c == '_';
    if (keep) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

Result<std::string> PartitionToPath(const PartitionSpec& spec, const Schema& schema,
                                    const std::vector<Value>& partition) {
  if (partition.size() != spec.fields.size()) {
    return InvalidArgument("partition tuple has " + std::to_string(partition.size()) +
                           " values but spec " + std::to_string(spec.spec_id) + " has " +
                           std::to_string(spec.fields.size()) + " fields");
  }
  std::string path;
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    const PartitionField& pf = spec.fields[i];
    MEDLAKE_ASSIGN_OR_RETURN(Type source, SourceType(pf, schema));
    auto human = TransformHumanString(pf.transform, source, partition[i]);
    if (!human.ok())
      return human.status().WithContext("partition field '" + pf.name + "'");
    if (i > 0)
      path += '/';
    path += UrlEncodeLikeJava(pf.name) + "=" + UrlEncodeLikeJava(*human);
  }
  return path;
}

namespace internal {

Result<std::vector<PartitionField>> PartitionFieldsFromJson(const Json& json,
                                                            bool require_field_ids,
                                                            std::string_view ctx) {
  MEDLAKE_RETURN_IF_ERROR(RequireArray(json, std::string(ctx) + " fields"));
  std::vector<PartitionField> fields;
  // v1 (spec "Partition Evolution"): ids were assigned sequentially from 1000 within each spec.
  int32_t next_v1_id = kPartitionDataIdStart;
  for (const Json& item : json) {
    MEDLAKE_RETURN_IF_ERROR(RequireObject(item, std::string(ctx) + " field"));
    PartitionField f;
    MEDLAKE_ASSIGN_OR_RETURN(f.name, GetString(item, "name", ctx));
    std::string field_ctx = std::string(ctx) + " field '" + f.name + "'";
    MEDLAKE_ASSIGN_OR_RETURN(f.source_id, GetInt32(item, "source-id", field_ctx));
    if (require_field_ids) {
      MEDLAKE_ASSIGN_OR_RETURN(f.field_id, GetInt32(item, "field-id", field_ctx));
    } else {
      MEDLAKE_ASSIGN_OR_RETURN(auto id, GetOptionalInt32(item, "field-id", field_ctx));
      f.field_id = id.value_or(next_v1_id);
    }
    next_v1_id = std::max(next_v1_id, f.field_id + 1);
    MEDLAKE_ASSIGN_OR_RETURN(std::string transform, GetString(item, "transform", field_ctx));
    auto parsed = ParseTransformForRead(transform);
    if (!parsed.ok())
      return DataLoss(field_ctx + ": " + parsed.status().message());
    f.transform = std::move(parsed).value();
    fields.push_back(std::move(f));
  }
  return fields;
}

Result<PartitionSpec> PartitionSpecFromJson(const Json& json, bool require_field_ids,
                                            std::string_view ctx) {
  MEDLAKE_RETURN_IF_ERROR(RequireObject(json, ctx));
  PartitionSpec spec;
  MEDLAKE_ASSIGN_OR_RETURN(spec.spec_id, GetInt32(json, "spec-id", ctx));
  std::string spec_ctx = std::string(ctx) + " " + std::to_string(spec.spec_id);
  MEDLAKE_ASSIGN_OR_RETURN(const Json* fields, GetMember(json, "fields", spec_ctx));
  MEDLAKE_ASSIGN_OR_RETURN(spec.fields,
                           PartitionFieldsFromJson(*fields, require_field_ids, spec_ctx));
  return spec;
}

Json PartitionFieldsToJsonValue(const std::vector<PartitionField>& fields) {
  Json out = Json::array();
  for (const PartitionField& f : fields) {
    Json j = Json::object();
    j["source-id"] = f.source_id;
    j["field-id"] = f.field_id;
    j["name"] = f.name;
    j["transform"] = TransformToString(f.transform);
    out.push_back(std::move(j));
  }
  return out;
}

Json PartitionSpecToJsonValue(const PartitionSpec& spec) {
  Json j = Json::object();
  j["spec-id"] = spec.spec_id;
  j["fields"] = PartitionFieldsToJsonValue(spec.fields);
  return j;
}

}  // namespace internal

Result<PartitionSpec> ParsePartitionSpecJson(std::string_view json) {
  MEDLAKE_ASSIGN_OR_RETURN(internal::Json j, internal::ParseJsonText(json, "partition spec"));
  return internal::PartitionSpecFromJson(j, /*require_field_ids=*/true, "partition spec");
}

std::string PartitionSpecToJson(const PartitionSpec& spec) {
  return internal::DumpJson(internal::PartitionSpecToJsonValue(spec), -1);
}

}  // namespace medlake::storage::iceberg
