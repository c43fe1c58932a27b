// storage/iceberg/schema.h: an Iceberg table schema (spec "Schemas and Data Types", Appendix C).
//
// Part of the Iceberg v2 model in storage/iceberg/. A schema is the top-level struct's fields plus
// a schema-id and the optional identifier-field-ids. Lookups walk nested structs, lists and maps:
// field ids are unique across the whole schema, and full names join path components with "."
// (list elements are "<list>.element", map parts "<map>.key" / "<map>.value"), as Java does.
//
// Thread-safety: a value; the lookup functions only read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/iceberg/types.h"

namespace medlake::storage::iceberg {

struct Schema {
  int32_t schema_id = 0;
  std::vector<int32_t> identifier_field_ids;
  std::vector<NestedField> fields;  // the top-level struct

  // The schema as a struct type (a copy of `fields`).
  Type AsStruct() const { return Type::Struct(fields); }

  bool operator==(const Schema& other) const {
    return schema_id == other.schema_id && identifier_field_ids == other.identifier_field_ids &&
           fields == other.fields;
  }
  bool operator!=(const Schema& other) const { return !(*this == other); }
};

// The field with `field_id` anywhere in `schema` (nested too), or nullptr if there is none.
// The pointer borrows from `schema` and is valid while `schema` lives and is not modified.
const NestedField* FindFieldById(const Schema& schema, int32_t field_id);

// The field whose full name (case-sensitive, components joined by ".") is `name`, e.g. "id",
// "address.city", "tags.element", "attrs.value.code"; nullptr if there is none. Names that
// themselves contain "." are matched literally as part of the path. Borrows like FindFieldById.
const NestedField* FindFieldByName(const Schema& schema, std::string_view name);

// The full "."-joined name of the field with `field_id`. NotFound if the id is not in `schema`.
Result<std::string> FindColumnName(const Schema& schema, int32_t field_id);

// The highest field id used anywhere in `schema` (0 for an empty schema).
int32_t HighestFieldId(const Schema& schema);

// Checks the invariants lookups rely on: field ids are unique across the schema, and each
// identifier field id names a primitive field. InvalidArgument naming the offending id otherwise.
Status ValidateSchema(const Schema& schema);

// Parses a schema from its Appendix C JSON text ({"type":"struct","schema-id":..,"fields":[..]}).
// "schema-id" defaults to 0 when absent (v1). DataLoss for malformed JSON, missing or mistyped
// fields, unsupported types, or a schema that fails ValidateSchema.
Result<Schema> ParseSchemaJson(std::string_view json);

// Appendix C JSON text of `schema` (compact; "identifier-field-ids" only when non-empty).
std::string SchemaToJson(const Schema& schema);

}  // namespace medlake::storage::iceberg
