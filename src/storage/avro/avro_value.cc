#include "storage/avro/avro_value.h"

#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

namespace medlake::storage {
namespace {

using Json = nlohmann::json;

// Default values nest no deeper than their schema; this bounds recursion for hostile input.
constexpr int kMaxJsonDepth = 64;

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}
const std::vector<AvroValue>& EmptyValues() {
  static const std::vector<AvroValue>* const kEmpty = new std::vector<AvroValue>();
  return *kEmpty;
}
const std::vector<AvroValue::MapEntry>& EmptyEntries() {
  static const std::vector<AvroValue::MapEntry>* const kEmpty =
      new std::vector<AvroValue::MapEntry>();
  return *kEmpty;
}
const AvroValue& NullValue() {
  static const AvroValue* const kNull = new AvroValue();
  return *kNull;
}

// Decodes UTF-8 text whose code points are all <= U+00FF into one byte per code point (the Avro
// JSON notation for bytes and fixed). nullopt for a larger code point or malformed UTF-8.
std::optional<std::string> CodePointsToBytes(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c & 0xE0) == 0xC0 && i + 1 < text.size()) {
      auto c2 = static_cast<unsigned char>(text[++i]);
      unsigned cp = ((c & 0x1Fu) << 6) | (c2 & 0x3Fu);
      if ((c2 & 0xC0) != 0x80 || cp > 0xFF)
        return std::nullopt;
      out.push_back(static_cast<char>(cp));
    } else {
      return std::nullopt;
    }
  }
  return out;
}

Status DefaultError(const AvroNode& schema, const std::string& what) {
  return InvalidArgument("avro default: " + what + " does not fit type " +
                         std::string(AvroTypeName(schema.type)));
}

Result<AvroValue> FromJson(const AvroNode& schema, const Json& j, int depth) {
  if (depth > kMaxJsonDepth)
    return InvalidArgument("avro default: nested too deeply");
  switch (schema.type) {
    case AvroType::kNull:
      if (j.is_null())
        return AvroValue::Null();
      break;
    case AvroType::kBoolean:
      if (j.is_boolean())
        return AvroValue::Boolean(j.get<bool>());
      break;
    case AvroType::kInt:
      if (j.is_number_integer()) {
        if (j.is_number_unsigned()
                ? j.get<uint64_t>() <= uint64_t{INT32_MAX}
                : (j.get<int64_t>() >= INT32_MIN && j.get<int64_t>() <= INT32_MAX)) {
          return AvroValue::Int(static_cast<int32_t>(j.get<int64_t>()));
        }
      }
      break;
    case AvroType::kLong:
      if (j.is_number_integer() &&
          (!j.is_number_unsigned() || j.get<uint64_t>() <= uint64_t{INT64_MAX})) {
        return AvroValue::Long(j.get<int64_t>());
      }
      break;
    case AvroType::kFloat:
      if (j.is_number())
        return AvroValue::Float(j.get<float>());
      break;
    case AvroType::kDouble:
      if (j.is_number())
        return AvroValue::Double(j.get<double>());
      break;
    case AvroType::kString:
      if (j.is_string())
        return AvroValue::String(j.get<std::string>());
      break;
    case AvroType::kBytes:
    case AvroType::kFixed:
      if (j.is_string()) {
        std::optional<std::string> bytes = CodePointsToBytes(j.get_ref<const std::string&>());
        if (bytes && schema.type == AvroType::kBytes)
          return AvroValue::Bytes(std::move(*bytes));
        if (bytes && static_cast<int64_t>(bytes->size()) == schema.size) {
          return AvroValue::Fixed(std::move(*bytes));
        }
      }
      break;
    case AvroType::kEnum:
      if (j.is_string()) {
        for (size_t i = 0; i < schema.symbols.size(); ++i) {
          if (schema.symbols[i] == j.get_ref<const std::string&>()) {
            return AvroValue::Enum(static_cast<int32_t>(i));
          }
        }
      }
      break;
    case AvroType::kArray:
      if (j.is_array() && schema.items != nullptr) {
        std::vector<AvroValue> items;
        for (const Json& item : j) {
          MEDLAKE_ASSIGN_OR_RETURN(AvroValue v, FromJson(*schema.items, item, depth + 1));
          items.push_back(std::move(v));
        }
        return AvroValue::Array(std::move(items));
      }
      break;
    case AvroType::kMap:
      if (j.is_object() && schema.values != nullptr) {
        std::vector<AvroValue::MapEntry> entries;
        for (auto it = j.begin(); it != j.end(); ++it) {
          MEDLAKE_ASSIGN_OR_RETURN(AvroValue v, FromJson(*schema.values, it.value(), depth + 1));
          entries.emplace_back(it.key(), std::move(v));
        }
        return AvroValue::Map(std::move(entries));
      }
      break;
    case AvroType::kRecord:
      if (j.is_object()) {
        std::vector<AvroValue> fields;
        for (const AvroField& f : schema.fields) {
          if (f.type == nullptr)
            return InvalidArgument("avro default: invalid schema");
          auto it = j.find(f.name);
          if (it != j.end()) {
            MEDLAKE_ASSIGN_OR_RETURN(AvroValue v, FromJson(*f.type, *it, depth + 1));
            fields.push_back(std::move(v));
          } else if (f.default_json) {
            Json d = Json::parse(*f.default_json, nullptr, /*allow_exceptions=*/false);
            if (d.is_discarded())
              return InvalidArgument("avro default: invalid JSON");
            MEDLAKE_ASSIGN_OR_RETURN(AvroValue v, FromJson(*f.type, d, depth + 1));
            fields.push_back(std::move(v));
          } else {
            return InvalidArgument("avro default: record field '" + f.name + "' is missing");
          }
        }
        return AvroValue::Record(std::move(fields));
      }
      break;
    case AvroType::kUnion:
      // Avro 1.11 says the default belongs to the first branch; later versions allow any branch.
      for (size_t i = 0; i < schema.branches.size(); ++i) {
        if (schema.branches[i] == nullptr)
          continue;
        Result<AvroValue> v = FromJson(*schema.branches[i], j, depth + 1);
        if (v.ok())
          return AvroValue::Union(static_cast<int32_t>(i), std::move(v).value());
      }
      break;
  }
  return DefaultError(schema, "JSON value " + std::string(j.type_name()));
}

void AppendQuoted(const std::string& s, bool as_bytes, std::string* out) {
  if (as_bytes)
    out->push_back('b');
  out->push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c >= 0x20 && c < 0x7F) {
      out->push_back(ch);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out->append(buf);
    }
  }
  out->push_back('"');
}

void AppendDebug(const AvroValue& v, std::string* out) {
  switch (v.type()) {
    case AvroType::kNull:
      out->append("null");
      break;
    case AvroType::kBoolean:
      out->append(v.bool_value() ? "true" : "false");
      break;
    case AvroType::kInt:
      out->append(std::to_string(v.int_value()));
      break;
    case AvroType::kLong:
      out->append(std::to_string(v.long_value()));
      break;
    case AvroType::kFloat:
      out->append(std::to_string(v.float_value()));
      break;
    case AvroType::kDouble:
      out->append(std::to_string(v.double_value()));
      break;
    case AvroType::kString:
      AppendQuoted(v.bytes_value(), false, out);
      break;
    case AvroType::kBytes:
    case AvroType::kFixed:
      AppendQuoted(v.bytes_value(), true, out);
      break;
    case AvroType::kEnum:
      out->append("enum " + std::to_string(v.enum_index()));
      break;
    case AvroType::kRecord:
    case AvroType::kArray: {
      bool record = v.type() == AvroType::kRecord;
      out->push_back(record ? '{' : '[');
      const auto& children = record ? v.fields() : v.items();
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0)
          out->append(", ");
        AppendDebug(children[i], out);
      }
      out->push_back(record ? '}' : ']');
      break;
    }
    case AvroType::kMap: {
      out->push_back('{');
      for (size_t i = 0; i < v.entries().size(); ++i) {
        if (i > 0)
          out->append(", ");
        AppendQuoted(v.entries()[i].first, false, out);
        out->append(": ");
        AppendDebug(v.entries()[i].second, out);
      }
      out->push_back('}');
      break;
    }
    case AvroType::kUnion:
      out->append("<branch " + std::to_string(v.branch()) + ": ");
      AppendDebug(v.branch_value(), out);
      out->push_back('>');
      break;
  }
}

}  // namespace

// ---- AvroValue ----

AvroValue AvroValue::Enum(int32_t symbol_index) {
  AvroValue v;
  v.type_ = AvroType::kEnum;
  v.index_ = symbol_index;
  return v;
}

AvroValue AvroValue::Record(std::vector<AvroValue> fields) {
  return AvroValue(AvroType::kRecord, std::move(fields));
}

AvroValue AvroValue::Array(std::vector<AvroValue> items) {
  return AvroValue(AvroType::kArray, std::move(items));
}

AvroValue AvroValue::Map(std::vector<MapEntry> entries) {
  return AvroValue(AvroType::kMap, std::move(entries));
}

AvroValue AvroValue::Union(int32_t branch, AvroValue value) {
  std::vector<AvroValue> one;
  one.push_back(std::move(value));
  AvroValue v(AvroType::kUnion, std::move(one));
  v.index_ = branch;
  return v;
}

bool AvroValue::bool_value() const {
  MEDLAKE_DCHECK(type_ == AvroType::kBoolean);
  const int64_t* p = std::get_if<int64_t>(&data_);
  return p != nullptr && *p != 0;
}

int32_t AvroValue::int_value() const {
  MEDLAKE_DCHECK(type_ == AvroType::kInt);
  const int64_t* p = std::get_if<int64_t>(&data_);
  return p != nullptr ? static_cast<int32_t>(*p) : 0;
}

int64_t AvroValue::long_value() const {
  MEDLAKE_DCHECK(type_ == AvroType::kLong);
  const int64_t* p = std::get_if<int64_t>(&data_);
  return p != nullptr ? *p : 0;
}

float AvroValue::float_value() const {
  MEDLAKE_DCHECK(type_ == AvroType::kFloat);
  const double* p = std::get_if<double>(&data_);
  return p != nullptr ? static_cast<float>(*p) : 0.0f;
}

double AvroValue::double_value() const {
  MEDLAKE_DCHECK(type_ == AvroType::kDouble);
  const double* p = std::get_if<double>(&data_);
  return p != nullptr ? *p : 0.0;
}

const std::string& AvroValue::bytes_value() const {
  MEDLAKE_DCHECK(type_ == AvroType::kBytes || type_ == AvroType::kString ||
                 type_ == AvroType::kFixed);
  const std::string* p = std::get_if<std::string>(&data_);
  return p != nullptr ? *p : EmptyString();
}

int32_t AvroValue::enum_index() const {
  MEDLAKE_DCHECK(type_ == AvroType::kEnum);
  return type_ == AvroType::kEnum ? index_ : 0;
}

int32_t AvroValue::branch() const {
  MEDLAKE_DCHECK(type_ == AvroType::kUnion);
  return type_ == AvroType::kUnion ? index_ : 0;
}

const AvroValue& AvroValue::branch_value() const {
  MEDLAKE_DCHECK(type_ == AvroType::kUnion);
  const auto* p = std::get_if<std::vector<AvroValue>>(&data_);
  return type_ == AvroType::kUnion && p != nullptr && p->size() == 1 ? p->front() : NullValue();
}

const std::vector<AvroValue>& AvroValue::fields() const {
  MEDLAKE_DCHECK(type_ == AvroType::kRecord);
  const auto* p = std::get_if<std::vector<AvroValue>>(&data_);
  return type_ == AvroType::kRecord && p != nullptr ? *p : EmptyValues();
}

const std::vector<AvroValue>& AvroValue::items() const {
  MEDLAKE_DCHECK(type_ == AvroType::kArray);
  const auto* p = std::get_if<std::vector<AvroValue>>(&data_);
  return type_ == AvroType::kArray && p != nullptr ? *p : EmptyValues();
}

const std::vector<AvroValue::MapEntry>& AvroValue::entries() const {
  MEDLAKE_DCHECK(type_ == AvroType::kMap);
  const auto* p = std::get_if<std::vector<MapEntry>>(&data_);
  return p != nullptr ? *p : EmptyEntries();
}

// The mutable accessors are for code that already checked the tag (the decoder, builders); a
// mismatch is a programming error that would otherwise corrupt the value, hence CHECK.
std::string* AvroValue::mutable_bytes_value() {
  auto* p = std::get_if<std::string>(&data_);
  MEDLAKE_CHECK(p != nullptr);
  return p;
}

std::vector<AvroValue>* AvroValue::mutable_fields() {
  auto* p = std::get_if<std::vector<AvroValue>>(&data_);
  MEDLAKE_CHECK(type_ == AvroType::kRecord && p != nullptr);
  return p;
}

std::vector<AvroValue>* AvroValue::mutable_items() {
  auto* p = std::get_if<std::vector<AvroValue>>(&data_);
  MEDLAKE_CHECK(type_ == AvroType::kArray && p != nullptr);
  return p;
}

std::vector<AvroValue::MapEntry>* AvroValue::mutable_entries() {
  auto* p = std::get_if<std::vector<MapEntry>>(&data_);
  MEDLAKE_CHECK(type_ == AvroType::kMap && p != nullptr);
  return p;
}

AvroValue* AvroValue::mutable_branch_value() {
  auto* p = std::get_if<std::vector<AvroValue>>(&data_);
  MEDLAKE_CHECK(type_ == AvroType::kUnion && p != nullptr && p->size() == 1);
  return &p->front();
}

const AvroValue& AvroValue::Unwrapped() const {
  return type_ == AvroType::kUnion ? branch_value() : *this;
}

std::string AvroValue::DebugString() const {
  std::string out;
  AppendDebug(*this, &out);
  return out;
}

bool AvroValue::operator==(const AvroValue& other) const {
  return type_ == other.type_ && index_ == other.index_ && data_ == other.data_;
}

void PrintTo(const AvroValue& value, std::ostream* os) { *os << value.DebugString(); }

// ---- lookups and builders ----

const AvroValue* FindRecordField(const AvroNode& schema, const AvroValue& record,
                                 std::string_view name) {
  if (schema.type != AvroType::kRecord || record.type() != AvroType::kRecord ||
      record.fields().size() != schema.fields.size()) {
    return nullptr;
  }
  int i = schema.FieldIndex(name);
  return i < 0 ? nullptr : &record.fields()[static_cast<size_t>(i)];
}

const AvroValue* FindRecordFieldById(const AvroNode& schema, const AvroValue& record,
                                     int64_t field_id) {
  if (schema.type != AvroType::kRecord || record.type() != AvroType::kRecord ||
      record.fields().size() != schema.fields.size()) {
    return nullptr;
  }
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    if (schema.fields[i].field_id() == field_id)
      return &record.fields()[i];
  }
  return nullptr;
}

Result<AvroValue> AvroValueFromJson(const AvroNode& schema, std::string_view json) {
  Json j = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return InvalidArgument("avro default: not valid JSON");
  try {
    return FromJson(schema, j, 0);
  } catch (const nlohmann::json::exception& e) {
    // Library boundary (STYLE.md section 4): every accessor above is type-checked first.
    return InvalidArgument(std::string("avro default: unexpected JSON value: ") + e.what());
  }
}

AvroRecordBuilder::AvroRecordBuilder(const AvroNode& schema)
    : schema_(schema), fields_(schema.fields.size()), set_(schema.fields.size(), false) {}

Status AvroRecordBuilder::Set(std::string_view name, AvroValue value) {
  int i = schema_.FieldIndex(name);
  if (i < 0) {
    return NotFound("avro: record '" + schema_.FullName() + "' has no field '" + std::string(name) +
                    "'");
  }
  const auto index = static_cast<size_t>(i);
  const AvroNode* type = schema_.fields[index].type;
  if (type == nullptr)
    return InvalidArgument("avro: invalid record schema");
  if (type->type == AvroType::kUnion && value.type() != AvroType::kUnion) {
    int branch = type->FindBranch(value.type());
    if (branch < 0) {
      return InvalidArgument("avro: field '" + std::string(name) +
                             "' has no union branch of type " +
                             std::string(AvroTypeName(value.type())));
    }
    value = AvroValue::Union(branch, std::move(value));
  } else if (type->type != value.type()) {
    return InvalidArgument("avro: field '" + std::string(name) + "' has type " +
                           std::string(AvroTypeName(type->type)) + ", not " +
                           std::string(AvroTypeName(value.type())));
  }
  fields_[index] = std::move(value);
  set_[index] = true;
  return Status::OK();
}

Result<AvroValue> AvroRecordBuilder::Build() && {
  if (schema_.type != AvroType::kRecord)
    return InvalidArgument("avro: schema is not a record");
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (set_[i])
      continue;
    const AvroField& f = schema_.fields[i];
    if (!f.default_json || f.type == nullptr) {
      return InvalidArgument("avro: field '" + f.name + "' of record '" + schema_.FullName() +
                             "' was not set and has no default");
    }
    Result<AvroValue> d = AvroValueFromJson(*f.type, *f.default_json);
    if (!d.ok())
      return d.status().WithContext("field '" + f.name + "'");
    fields_[i] = std::move(d).value();
  }
  return AvroValue::Record(std::move(fields_));
}

}  // namespace medlake::storage
