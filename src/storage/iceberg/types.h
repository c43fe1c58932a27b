// storage/iceberg/types.h: Iceberg data types (spec "Schemas and Data Types", Appendix C).
//
// Part of the Iceberg v2 model in storage/iceberg/. A `Type` is a plain value: a TypeId plus the
// parameters of decimal/fixed and, for nested types, child fields. Lists and maps keep their
// element / key / value as `NestedField`s (named "element", "key", "value"), exactly as the spec
// gives them ids, so id-based lookups treat every nested field the same way.
//
// Supported: the v1/v2 primitives (boolean, int, long, float, double, decimal(P,S), date, time,
// timestamp, timestamptz, string, uuid, fixed[L], binary) and struct, list, map. The v3 types
// (timestamp_ns, variant, geometry, unknown, ...) are rejected when parsed.
//
// Thread-safety: values; distinct objects may be used from distinct threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace medlake::storage::iceberg {

enum class TypeId {
  kBoolean,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kDecimal,
  kDate,
  kTime,
  kTimestamp,
  kTimestampTz,
  kString,
  kUuid,
  kFixed,
  kBinary,
  kStruct,
  kList,
  kMap,
};

struct NestedField;

// An Iceberg type. Fields beyond `id` are meaningful only for the kinds named in their comment.
struct Type {
  TypeId id = TypeId::kBoolean;
  int32_t precision = 0;  // kDecimal: 1..38
  int32_t scale = 0;      // kDecimal: >= 0
  int32_t length = 0;     // kFixed: byte length L
  // kStruct: the fields in order. kList: exactly one field named "element". kMap: exactly two
  // fields named "key" (always required) and "value".
  std::vector<NestedField> fields;

  // Factories for each kind (defined in types.cc).
  static Type Boolean();
  static Type Int();
  static Type Long();
  static Type Float();
  static Type Double();
  static Type Decimal(int32_t precision, int32_t scale);
  static Type Date();
  static Type Time();
  static Type Timestamp();
  static Type TimestampTz();
  static Type String();
  static Type Uuid();
  static Type Fixed(int32_t length);
  static Type Binary();
  static Type Struct(std::vector<NestedField> fields);
  static Type List(int32_t element_id, bool element_required, Type element);
  static Type Map(int32_t key_id, Type key, int32_t value_id, bool value_required, Type value);

  bool is_primitive() const;
  bool is_nested() const { return !is_primitive(); }

  // Accessors for list and map children. Precondition: the matching kind (checked in debug).
  const NestedField& element() const;
  const NestedField& key() const;
  const NestedField& value() const;

  // Deep equality, including field names, docs and defaults.
  bool operator==(const Type& other) const;
  bool operator!=(const Type& other) const { return !(*this == other); }
};

// A named, id'd field of a struct, or the element / key / value of a list / map.
struct NestedField {
  int32_t id = 0;
  std::string name;
  bool required = false;
  Type type;
  std::string doc;  // empty when absent
  // Default values in the spec's JSON single-value form (Appendix D), kept as compact JSON text.
  std::optional<std::string> initial_default;
  std::optional<std::string> write_default;

  bool operator==(const NestedField& other) const;
  bool operator!=(const NestedField& other) const { return !(*this == other); }
};

// The spec's name of a primitive type ("int", "decimal(9,2)", "fixed[16]"); for nested types a
// readable form such as "struct<1: a: required int>" (not a spec format; for messages only).
std::string TypeToString(const Type& type);

// Parses a primitive type name as written in schema JSON: "boolean", ..., "decimal(P,S)" (spaces
// after the comma and around numbers allowed, as Java writes "decimal(9, 2)"), "fixed[L]".
// InvalidArgument for anything else, including v3 types such as "timestamp_ns".
Result<Type> ParsePrimitiveType(std::string_view name);

// Parses a type from its Appendix C JSON text: a string for primitives, an object for
// struct/list/map. DataLoss if the JSON is malformed or names an unsupported type.
Result<Type> ParseTypeJson(std::string_view json);
// Appendix C JSON text of `type` (compact, keys in the spec's order). Deterministic.
std::string TypeToJson(const Type& type);

// True if a column of type `from` may change to `to` under the v1/v2 schema evolution rules
// (spec "Schema Evolution"): int -> long, float -> double, decimal(P,S) -> decimal(P',S) with
// P' > P. Like Java's TypeUtil.isPromotionAllowed, identical primitive types also return true
// (no change). Nested types always return false (they evolve field by field).
bool CanPromote(const Type& from, const Type& to);

}  // namespace medlake::storage::iceberg
