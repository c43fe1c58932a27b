// libFuzzer target for the body of an Iceberg REST commit (POST .../tables/{table}): requirements
// checked and updates applied to a table's metadata (server/iceberg_rest/table_update_internal.h).
// Any authorized engine can send one. Beyond "no crash, no sanitizer report" it checks that
// metadata the updates produce, once it reads back (the server refuses a commit whose metadata
// does not), is stable: written again it is the same text.
// Built only with -DMEDLAKE_BUILD_FUZZERS=ON (fuzz preset, clang):
//   build/fuzz/src/server/iceberg_rest/medlake_table_update_fuzz -max_len=8192 corpus/
// Seed it with commit bodies, e.g. {"requirements":[...],"updates":[{"action":"add-schema",...}]}.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/iceberg_rest/table_update_internal.h"
#include "storage/iceberg/table_metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace ib = medlake::storage::iceberg;
namespace ri = medlake::server::iceberg_rest::internal;

// A small partitioned v2 table with one snapshot and a branch.
constexpr const char* kBase = R"json({
  "format-version": 2, "table-uuid": "0c5b5b0e-4b8e-4d55-9d0c-2f7f3b1a9e10",
  "location": "/lake/warehouse/clin/events", "last-sequence-number": 1,
  "last-updated-ms": 1700000000000, "last-column-id": 3, "current-schema-id": 0,
  "schemas": [{"type": "struct", "schema-id": 0, "identifier-field-ids": [1], "fields": [
    {"id": 1, "name": "event_id", "required": true, "type": "long"},
    {"id": 2, "name": "hospital", "required": false, "type": "string"},
    {"id": 3, "name": "at", "required": false, "type": "timestamptz"}]}],
  "default-spec-id": 0, "last-partition-id": 1000,
  "partition-specs": [{"spec-id": 0, "fields": [
    {"name": "hospital", "transform": "identity", "source-id": 2, "field-id": 1000}]}],
  "default-sort-order-id": 1, "sort-orders": [{"order-id": 0, "fields": []},
    {"order-id": 1, "fields": [{"transform": "identity", "source-id": 1, "direction": "asc",
                               "null-order": "nulls-first"}]}],
  "properties": {"owner": "data-office"}, "current-snapshot-id": 41,
  "refs": {"main": {"snapshot-id": 41, "type": "branch"}},
  "snapshots": [{"snapshot-id": 41, "sequence-number": 1, "timestamp-ms": 1700000000000,
                 "manifest-list": "/lake/warehouse/clin/events/metadata/snap-41.avro",
                 "summary": {"operation": "append"}, "schema-id": 0}],
  "snapshot-log": [{"snapshot-id": 41, "timestamp-ms": 1700000000000}], "metadata-log": []
})json";

const ib::TableMetadata& Base() {
  static const ib::TableMetadata* base = [] {
    auto m = ib::ParseTableMetadata(kBase);
    if (!m.ok()) __builtin_trap();
    return new ib::TableMetadata(*m);
  }();
  return *base;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json body =
      nlohmann::json::parse(reinterpret_cast<const char*>(data), reinterpret_cast<const char*>(data) + size,
                            nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return 0;
  const nlohmann::json none;
  const nlohmann::json& requirements = body.contains("requirements") ? body["requirements"] : none;
  const nlohmann::json& updates = body.contains("updates") ? body["updates"] : none;
  (void)ri::CheckRequirements(Base(), requirements);
  (void)ri::CheckRequirements(Base(), requirements, /*table_exists=*/false);
  if (!ri::SummarizeUpdates(updates).ok()) return 0;
  ib::TableMetadata m = Base();
  std::vector<int64_t> added;
  if (!ri::ApplyUpdates(&m, updates, 1700000001000, &added).ok()) return 0;
  const std::string text = ib::SerializeTableMetadata(m);
  auto back = ib::ParseTableMetadata(text);
  if (back.ok() && ib::SerializeTableMetadata(*back) != text) __builtin_trap();
  return 0;
}
