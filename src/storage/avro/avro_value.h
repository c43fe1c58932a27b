// storage/avro/avro_value.h: Avro datums as a tagged tree (AvroValue), plus helpers to build
// records and to find record fields by name or Iceberg field id.
//
// Part of storage's Avro codec (storage/avro/README.md). A value does not point to its schema;
// functions that need the schema (field lookup, encoding) take the AvroNode next to the value.
// The binary encoding lives in avro_binary.h, files in avro_container.h.
//
// Thread-safety: AvroValue is a value type. AvroRecordBuilder is not thread-safe.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/status.h"
#include "storage/avro/avro_schema.h"

namespace medlake::storage {

// One Avro datum. The tag is an AvroType:
//   kNull                         no payload
//   kBoolean, kInt, kLong         bool_value(), int_value(), long_value()
//   kFloat, kDouble               float_value(), double_value()
//   kBytes, kString, kFixed       bytes_value() (a string holds UTF-8, not checked)
//   kEnum                         enum_index(): index into the schema's symbols
//   kRecord                       fields(): one value per schema field, in schema order
//   kArray                        items()
//   kMap                          entries(): (key, value) pairs in encoding order
//   kUnion                        branch() (index into the schema's branches) and branch_value()
// Calling an accessor for another tag is a programming error: it fails a DCHECK in debug builds
// and returns a zero/empty value in release builds.
class AvroValue {
 public:
  using MapEntry = std::pair<std::string, AvroValue>;

  AvroValue() = default;  // null

  static AvroValue Null() { return AvroValue(); }
  static AvroValue Boolean(bool v) { return AvroValue(AvroType::kBoolean, int64_t{v}); }
  static AvroValue Int(int32_t v) { return AvroValue(AvroType::kInt, int64_t{v}); }
  static AvroValue Long(int64_t v) { return AvroValue(AvroType::kLong, v); }
  static AvroValue Float(float v) { return AvroValue(AvroType::kFloat, double{v}); }
  static AvroValue Double(double v) { return AvroValue(AvroType::kDouble, v); }
  static AvroValue Bytes(std::string v) { return AvroValue(AvroType::kBytes, std::move(v)); }
  static AvroValue String(std::string v) { return AvroValue(AvroType::kString, std::move(v)); }
  static AvroValue Fixed(std::string v) { return AvroValue(AvroType::kFixed, std::move(v)); }
  static AvroValue Enum(int32_t symbol_index);
  static AvroValue Record(std::vector<AvroValue> fields);
  static AvroValue Array(std::vector<AvroValue> items);
  static AvroValue Map(std::vector<MapEntry> entries);
  static AvroValue Union(int32_t branch, AvroValue value);

  AvroType type() const { return type_; }
  bool is_null() const { return type_ == AvroType::kNull; }

  bool bool_value() const;
  int32_t int_value() const;
  int64_t long_value() const;
  float float_value() const;
  double double_value() const;
  const std::string& bytes_value() const;
  int32_t enum_index() const;
  int32_t branch() const;
  const AvroValue& branch_value() const;
  const std::vector<AvroValue>& fields() const;
  const std::vector<AvroValue>& items() const;
  const std::vector<MapEntry>& entries() const;

  // Mutable access for building values in place. Precondition: the tag matches (as above).
  std::string* mutable_bytes_value();
  std::vector<AvroValue>* mutable_fields();
  std::vector<AvroValue>* mutable_items();
  std::vector<MapEntry>* mutable_entries();
  AvroValue* mutable_branch_value();

  // For a union, the value of its branch; otherwise this value. Handy for Iceberg's optional
  // fields, which are unions ["null", T].
  const AvroValue& Unwrapped() const;

  // A compact rendering for tests and debugging: 1, "text", b"\x00\x90", [1, 2], {"k": 1},
  // <branch 1: 5>. Never log it for values that may hold patient data (STYLE.md section 11).
  std::string DebugString() const;

  bool operator==(const AvroValue& other) const;

 private:
  // Strings hold bytes/string/fixed; one vector holds record fields, array items or the single
  // value of a union; int64_t holds boolean/int/long; double holds float/double.
  using Data = std::variant<std::monostate, int64_t, double, std::string, std::vector<AvroValue>,
                            std::vector<MapEntry>>;

  // Constructs the payload in place (no moves of a whole variant).
  template <typename T>
  AvroValue(AvroType type, T&& payload) : type_(type), data_(std::forward<T>(payload)) {}

  AvroType type_ = AvroType::kNull;
  int32_t index_ = 0;  // enum symbol or union branch
  Data data_;
};

// Writes value.DebugString() to `os`; GoogleTest uses it to print values in failure messages.
void PrintTo(const AvroValue& value, std::ostream* os);

// The value of the field called `name` in `record`, a record value of the record schema `schema`;
// nullptr if the schema has no such field or `record` does not have the schema's shape. The
// result points into `record`.
const AvroValue* FindRecordField(const AvroNode& schema, const AvroValue& record,
                                 std::string_view name);
// Same, selecting the field by its Iceberg "field-id" attribute.
const AvroValue* FindRecordFieldById(const AvroNode& schema, const AvroValue& record,
                                     int64_t field_id);

// Converts a JSON value in the Avro default-value notation (Avro spec "Complex Types: Records",
// the table under "default") to a value of `schema`: bytes and fixed are strings whose code points
// 0-255 are the bytes, an enum is its symbol, a union takes the first branch that accepts the
// value. InvalidArgument if the JSON does not fit the schema.
Result<AvroValue> AvroValueFromJson(const AvroNode& schema, std::string_view json);

// Builds a record value field by field.
//
//   AvroRecordBuilder b(schema.root());
//   MEDLAKE_RETURN_IF_ERROR(b.Set("manifest_path", AvroValue::String(path)));
//   MEDLAKE_ASSIGN_OR_RETURN(AvroValue record, std::move(b).Build());
class AvroRecordBuilder {
 public:
  // `schema` must be a record node; it is borrowed and must outlive the builder.
  explicit AvroRecordBuilder(const AvroNode& schema);

  // Sets the field called `name`. When the field's type is a union and `value` is not a union
  // value, `value` is wrapped into the first branch of its type (so AvroValue::Null() or
  // AvroValue::Long(5) can be passed for a ["null", "long"] field). NotFound if the record has no
  // such field; InvalidArgument if a union field has no branch of the value's type.
  Status Set(std::string_view name, AvroValue value);

  // Returns the record. Fields that were not set take their schema default; InvalidArgument if
  // such a field has no default (or the schema is not a record). The builder is spent afterwards.
  Result<AvroValue> Build() &&;

 private:
  const AvroNode& schema_;
  std::vector<AvroValue> fields_;
  std::vector<bool> set_;
};

}  // namespace medlake::storage
