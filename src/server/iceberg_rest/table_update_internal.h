// server/iceberg_rest/table_update_internal.h: the requirements and updates of an Iceberg REST
// commit (OpenAPI "TableRequirement", "TableUpdate") applied to the storage layer's metadata
// model, and the parsing of the JSON objects they carry (schemas, partition specs, sort orders,
// snapshots). Private to server/iceberg_rest; pure functions (no I/O), so tests can drive them.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "storage/iceberg/table_metadata.h"

namespace medlake::server::iceberg_rest::internal {

// What a list of updates touches, for the privilege checks of a commit.
struct UpdateSummary {
  std::vector<std::string> actions;  // in request order
  bool alters_table = false;    // schema, spec, sort order, properties, location, uuid, version
  bool adds_snapshots = false;  // add-snapshot
  bool moves_refs = false;      // set-snapshot-ref, remove-snapshot-ref, remove-snapshots
};

// Checks that `updates` is an array of objects whose "action" is one of the supported ones.
// InvalidArgument naming every unsupported action (or the malformed entry).
Result<UpdateSummary> SummarizeUpdates(const nlohmann::json& updates);

// Checks every requirement of `requirements` (an array; null or absent means none) against
// `base`. Aborted, naming the requirement, when one does not hold (409 CommitFailedException);
// InvalidArgument for an unknown or malformed requirement. `table_exists` is false only for a
// table being created (assert-create holds then).
Status CheckRequirements(const storage::iceberg::TableMetadata& base,
                         const nlohmann::json& requirements, bool table_exists = true);

// Applies `updates` (validated by SummarizeUpdates) in order to `*metadata`, as the Java
// reference TableMetadata.Builder does: added schemas, specs and sort orders get fresh ids (or
// the id of an identical existing one), -1 in set-current-schema / set-default-spec /
// set-default-sort-order means "the last one added by this commit", setting the main branch makes
// its snapshot current, removing snapshots drops refs left dangling. `now_ms` stamps the snapshot
// log. Snapshot ids added are appended to `added_snapshots` (nullable).
// InvalidArgument when an update cannot apply (unknown ids, a downgrade, a sequence number not
// above last-sequence-number, a location change).
Status ApplyUpdates(storage::iceberg::TableMetadata* metadata, const nlohmann::json& updates,
                    int64_t now_ms, std::vector<int64_t>* added_snapshots);

// JSON objects of the REST API in the storage model. InvalidArgument naming what is wrong.
// A schema ("type": "struct", "fields", optional "schema-id", "identifier-field-ids").
Result<storage::iceberg::Schema> ParseRestSchema(const nlohmann::json& j);
// A partition spec; fields without "field-id" get ids after `last_partition_id`, which is
// raised to the highest id used. The spec is checked against `schema` (source ids, transforms).
Result<storage::iceberg::PartitionSpec> ParseRestPartitionSpec(
    const nlohmann::json& j, const storage::iceberg::Schema& schema, int32_t* last_partition_id);
// A sort order ("order-id", "fields": transform, source-id, direction, null-order), checked
// against `schema`.
Result<storage::iceberg::SortOrder> ParseRestSortOrder(const nlohmann::json& j,
                                                       const storage::iceberg::Schema& schema);
// A snapshot object (spec "Snapshots" JSON form).
Result<storage::iceberg::Snapshot> ParseRestSnapshot(const nlohmann::json& j);

}  // namespace medlake::server::iceberg_rest::internal
