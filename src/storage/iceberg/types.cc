#include "storage/iceberg/types.h"

#include <charconv>
#include <utility>

#include "storage/iceberg/json_internal.h"

namespace medlake::storage::iceberg {
namespace {

Type OfKind(TypeId id) {
  Type t;
  t.id = id;
  return t;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

// A non-negative decimal integer that fits in int32, or nullopt.
std::optional<int32_t> ParseSmallNumber(std::string_view s) {
  s = TrimSpaces(s);
  if (s.empty())
    return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
  }
  int32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string FieldToString(const NestedField& f) {
  return std::to_string(f.id) + ": " + f.name + ": " + (f.required ? "required " : "optional ") +
         TypeToString(f.type);
}

}  // namespace

Type Type::Boolean() { return OfKind(TypeId::kBoolean); }
Type Type::Int() { return OfKind(TypeId::kInt); }
Type Type::Long() { return OfKind(TypeId::kLong); }
Type Type::Float() { return OfKind(TypeId::kFloat); }
Type Type::Double() { return OfKind(TypeId::kDouble); }
Type Type::Date() { return OfKind(TypeId::kDate); }
Type Type::Time() { return OfKind(TypeId::kTime); }
Type Type::Timestamp() { return OfKind(TypeId::kTimestamp); }
Type Type::TimestampTz() { return OfKind(TypeId::kTimestampTz); }
Type Type::String() { return OfKind(TypeId::kString); }
Type Type::Uuid() { return OfKind(TypeId::kUuid); }
Type Type::Binary() { return OfKind(TypeId::kBinary); }

Type Type::Decimal(int32_t precision, int32_t scale) {
  Type t = OfKind(TypeId::kDecimal);
  t.precision = precision;
  t.scale = scale;
  return t;
}

Type Type::Fixed(int32_t length) {
  Type t = OfKind(TypeId::kFixed);
  t.length = length;
  return t;
}

Type Type::Struct(std::vector<NestedField> fields) {
  Type t = OfKind(TypeId::kStruct);
  t.fields = std::move(fields);
  return t;
}

Type Type::List(int32_t element_id, bool element_required, Type element) {
  Type t = OfKind(TypeId::kList);
  NestedField f;
  f.id = element_id;
  f.name = "element";
  f.required = element_required;
  f.type = std::move(element);
  t.fields.push_back(std::move(f));
  return t;
}

Type Type::Map(int32_t key_id, Type key, int32_t value_id, bool value_required, Type value) {
  Type t = OfKind(TypeId::kMap);
  NestedField k;
  k.id = key_id;
  k.name = "key";
  k.required = true;  // spec: map keys are required
  k.type = std::move(key);
  NestedField v;
  v.id = value_id;
  v.name = "value";
  v.required = value_required;
  v.type = std::move(value);
  t.fields.push_back(std::move(k));
  t.fields.push_back(std::move(v));
  return t;
}

bool Type::is_primitive() const {
  return id != TypeId::kStruct && id != TypeId::kList && id != TypeId::kMap;
}

const NestedField& Type::element() const {
  MEDLAKE_DCHECK(id == TypeId::kList && fields.size() == 1);
  return fields[0];
}

const NestedField& Type::key() const {
  MEDLAKE_DCHECK(id == TypeId::kMap && fields.size() == 2);
  return fields[0];
}

const NestedField& Type::value() const {
  MEDLAKE_DCHECK(id == TypeId::kMap && fields.size() == 2);
  return fields[1];
}

bool Type::operator==(const Type& other) const {
  return id == other.id && precision == other.precision && scale == other.scale &&
         length == other.length && fields == other.fields;
}

bool NestedField::operator==(const NestedField& other) const {
  return id == other.id && name == other.name && required == other.required && type == other.type &&
         doc == other.doc && initial_default == other.initial_default &&
         write_default == other.write_default;
}

std::string TypeToString(const Type& type) {
  switch (type.id) {
    case TypeId::kBoolean:
      return "boolean";
    case TypeId::kInt:
      return "int";
    case TypeId::kLong:
      return "long";
    case TypeId::kFloat:
      return "float";
    case TypeId::kDouble:
      return "double";
    case TypeId::kDecimal:
      return "decimal(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
    case TypeId::kDate:
      return "date";
    case TypeId::kTime:
      return "time";
    case TypeId::kTimestamp:
      return "timestamp";
    case TypeId::kTimestampTz:
      return "timestamptz";
    case TypeId::kString:
      return "string";
    case TypeId::kUuid:
      return "uuid";
    case TypeId::kFixed:
      return "fixed[" + std::to_string(type.length) + "]";
    case TypeId::kBinary:
      return "binary";
    case TypeId::kStruct: {
      std::string out = "struct<";
      for (size_t i = 0; i < type.fields.size(); ++i) {
        if (i > 0)
          out += ", ";
        out += FieldToString(type.fields[i]);
      }
      return out + ">";
    }
    case TypeId::kList:
      return "list<" + FieldToString(type.fields.at(0)) + ">";
    case TypeId::kMap:
      return "map<" + FieldToString(type.fields.at(0)) + ", " + FieldToString(type.fields.at(1)) +
             ">";
  }
  return "unknown";
}

Result<Type> ParsePrimitiveType(std::string_view name) {
  static constexpr std::pair<std::string_view, TypeId> kSimple[] = {
      {"boolean", TypeId::kBoolean},
      {"int", TypeId::kInt},
      {"long", TypeId::kLong},
      {"float", TypeId::kFloat},
      {"double", TypeId::kDouble},
      {"date", TypeId::kDate},
      {"time", TypeId::kTime},
      {"timestamp", TypeId::kTimestamp},
      {"timestamptz", TypeId::kTimestampTz},
      {"string", TypeId::kString},
      {"uuid", TypeId::kUuid},
      {"binary", TypeId::kBinary},
  };
  for (const auto& [text, id] : kSimple) {
    if (name == text)
      return OfKind(id);
  }
  // Spec Appendix C: "decimal(<P>,<S>)", written by Java as "decimal(9, 2)".
  if (StartsWith(name, "decimal(") && name.back() == ')') {
    std::string_view inner = name.substr(8, name.size() - 9);
    size_t comma = inner.find(',');
    if (comma != std::string_view::npos) {
      auto p = ParseSmallNumber(inner.substr(0, comma));
      auto s = ParseSmallNumber(inner.substr(comma + 1));
      if (p && s) {
        // Spec "Primitive Types": precision must be 38 or less.
        if (*p < 1 || *p > 38) {
          return InvalidArgument("decimal precision must be between 1 and 38: " +
                                 std::string(name));
        }
        return Type::Decimal(*p, *s);
      }
    }
    return InvalidArgument("malformed decimal type: " + std::string(name));
  }
  // Spec Appendix C: "fixed[<L>]".
  if (StartsWith(name, "fixed[") && name.back() == ']') {
    auto len = ParseSmallNumber(name.substr(6, name.size() - 7));
    if (!len || *len < 1)
      return InvalidArgument("malformed fixed type: " + std::string(name));
    return Type::Fixed(*len);
  }
  return InvalidArgument("unsupported Iceberg type: '" + std::string(name) + "'");
}

namespace internal {
namespace {

Result<NestedField> FieldFromJson(const Json& json, std::string_view ctx) {
  MEDLAKE_RETURN_IF_ERROR(RequireObject(json, std::string(ctx) + " field"));
  NestedField f;
  MEDLAKE_ASSIGN_OR_RETURN(f.id, GetInt32(json, "id", ctx));
  std::string field_ctx = std::string(ctx) + " field " + std::to_string(f.id);
  MEDLAKE_ASSIGN_OR_RETURN(f.name, GetString(json, "name", field_ctx));
  MEDLAKE_ASSIGN_OR_RETURN(f.required, GetBool(json, "required", field_ctx));
  MEDLAKE_ASSIGN_OR_RETURN(const Json* type_json, GetMember(json, "type", field_ctx));
  MEDLAKE_ASSIGN_OR_RETURN(f.type, TypeFromJson(*type_json, field_ctx));
  MEDLAKE_ASSIGN_OR_RETURN(auto doc, GetOptionalString(json, "doc", field_ctx));
  f.doc = doc.value_or("");
  if (const Json* d = FindMember(json, "initial-default"))
    f.initial_default = DumpJson(*d, -1);
  if (const Json* d = FindMember(json, "write-default"))
    f.write_default = DumpJson(*d, -1);
  return f;
}

Json FieldToJsonValue(const NestedField& f) {
  Json j = Json::object();
  j["id"] = f.id;
  j["name"] = f.name;
  j["required"] = f.required;
  j["type"] = TypeToJsonValue(f.type);
  if (!f.doc.empty())
    j["doc"] = f.doc;
  // Defaults were stored as JSON text produced by DumpJson, so they parse back.
  if (f.initial_default) {
    auto d = ParseJsonText(*f.initial_default, "initial-default");
    if (d.ok())
      j["initial-default"] = *d;
  }
  if (f.write_default) {
    auto d = ParseJsonText(*f.write_default, "write-default");
    if (d.ok())
      j["write-default"] = *d;
  }
  return j;
}

}  // namespace

Result<Type> TypeFromJson(const Json& json, std::string_view ctx) {
  if (json.is_string()) {
    auto t = ParsePrimitiveType(json.get<std::string>());
    if (!t.ok())
      return DataLoss(std::string(ctx) + ": " + t.status().message());
    return t;
  }
  if (!json.is_object()) {
    return DataLoss(std::string(ctx) + ": a type must be a JSON string or object");
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::string kind, GetString(json, "type", ctx));
  if (kind == "struct") {
    MEDLAKE_ASSIGN_OR_RETURN(const Json* fields, GetMember(json, "fields", ctx));
    MEDLAKE_RETURN_IF_ERROR(RequireArray(*fields, std::string(ctx) + ": struct 'fields'"));
    std::vector<NestedField> out;
    out.reserve(fields->size());
    for (const Json& f : *fields) {
      MEDLAKE_ASSIGN_OR_RETURN(NestedField field, FieldFromJson(f, ctx));
      out.push_back(std::move(field));
    }
    return Type::Struct(std::move(out));
  }
  if (kind == "list") {
    MEDLAKE_ASSIGN_OR_RETURN(int32_t element_id, GetInt32(json, "element-id", ctx));
    MEDLAKE_ASSIGN_OR_RETURN(bool element_required, GetBool(json, "element-required", ctx));
    MEDLAKE_ASSIGN_OR_RETURN(const Json* element, GetMember(json, "element", ctx));
    MEDLAKE_ASSIGN_OR_RETURN(Type element_type, TypeFromJson(*element, ctx));
    return Type::List(element_id, element_required, std::move(element_type));
  }
  if (kind == "map") {
    MEDLAKE_ASSIGN_OR_RETURN(int32_t key_id, GetInt32(json, "key-id", ctx));
    MEDLAKE_ASSIGN_OR_RETURN(const Json* key, GetMember(json, "key", ctx));
    MEDLAKE_ASSIGN_OR_RETURN(Type key_type, TypeFromJson(*key, ctx));
    MEDLAKE_ASSIGN_OR_RETURN(int32_t value_id, GetInt32(json, "value-id", ctx));
    MEDLAKE_ASSIGN_OR_RETURN(bool value_required, GetBool(json, "value-required", ctx));
    MEDLAKE_ASSIGN_OR_RETURN(const Json* value, GetMember(json, "value", ctx));
    MEDLAKE_ASSIGN_OR_RETURN(Type value_type, TypeFromJson(*value, ctx));
    return Type::Map(key_id, std::move(key_type), value_id, value_required, std::move(value_type));
  }
  return DataLoss(std::string(ctx) + ": unsupported nested type '" + kind + "'");
}

Json TypeToJsonValue(const Type& type) {
  switch (type.id) {
    case TypeId::kStruct: {
      Json j = Json::object();
      j["type"] = "struct";
      Json fields = Json::array();
      for (const NestedField& f : type.fields)
        fields.push_back(FieldToJsonValue(f));
      j["fields"] = std::move(fields);
      return j;
    }
    case TypeId::kList: {
      Json j = Json::object();
      j["type"] = "list";
      j["element-id"] = type.element().id;
      j["element-required"] = type.element().required;
      j["element"] = TypeToJsonValue(type.element().type);
      return j;
    }
    case TypeId::kMap: {
      Json j = Json::object();
      j["type"] = "map";
      j["key-id"] = type.key().id;
      j["key"] = TypeToJsonValue(type.key().type);
      j["value-id"] = type.value().id;
      j["value-required"] = type.value().required;
      j["value"] = TypeToJsonValue(type.value().type);
      return j;
    }
    default:
      return TypeToString(type);
  }
}

}  // namespace internal

Result<Type> ParseTypeJson(std::string_view json) {
  MEDLAKE_ASSIGN_OR_RETURN(internal::Json j, internal::ParseJsonText(json, "type"));
  return internal::TypeFromJson(j, "type");
}

std::string TypeToJson(const Type& type) {
  return internal::DumpJson(internal::TypeToJsonValue(type), -1);
}

bool CanPromote(const Type& from, const Type& to) {
  if (!from.is_primitive() || !to.is_primitive())
    return false;
  if (from == to)
    return true;
  switch (from.id) {
    case TypeId::kInt:
      return to.id == TypeId::kLong;
    case TypeId::kFloat:
      return to.id == TypeId::kDouble;
    case TypeId::kDecimal:
      // Widen precision only; the scale is fixed.
      return to.id == TypeId::kDecimal && to.scale == from.scale && to.precision > from.precision;
    default:
      return false;
  }
}

}  // namespace medlake::storage::iceberg
