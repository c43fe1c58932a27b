// storage/iceberg/json_internal.h: private JSON plumbing of the Iceberg model (not public API).
//
// Only the .cc files of storage/iceberg/ (and their tests) include this header: nlohmann-json is a
// PRIVATE dependency of medlake::storage, so public headers exchange JSON as text. This header
// holds the generic readers (typed member access with clear DataLoss messages) and the JSON-value
// level converters of each model part, implemented next to that part (types.cc, schema.cc, ...).
//
// Errors: every reader returns DataLoss naming the context and the key, never the value.
// Nothing here throws: parsing uses nlohmann's non-throwing mode, member access checks types
// first, and dumping replaces invalid UTF-8 instead of throwing.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/iceberg/partition.h"
#include "storage/iceberg/schema.h"
#include "storage/iceberg/snapshot.h"
#include "storage/iceberg/sort_order.h"
#include "storage/iceberg/types.h"

namespace medlake::storage::iceberg::internal {

// Insertion-ordered JSON so that serialized output follows the order in which we write keys.
using Json = nlohmann::ordered_json;

// ---- generic helpers (json_internal.cc) ----

// Parses `text` as one JSON document. DataLoss "<what>: not valid JSON" on failure.
Result<Json> ParseJsonText(std::string_view text, std::string_view what);
// Serializes `json` (indent < 0: compact). Invalid UTF-8 in strings is replaced, never thrown.
std::string DumpJson(const Json& json, int indent);

// DataLoss unless `value` is an object / array. `what` names the value in the message.
Status RequireObject(const Json& value, std::string_view what);
Status RequireArray(const Json& value, std::string_view what);

// The member `key` of `object`, or nullptr if it is absent or JSON null.
// Precondition: `object` is an object.
const Json* FindMember(const Json& object, std::string_view key);
// Like FindMember, but DataLoss "<ctx>: missing required field '<key>'" when absent or null.
Result<const Json*> GetMember(const Json& object, std::string_view key, std::string_view ctx);

// Conversions of a single JSON value; DataLoss "<ctx>: field '<key>' must be ..." on mismatch.
Result<int32_t> AsInt32(const Json& value, std::string_view key, std::string_view ctx);
Result<int64_t> AsInt64(const Json& value, std::string_view key, std::string_view ctx);
Result<bool> AsBool(const Json& value, std::string_view key, std::string_view ctx);
Result<std::string> AsString(const Json& value, std::string_view key, std::string_view ctx);

// Required members of a given type.
Result<int32_t> GetInt32(const Json& object, std::string_view key, std::string_view ctx);
Result<int64_t> GetInt64(const Json& object, std::string_view key, std::string_view ctx);
Result<bool> GetBool(const Json& object, std::string_view key, std::string_view ctx);
Result<std::string> GetString(const Json& object, std::string_view key, std::string_view ctx);
// Optional members: nullopt when absent or null, DataLoss when present with a wrong type.
Result<std::optional<int32_t>> GetOptionalInt32(const Json& object, std::string_view key,
                                                std::string_view ctx);
Result<std::optional<int64_t>> GetOptionalInt64(const Json& object, std::string_view key,
                                                std::string_view ctx);
Result<std::optional<std::string>> GetOptionalString(const Json& object, std::string_view key,
                                                     std::string_view ctx);
// A JSON object whose values are all strings (properties, snapshot summary); empty if absent.
Result<std::map<std::string, std::string>> GetStringMap(const Json& object, std::string_view key,
                                                        std::string_view ctx);

// ---- model converters (implemented in the .cc of each part) ----

// types.cc: Appendix C type JSON. DataLoss for malformed or unsupported types.
Result<Type> TypeFromJson(const Json& json, std::string_view ctx);
Json TypeToJsonValue(const Type& type);

// schema.cc: a schema object (struct type plus schema-id and identifier-field-ids).
// `require_schema_id`: v2 requires "schema-id"; v1 defaults it to 0.
Result<Schema> SchemaFromJson(const Json& json, bool require_schema_id, std::string_view ctx);
Json SchemaToJsonValue(const Schema& schema);

// partition.cc: a partition spec object, or (v1 "partition-spec") a bare field list.
// `require_field_ids`: v2 requires "field-id"; v1 assigns 1000, 1001, ... in order when absent.
// Unknown transform names are kept (TransformKind::kUnknown), as the spec asks of readers.
Result<PartitionSpec> PartitionSpecFromJson(const Json& json, bool require_field_ids,
                                            std::string_view ctx);
Result<std::vector<PartitionField>> PartitionFieldsFromJson(const Json& json,
                                                            bool require_field_ids,
                                                            std::string_view ctx);
Json PartitionSpecToJsonValue(const PartitionSpec& spec);
Json PartitionFieldsToJsonValue(const std::vector<PartitionField>& fields);

// sort_order.cc
Result<SortOrder> SortOrderFromJson(const Json& json, std::string_view ctx);
Json SortOrderToJsonValue(const SortOrder& order);

// snapshot.cc. `format_version` selects the v1 or v2 required-field rules.
Result<Snapshot> SnapshotFromJson(const Json& json, int format_version, std::string_view ctx);
// Appends the snapshot's JSON object, compact, to `out` (the metadata file's largest part: built
// as text, not as a document).
void AppendSnapshotJson(std::string* out, const Snapshot& snapshot, int format_version);
// Appends `text` as a JSON string value, escaped as DumpJson would.
void AppendJsonString(std::string* out, std::string_view text);
Result<SnapshotRef> SnapshotRefFromJson(const Json& json, std::string_view ctx);
Json SnapshotRefToJsonValue(const SnapshotRef& ref);

}  // namespace medlake::storage::iceberg::internal

namespace medlake::storage::iceberg {
struct TableMetadata;
struct SnapshotLogEntry;
}  // namespace medlake::storage::iceberg

namespace medlake::storage::iceberg::internal {

// ---- table_metadata.cc: the metadata document in the parts a writer treats differently ----

// The document is head, the snapshots (SnapshotList::Json, or AppendSnapshotJson below v2) joined
// by commas, middle, the "snapshot-log" entries (AppendSnapshotLogEntryJson) joined by commas,
// then tail. head ends with `"snapshots":[`; middle closes that array and ends with
// `"snapshot-log":[`; tail closes it and holds the bounded "metadata-log" and the final newline.
struct MetadataJsonParts {
  std::string head;
  std::string middle;
  std::string tail;
};
MetadataJsonParts MetadataJsonPartsOf(const TableMetadata& md);
void AppendSnapshotLogEntryJson(std::string* out, const SnapshotLogEntry& entry);

}  // namespace medlake::storage::iceberg::internal
