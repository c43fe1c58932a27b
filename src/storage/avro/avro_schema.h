// storage/avro/avro_schema.h: the Avro schema model (Avro 1.11 specification, "Schema
// Declaration"), parsed from JSON and written back to JSON.
//
// Part of storage's own Avro codec (storage/avro/README.md), which reads and writes Iceberg
// manifests and manifest lists. Iceberg keeps its ids inside Avro schemas as extra JSON
// attributes: "field-id" on record fields, "element-id" on arrays, "key-id"/"value-id" on maps,
// and "logicalType": "map" on arrays of key/value records (maps with non-string keys). Every node
// and every field therefore keeps all the attributes it does not interpret (in their original
// order), and ToJson() writes them back, so a parsed schema survives a round trip.
//
// A schema is a graph of AvroNode objects owned by one AvroSchema. Children are plain
// `const AvroNode*` pointers into the same AvroSchema; a named type that is referenced again by
// name (or recursively) is the same node, not a copy.
//
// Thread-safety: AvroSchema is a value type; a const AvroSchema may be read from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace medlake::storage {

// The Avro types. Primitive types come first; kRecord, kEnum and kFixed are named types.
enum class AvroType : uint8_t {
  kNull,
  kBoolean,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kBytes,
  kString,
  kRecord,
  kEnum,
  kArray,
  kMap,
  kUnion,
  kFixed,
};

// The type's name as written in schemas: "null", "boolean", ..., "record", "union", "fixed".
std::string_view AvroTypeName(AvroType type);

// Extra JSON attributes of a schema node or a record field, in their original order. Each value is
// kept as compact JSON text (`117`, `"map"`, `["a","b"]`), so any JSON value round-trips.
class AvroAttributes {
 public:
  struct Entry {
    std::string key;
    std::string json;  // one compact JSON value
  };

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

  // The JSON text stored under `key`, or nullptr when absent. The pointer is valid until this
  // object changes.
  const std::string* FindJson(std::string_view key) const;
  // The value of `key` if it is a JSON integer that fits in int64_t; nullopt otherwise (absent,
  // or another JSON type).
  std::optional<int64_t> GetInt(std::string_view key) const;
  // The value of `key` if it is a JSON string; nullopt otherwise.
  std::optional<std::string> GetString(std::string_view key) const;

  // Sets `key` to the JSON value `json`, replacing an existing entry in place or appending a new
  // one. InvalidArgument if `json` is not exactly one valid JSON value (the object is unchanged).
  Status SetJson(std::string_view key, std::string_view json);
  // Sets `key` to an integer or a string (JSON-escaped as needed).
  void SetInt(std::string_view key, int64_t value);
  void SetString(std::string_view key, std::string_view value);
  // Removes `key`; returns whether it was present.
  bool Remove(std::string_view key);

  bool operator==(const AvroAttributes& other) const = default;

 private:
  void Put(std::string_view key, std::string json);
  std::vector<Entry> entries_;
};

struct AvroNode;

// One field of a record schema.
struct AvroField {
  std::string name;
  // The field's type; owned by the AvroSchema that owns the record. Never null in a valid schema.
  const AvroNode* type = nullptr;
  std::string doc;
  // The "default" value as compact JSON text, if the schema gives one (Avro spec "Complex Types:
  // Records"); AvroValueFromJson (avro_value.h) turns it into a value.
  std::optional<std::string> default_json;
  // Everything else: Iceberg's "field-id", "aliases", "order", ...
  AvroAttributes attributes;

  // The Iceberg "field-id" attribute, if present and an integer.
  std::optional<int64_t> field_id() const { return attributes.GetInt("field-id"); }
};

// One schema node. Which members are meaningful depends on `type`, as commented.
struct AvroNode {
  AvroType type = AvroType::kNull;

  // Named types (record, enum, fixed): the simple name and the namespace ("" for the null
  // namespace). The parser accepts a record without a name (some writers omit it) and leaves
  // `name` empty; such a record cannot be referenced by name.
  std::string name;
  std::string name_space;
  std::string doc;  // record, enum, fixed

  std::vector<AvroField> fields;            // record, in declaration (= encoding) order
  std::vector<std::string> symbols;         // enum
  std::optional<std::string> enum_default;  // enum: the "default" symbol, if given
  const AvroNode* items = nullptr;          // array: the item type
  const AvroNode* values = nullptr;         // map: the value type (keys are strings)
  std::vector<const AvroNode*> branches;    // union, in order (the union index selects one)
  int64_t size = 0;                         // fixed: bytes per value

  // Everything else: "logicalType", "precision", "scale", "element-id", "key-id", "value-id",
  // "aliases", ...
  AvroAttributes attributes;

  bool is_named() const {
    return type == AvroType::kRecord || type == AvroType::kEnum || type == AvroType::kFixed;
  }
  // "namespace.name", or just "name" in the null namespace.
  std::string FullName() const;
  // The "logicalType" attribute, or "" when absent.
  std::string logical_type() const;

  // Record lookups: the index of the field called `field_name`, or -1; the field itself, or
  // nullptr; the field whose "field-id" attribute is `field_id`, or nullptr. Linear in the number
  // of fields. For non-records they return -1 / nullptr.
  int FieldIndex(std::string_view field_name) const;
  const AvroField* FindField(std::string_view field_name) const;
  const AvroField* FindFieldById(int64_t field_id) const;
  // Union lookup: the index of the first branch of type `branch_type`, or -1.
  int FindBranch(AvroType branch_type) const;
};

// A complete schema: owns its nodes and knows the root.
//
// Build one by Parse(), or programmatically:
//   AvroSchema schema;
//   AvroNode* rec = schema.AddNode(AvroType::kRecord);
//   rec->name = "manifest_file";
//   rec->fields.push_back({.name = "manifest_path", .type = schema.AddNode(AvroType::kString)});
//   rec->fields.back().attributes.SetInt("field-id", 500);
//   schema.set_root(rec);
//   MEDLAKE_RETURN_IF_ERROR(schema.Validate());
class AvroSchema {
 public:
  // A schema whose root is a single "null" node.
  AvroSchema();
  ~AvroSchema();
  // Copies deep-copy the node graph (pointers are remapped into the copy). Moves keep node
  // addresses stable, so pointers into a moved-from schema now point into the moved-to one.
  AvroSchema(const AvroSchema& other);
  AvroSchema& operator=(const AvroSchema& other);
  AvroSchema(AvroSchema&& other) noexcept;
  AvroSchema& operator=(AvroSchema&& other) noexcept;

  // Parses a schema from its JSON text (Avro spec "Schema Declaration"): primitive type names,
  // records (also "error"), enums, arrays, maps, fixed, unions (JSON arrays) and references to
  // named types defined earlier (resolved against the enclosing namespace, then the null
  // namespace). Unknown attributes are kept (see AvroAttributes).
  // Returns InvalidArgument with a message that names the problem (bad JSON, unknown type name,
  // missing "items", duplicate field or type name, union directly inside a union, nesting deeper
  // than 64 levels, ...). The input is only read during the call.
  static Result<AvroSchema> Parse(std::string_view json);

  // Writes the schema as compact JSON. A named type is written in full the first time it occurs
  // (depth-first, in field order) and by name afterwards; attributes follow the standard keys.
  // Precondition: Validate() is OK (an invalid graph is written as best it can be, never crashes).
  std::string ToJson() const;

  // Checks a programmatically built schema: every child pointer is set and owned by this schema,
  // record field names and enum symbols are unique, named types have unique full names, unions
  // have no union branch and no two branches of the same unnamed type, fixed sizes are >= 0.
  // InvalidArgument naming the first problem found. Parse() only returns valid schemas.
  Status Validate() const;

  const AvroNode& root() const { return *root_; }

  // Adds a new node of `type` owned by this schema and returns it for filling in. The pointer
  // stays valid as long as this schema (or the schema it is moved into) lives.
  AvroNode* AddNode(AvroType type);
  // Makes `root` the root. Precondition: `root` was returned by AddNode() of this schema.
  void set_root(const AvroNode* root);

  // Number of nodes owned (including nodes no longer reachable from the root).
  size_t node_count() const { return nodes_.size(); }

 private:
  bool Owns(const AvroNode* node) const;

  std::vector<std::unique_ptr<AvroNode>> nodes_;
  const AvroNode* root_ = nullptr;
};

}  // namespace medlake::storage
