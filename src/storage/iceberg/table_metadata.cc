#include "storage/iceberg/table_metadata.h"

#include <algorithm>
#include <set>
#include <utility>

#include "storage/iceberg/json_internal.h"

namespace medlake::storage::iceberg {
namespace {

using internal::Json;

constexpr std::string_view kCtx = "table metadata";

std::string Ctx(std::string_view what) { return std::string(kCtx) + ": " + std::string(what); }

// DataLoss if `ids` has a duplicate; `what` names the kind of id.
template <typename T>
Status CheckUnique(const std::vector<T>& ids, std::string_view what) {
  std::set<T> seen;
  for (const T& id : ids) {
    if (!seen.insert(id).second) {
      return DataLoss(Ctx(std::string(what) + " " + std::to_string(id) + " is listed twice"));
    }
  }
  return Status::OK();
}

Result<std::vector<int32_t>> IntList(const Json& json, std::string_view key, std::string_view ctx) {
  MEDLAKE_RETURN_IF_ERROR(
      internal::RequireArray(json, std::string(ctx) + ": '" + std::string(key) + "'"));
  std::vector<int32_t> out;
  for (const Json& item : json) {
    MEDLAKE_ASSIGN_OR_RETURN(int32_t v, internal::AsInt32(item, key, ctx));
    out.push_back(v);
  }
  return out;
}

// ---- parsing of the individual parts ----

Status ParseSchemas(const Json& json, int version, TableMetadata* md) {
  const bool v2 = version >= 2;
  const Json* schemas = internal::FindMember(json, "schemas");
  const Json* v1_schema = v2 ? nullptr : internal::FindMember(json, "schema");
  std::optional<Schema> legacy;
  if (v1_schema != nullptr) {
    MEDLAKE_ASSIGN_OR_RETURN(legacy, internal::SchemaFromJson(*v1_schema, false, Ctx("schema")));
  }
  if (schemas != nullptr) {
    MEDLAKE_RETURN_IF_ERROR(internal::RequireArray(*schemas, Ctx("'schemas'")));
    for (const Json& item : *schemas) {
      MEDLAKE_ASSIGN_OR_RETURN(Schema s, internal::SchemaFromJson(item, v2, Ctx("schema")));
      md->schemas.push_back(std::move(s));
    }
    MEDLAKE_ASSIGN_OR_RETURN(auto current,
                             internal::GetOptionalInt32(json, "current-schema-id", kCtx));
    if (current) {
      md->current_schema_id = *current;
    } else if (!v2 && legacy) {
      md->current_schema_id = legacy->schema_id;
    } else {
      return DataLoss(Ctx("missing required field 'current-schema-id'"));
    }
  } else if (legacy) {
    // Appendix E: v1 "schema" is the only (and current) schema.
    md->current_schema_id = legacy->schema_id;
    md->schemas.push_back(std::move(*legacy));
  } else {
    return DataLoss(Ctx("missing required field 'schemas'"));
  }
  std::vector<int32_t> ids;
  for (const Schema& s : md->schemas)
    ids.push_back(s.schema_id);
  MEDLAKE_RETURN_IF_ERROR(CheckUnique(ids, "schema-id"));
  if (!FindSchema(*md, md->current_schema_id).ok()) {
    return DataLoss(
        Ctx("current-schema-id " + std::to_string(md->current_schema_id) + " is not in 'schemas'"));
  }
  return Status::OK();
}

Status ParsePartitionSpecs(const Json& json, int version, TableMetadata* md) {
  const bool v2 = version >= 2;
  const Json* specs = internal::FindMember(json, "partition-specs");
  if (specs != nullptr) {
    MEDLAKE_RETURN_IF_ERROR(internal::RequireArray(*specs, Ctx("'partition-specs'")));
    for (const Json& item : *specs) {
      MEDLAKE_ASSIGN_OR_RETURN(PartitionSpec spec,
                               internal::PartitionSpecFromJson(item, v2, Ctx("partition spec")));
      md->partition_specs.push_back(std::move(spec));
    }
    if (v2) {
      MEDLAKE_ASSIGN_OR_RETURN(md->default_spec_id,
                               internal::GetInt32(json, "default-spec-id", kCtx));
    } else {
      MEDLAKE_ASSIGN_OR_RETURN(auto id, internal::GetOptionalInt32(json, "default-spec-id", kCtx));
      md->default_spec_id =
          id.value_or(md->partition_specs.empty() ? 0 : md->partition_specs.front().spec_id);
    }
  } else if (!v2 && internal::FindMember(json, "partition-spec") != nullptr) {
    // Appendix E: the v1 "partition-spec" field list becomes spec 0.
    PartitionSpec spec;
    MEDLAKE_ASSIGN_OR_RETURN(spec.fields, internal::PartitionFieldsFromJson(
                                              *internal::FindMember(json, "partition-spec"), false,
                                              Ctx("partition-spec")));
    md->partition_specs.push_back(std::move(spec));
    md->default_spec_id = 0;
  } else {
    return DataLoss(Ctx("missing required field 'partition-specs'"));
  }
  std::vector<int32_t> ids;
  for (const PartitionSpec& s : md->partition_specs)
    ids.push_back(s.spec_id);
  MEDLAKE_RETURN_IF_ERROR(CheckUnique(ids, "spec-id"));
  if (!FindPartitionSpec(*md, md->default_spec_id).ok()) {
    return DataLoss(Ctx("default-spec-id " + std::to_string(md->default_spec_id) +
                        " is not in 'partition-specs'"));
  }
  if (v2) {
    MEDLAKE_ASSIGN_OR_RETURN(md->last_partition_id,
                             internal::GetInt32(json, "last-partition-id", kCtx));
  } else {
    MEDLAKE_ASSIGN_OR_RETURN(auto last,
                             internal::GetOptionalInt32(json, "last-partition-id", kCtx));
    int32_t highest = kPartitionDataIdStart - 1;
    for (const PartitionSpec& s : md->partition_specs) {
      highest = std::max(highest, HighestPartitionFieldId(s));
    }
    md->last_partition_id = last.value_or(highest);
  }
  return Status::OK();
}

Status ParseSortOrders(const Json& json, int version, TableMetadata* md) {
  const bool v2 = version >= 2;
  const Json* orders = internal::FindMember(json, "sort-orders");
  if (orders == nullptr) {
    if (v2)
      return DataLoss(Ctx("missing required field 'sort-orders'"));
    md->sort_orders.push_back(SortOrder{});  // v1 default: the unsorted order, id 0
  } else {
    MEDLAKE_RETURN_IF_ERROR(internal::RequireArray(*orders, Ctx("'sort-orders'")));
    for (const Json& item : *orders) {
      MEDLAKE_ASSIGN_OR_RETURN(SortOrder order,
                               internal::SortOrderFromJson(item, Ctx("sort order")));
      md->sort_orders.push_back(std::move(order));
    }
  }
  if (v2) {
    MEDLAKE_ASSIGN_OR_RETURN(md->default_sort_order_id,
                             internal::GetInt32(json, "default-sort-order-id", kCtx));
  } else {
    MEDLAKE_ASSIGN_OR_RETURN(auto id,
                             internal::GetOptionalInt32(json, "default-sort-order-id", kCtx));
    md->default_sort_order_id = id.value_or(kUnsortedOrderId);
  }
  std::vector<int32_t> ids;
  for (const SortOrder& o : md->sort_orders)
    ids.push_back(o.order_id);
  MEDLAKE_RETURN_IF_ERROR(CheckUnique(ids, "order-id"));
  if (!FindSortOrder(*md, md->default_sort_order_id).ok()) {
    return DataLoss(Ctx("default-sort-order-id " + std::to_string(md->default_sort_order_id) +
                        " is not in 'sort-orders'"));
  }
  return Status::OK();
}

Status ParseSnapshots(const Json& json, int version, TableMetadata* md) {
  MEDLAKE_ASSIGN_OR_RETURN(auto current,
                           internal::GetOptionalInt64(json, "current-snapshot-id", kCtx));
  // Appendix F: Java writes -1 for "no current snapshot" in v1/v2; read it as absent.
  if (current && *current != -1)
    md->current_snapshot_id = current;
  if (const Json* snapshots = internal::FindMember(json, "snapshots")) {
    MEDLAKE_RETURN_IF_ERROR(internal::RequireArray(*snapshots, Ctx("'snapshots'")));
    for (const Json& item : *snapshots) {
      MEDLAKE_ASSIGN_OR_RETURN(Snapshot s,
                               internal::SnapshotFromJson(item, version, Ctx("snapshot")));
      md->snapshots.push_back(std::move(s));
    }
  }
  std::vector<int64_t> ids;
  for (const Snapshot& s : md->snapshots)
    ids.push_back(s.snapshot_id);
  MEDLAKE_RETURN_IF_ERROR(CheckUnique(ids, "snapshot-id"));
  if (md->current_snapshot_id && !FindSnapshot(*md, *md->current_snapshot_id).ok()) {
    return DataLoss(Ctx("current-snapshot-id " + std::to_string(*md->current_snapshot_id) +
                        " is not in 'snapshots'"));
  }

  if (const Json* log = internal::FindMember(json, "snapshot-log")) {
    MEDLAKE_RETURN_IF_ERROR(internal::RequireArray(*log, Ctx("'snapshot-log'")));
    for (const Json& item : *log) {
      MEDLAKE_RETURN_IF_ERROR(internal::RequireObject(item, Ctx("snapshot-log entry")));
      SnapshotLogEntry e;
      MEDLAKE_ASSIGN_OR_RETURN(e.timestamp_ms,
                               internal::GetInt64(item, "timestamp-ms", Ctx("snapshot-log")));
      MEDLAKE_ASSIGN_OR_RETURN(e.snapshot_id,
                               internal::GetInt64(item, "snapshot-id", Ctx("snapshot-log")));
      md->snapshot_log.push_back(e);
    }
  }
  if (const Json* log = internal::FindMember(json, "metadata-log")) {
    MEDLAKE_RETURN_IF_ERROR(internal::RequireArray(*log, Ctx("'metadata-log'")));
    for (const Json& item : *log) {
      MEDLAKE_RETURN_IF_ERROR(internal::RequireObject(item, Ctx("metadata-log entry")));
      MetadataLogEntry e;
      MEDLAKE_ASSIGN_OR_RETURN(e.timestamp_ms,
                               internal::GetInt64(item, "timestamp-ms", Ctx("metadata-log")));
      MEDLAKE_ASSIGN_OR_RETURN(e.metadata_file,
                               internal::GetString(item, "metadata-file", Ctx("metadata-log")));
      md->metadata_log.push_back(std::move(e));
    }
  }

  if (const Json* refs = internal::FindMember(json, "refs")) {
    MEDLAKE_RETURN_IF_ERROR(internal::RequireObject(*refs, Ctx("'refs'")));
    for (const auto& [name, item] : refs->items()) {
      MEDLAKE_ASSIGN_OR_RETURN(SnapshotRef ref,
                               internal::SnapshotRefFromJson(item, Ctx("ref '" + name + "'")));
      if (!FindSnapshot(*md, ref.snapshot_id).ok()) {
        return DataLoss(Ctx("ref '" + name + "' names snapshot " + std::to_string(ref.snapshot_id) +
                            ", which is not in 'snapshots'"));
      }
      md->refs[name] = ref;
    }
    auto main = md->refs.find(kMainBranch);
    if (main != md->refs.end() &&
        (!md->current_snapshot_id || main->second.snapshot_id != *md->current_snapshot_id)) {
      return DataLoss(Ctx("current-snapshot-id does not match the 'main' branch"));
    }
  } else if (md->current_snapshot_id) {
    // Spec: there is always a main branch reference, even if "refs" is absent.
    SnapshotRef main;
    main.snapshot_id = *md->current_snapshot_id;
    main.type = SnapshotRefType::kBranch;
    md->refs[kMainBranch] = main;
  }
  return Status::OK();
}

Status ParseStatistics(const Json& json, TableMetadata* md) {
  if (const Json* stats = internal::FindMember(json, "statistics")) {
    MEDLAKE_RETURN_IF_ERROR(internal::RequireArray(*stats, Ctx("'statistics'")));
    const std::string ctx = Ctx("statistics file");
    for (const Json& item : *stats) {
      MEDLAKE_RETURN_IF_ERROR(internal::RequireObject(item, ctx));
      StatisticsFile f;
      MEDLAKE_ASSIGN_OR_RETURN(f.snapshot_id, internal::GetInt64(item, "snapshot-id", ctx));
      MEDLAKE_ASSIGN_OR_RETURN(f.statistics_path,
                               internal::GetString(item, "statistics-path", ctx));
      MEDLAKE_ASSIGN_OR_RETURN(f.file_size_in_bytes,
                               internal::GetInt64(item, "file-size-in-bytes", ctx));
      MEDLAKE_ASSIGN_OR_RETURN(f.file_footer_size_in_bytes,
                               internal::GetInt64(item, "file-footer-size-in-bytes", ctx));
      MEDLAKE_ASSIGN_OR_RETURN(f.key_metadata,
                               internal::GetOptionalString(item, "key-metadata", ctx));
      MEDLAKE_ASSIGN_OR_RETURN(const Json* blobs, internal::GetMember(item, "blob-metadata", ctx));
      MEDLAKE_RETURN_IF_ERROR(internal::RequireArray(*blobs, ctx + ": 'blob-metadata'"));
      for (const Json& b : *blobs) {
        const std::string blob_ctx = ctx + " blob";
        MEDLAKE_RETURN_IF_ERROR(internal::RequireObject(b, blob_ctx));
        BlobMetadata blob;
        MEDLAKE_ASSIGN_OR_RETURN(blob.type, internal::GetString(b, "type", blob_ctx));
        MEDLAKE_ASSIGN_OR_RETURN(blob.snapshot_id, internal::GetInt64(b, "snapshot-id", blob_ctx));
        MEDLAKE_ASSIGN_OR_RETURN(blob.sequence_number,
                                 internal::GetInt64(b, "sequence-number", blob_ctx));
        MEDLAKE_ASSIGN_OR_RETURN(const Json* fields, internal::GetMember(b, "fields", blob_ctx));
        MEDLAKE_ASSIGN_OR_RETURN(blob.fields, IntList(*fields, "fields", blob_ctx));
        MEDLAKE_ASSIGN_OR_RETURN(blob.properties,
                                 internal::GetStringMap(b, "properties", blob_ctx));
        f.blob_metadata.push_back(std::move(blob));
      }
      md->statistics.push_back(std::move(f));
    }
  }
  if (const Json* stats = internal::FindMember(json, "partition-statistics")) {
    MEDLAKE_RETURN_IF_ERROR(internal::RequireArray(*stats, Ctx("'partition-statistics'")));
    const std::string ctx = Ctx("partition statistics file");
    for (const Json& item : *stats) {
      MEDLAKE_RETURN_IF_ERROR(internal::RequireObject(item, ctx));
      PartitionStatisticsFile f;
      MEDLAKE_ASSIGN_OR_RETURN(f.snapshot_id, internal::GetInt64(item, "snapshot-id", ctx));
      MEDLAKE_ASSIGN_OR_RETURN(f.statistics_path,
                               internal::GetString(item, "statistics-path", ctx));
      MEDLAKE_ASSIGN_OR_RETURN(f.file_size_in_bytes,
                               internal::GetInt64(item, "file-size-in-bytes", ctx));
      md->partition_statistics.push_back(std::move(f));
    }
  }
  return Status::OK();
}

Result<TableMetadata> ParseDocument(const Json& json) {
  MEDLAKE_RETURN_IF_ERROR(internal::RequireObject(json, kCtx));
  TableMetadata md;
  MEDLAKE_ASSIGN_OR_RETURN(md.format_version, internal::GetInt32(json, "format-version", kCtx));
  if (md.format_version < 1 || md.format_version > kMaxSupportedFormatVersion) {
    return Unimplemented(Ctx("format-version " + std::to_string(md.format_version) +
                             " is not supported (only 1 and 2)"));
  }
  const bool v2 = md.format_version >= 2;
  if (v2) {
    MEDLAKE_ASSIGN_OR_RETURN(md.table_uuid, internal::GetString(json, "table-uuid", kCtx));
  } else {
    MEDLAKE_ASSIGN_OR_RETURN(auto uuid, internal::GetOptionalString(json, "table-uuid", kCtx));
    md.table_uuid = uuid.value_or("");
  }
  MEDLAKE_ASSIGN_OR_RETURN(md.location, internal::GetString(json, "location", kCtx));
  if (v2) {
    MEDLAKE_ASSIGN_OR_RETURN(md.last_sequence_number,
                             internal::GetInt64(json, "last-sequence-number", kCtx));
  } else {
    // Appendix E: last-sequence-number must default to 0 when reading v1 metadata.
    MEDLAKE_ASSIGN_OR_RETURN(auto seq,
                             internal::GetOptionalInt64(json, "last-sequence-number", kCtx));
    md.last_sequence_number = seq.value_or(0);
  }
  MEDLAKE_ASSIGN_OR_RETURN(md.last_updated_ms, internal::GetInt64(json, "last-updated-ms", kCtx));
  MEDLAKE_ASSIGN_OR_RETURN(md.last_column_id, internal::GetInt32(json, "last-column-id", kCtx));
  MEDLAKE_RETURN_IF_ERROR(ParseSchemas(json, md.format_version, &md));
  MEDLAKE_RETURN_IF_ERROR(ParsePartitionSpecs(json, md.format_version, &md));
  MEDLAKE_RETURN_IF_ERROR(ParseSortOrders(json, md.format_version, &md));
  MEDLAKE_ASSIGN_OR_RETURN(md.properties, internal::GetStringMap(json, "properties", kCtx));
  MEDLAKE_RETURN_IF_ERROR(ParseSnapshots(json, md.format_version, &md));
  MEDLAKE_RETURN_IF_ERROR(ParseStatistics(json, &md));
  return md;
}

// ---- serialization ----

Json StatisticsToJson(const TableMetadata& md) {
  Json out = Json::array();
  for (const StatisticsFile& f : md.statistics) {
    Json j = Json::object();
    j["snapshot-id"] = f.snapshot_id;
    j["statistics-path"] = f.statistics_path;
    j["file-size-in-bytes"] = f.file_size_in_bytes;
    j["file-footer-size-in-bytes"] = f.file_footer_size_in_bytes;
    if (f.key_metadata)
      j["key-metadata"] = *f.key_metadata;
    Json blobs = Json::array();
    for (const BlobMetadata& b : f.blob_metadata) {
      Json bj = Json::object();
      bj["type"] = b.type;
      bj["snapshot-id"] = b.snapshot_id;
      bj["sequence-number"] = b.sequence_number;
      bj["fields"] = b.fields;
      if (!b.properties.empty())
        bj["properties"] = b.properties;
      blobs.push_back(std::move(bj));
    }
    j["blob-metadata"] = std::move(blobs);
    out.push_back(std::move(j));
  }
  return out;
}

Json PartitionStatisticsToJson(const TableMetadata& md) {
  Json out = Json::array();
  for (const PartitionStatisticsFile& f : md.partition_statistics) {
    Json j = Json::object();
    j["snapshot-id"] = f.snapshot_id;
    j["statistics-path"] = f.statistics_path;
    j["file-size-in-bytes"] = f.file_size_in_bytes;
    out.push_back(std::move(j));
  }
  return out;
}

template <typename T, typename Pred>
Result<const T*> FindIn(const std::vector<T>& items, Pred pred, std::string_view what, int64_t id) {
  for (const T& item : items) {
    if (pred(item))
      return &item;
  }
  return NotFound(std::string(kCtx) + ": no " + std::string(what) + " with id " +
                  std::to_string(id));
}

}  // namespace

bool TableMetadata::operator==(const TableMetadata& o) const {
  return format_version == o.format_version && table_uuid == o.table_uuid &&
         location == o.location && last_sequence_number == o.last_sequence_number &&
         last_updated_ms == o.last_updated_ms && last_column_id == o.last_column_id &&
         schemas == o.schemas && current_schema_id == o.current_schema_id &&
         partition_specs == o.partition_specs && default_spec_id == o.default_spec_id &&
         last_partition_id == o.last_partition_id && properties == o.properties &&
         current_snapshot_id == o.current_snapshot_id && snapshots == o.snapshots &&
         snapshot_log == o.snapshot_log && metadata_log == o.metadata_log &&
         sort_orders == o.sort_orders && default_sort_order_id == o.default_sort_order_id &&
         refs == o.refs && statistics == o.statistics &&
         partition_statistics == o.partition_statistics;
}

Result<TableMetadata> ParseTableMetadata(std::string_view json) {
  MEDLAKE_ASSIGN_OR_RETURN(Json doc, internal::ParseJsonText(json, kCtx));
  return ParseDocument(doc);
}

namespace internal {

void AppendSnapshotLogEntryJson(std::string* out, const SnapshotLogEntry& e) {
  *out += "{\"timestamp-ms\":";
  *out += std::to_string(e.timestamp_ms);
  *out += ",\"snapshot-id\":";
  *out += std::to_string(e.snapshot_id);
  out->push_back('}');
}

MetadataJsonParts MetadataJsonPartsOf(const TableMetadata& md) {
  const bool v2 = md.format_version >= 2;
  Json j = Json::object();
  j["format-version"] = md.format_version;
  if (v2 || !md.table_uuid.empty())
    j["table-uuid"] = md.table_uuid;
  j["location"] = md.location;
  if (v2)
    j["last-sequence-number"] = md.last_sequence_number;
  j["last-updated-ms"] = md.last_updated_ms;
  j["last-column-id"] = md.last_column_id;
  if (!v2) {
    // Appendix E: v1 readers need the deprecated single "schema" and "partition-spec".
    auto current = CurrentSchema(md);
    if (current.ok())
      j["schema"] = internal::SchemaToJsonValue(**current);
  }
  j["current-schema-id"] = md.current_schema_id;
  Json schemas = Json::array();
  for (const Schema& s : md.schemas)
    schemas.push_back(internal::SchemaToJsonValue(s));
  j["schemas"] = std::move(schemas);
  if (!v2) {
    auto spec = DefaultPartitionSpec(md);
    if (spec.ok())
      j["partition-spec"] = internal::PartitionFieldsToJsonValue((*spec)->fields);
  }
  j["default-spec-id"] = md.default_spec_id;
  Json specs = Json::array();
  for (const PartitionSpec& s : md.partition_specs) {
    specs.push_back(internal::PartitionSpecToJsonValue(s));
  }
  j["partition-specs"] = std::move(specs);
  j["last-partition-id"] = md.last_partition_id;
  j["default-sort-order-id"] = md.default_sort_order_id;
  Json orders = Json::array();
  for (const SortOrder& o : md.sort_orders)
    orders.push_back(internal::SortOrderToJsonValue(o));
  j["sort-orders"] = std::move(orders);
  j["properties"] = Json::object();
  for (const auto& [k, v] : md.properties)
    j["properties"][k] = v;
  // Appendix F: Java writes -1 for "no current snapshot" in v1/v2, and every reader accepts it.
  j["current-snapshot-id"] = md.current_snapshot_id.value_or(-1);
  Json refs = Json::object();
  for (const auto& [name, ref] : md.refs)
    refs[name] = internal::SnapshotRefToJsonValue(ref);
  j["refs"] = std::move(refs);
  // The parts that grow with history (one entry per snapshot) are written as text by the
  // callers, not built as a document: at 10,000 snapshots they are nearly all of the file.
  MetadataJsonParts parts;
  parts.head = internal::DumpJson(j, -1);
  parts.head.pop_back();  // the closing brace; `j` is never empty
  parts.head += ",\"snapshots\":[";
  parts.middle = "],\"statistics\":";
  parts.middle += internal::DumpJson(StatisticsToJson(md), -1);
  parts.middle += ",\"partition-statistics\":";
  parts.middle += internal::DumpJson(PartitionStatisticsToJson(md), -1);
  parts.middle += ",\"snapshot-log\":[";
  parts.tail = "],\"metadata-log\":[";
  for (size_t i = 0; i < md.metadata_log.size(); ++i) {
    if (i > 0) parts.tail.push_back(',');
    parts.tail += "{\"timestamp-ms\":" + std::to_string(md.metadata_log[i].timestamp_ms) + ",\"metadata-file\":";
    internal::AppendJsonString(&parts.tail, md.metadata_log[i].metadata_file);
    parts.tail.push_back('}');
  }
  parts.tail += "]}\n";
  return parts;
}

}  // namespace internal

std::string SerializeTableMetadata(const TableMetadata& md) {
  internal::MetadataJsonParts parts = internal::MetadataJsonPartsOf(md);
  std::string out = std::move(parts.head);
  out.reserve(out.size() + md.snapshots.size() * 700 + md.snapshot_log.size() * 64 + parts.middle.size() +
              parts.tail.size());
  for (size_t i = 0; i < md.snapshots.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (md.format_version == 2) {
      out += md.snapshots.Json(i);  // kept with the shared snapshot: history is copied as text
    } else {
      internal::AppendSnapshotJson(&out, md.snapshots[i], md.format_version);
    }
  }
  out += parts.middle;
  for (size_t i = 0; i < md.snapshot_log.size(); ++i) {
    if (i > 0) out.push_back(',');
    internal::AppendSnapshotLogEntryJson(&out, md.snapshot_log[i]);
  }
  out += parts.tail;
  return out;
}

Result<const Schema*> FindSchema(const TableMetadata& md, int32_t schema_id) {
  return FindIn(
      md.schemas, [&](const Schema& s) { return s.schema_id == schema_id; }, "schema", schema_id);
}

Result<const Schema*> CurrentSchema(const TableMetadata& md) {
  return FindSchema(md, md.current_schema_id);
}

Result<const PartitionSpec*> FindPartitionSpec(const TableMetadata& md, int32_t spec_id) {
  return FindIn(
      md.partition_specs, [&](const PartitionSpec& s) { return s.spec_id == spec_id; },
      "partition spec", spec_id);
}

Result<const PartitionSpec*> DefaultPartitionSpec(const TableMetadata& md) {
  return FindPartitionSpec(md, md.default_spec_id);
}

const SortOrder* DefaultSortOrder(const TableMetadata& md) {
  auto order = FindSortOrder(md, md.default_sort_order_id);
  return order.ok() && !(*order)->is_unsorted() ? *order : nullptr;
}

Result<const SortOrder*> FindSortOrder(const TableMetadata& md, int32_t order_id) {
  return FindIn(
      md.sort_orders, [&](const SortOrder& o) { return o.order_id == order_id; }, "sort order",
      order_id);
}

void RemoveSnapshots(TableMetadata* md, const std::set<int64_t>& ids) {
  auto gone = [&ids](int64_t id) { return ids.count(id) > 0; };
  md->snapshots.RemoveIf([&](const Snapshot& s) { return gone(s.snapshot_id); });
  std::erase_if(md->snapshot_log, [&](const SnapshotLogEntry& e) { return gone(e.snapshot_id); });
  for (size_t i = 0; i < md->snapshots.size(); ++i) {
    const auto& parent = md->snapshots[i].parent_snapshot_id;
    if (parent && gone(*parent))
      md->snapshots.Edit(i, [](Snapshot& s) { s.parent_snapshot_id.reset(); });
  }
}

Result<const Snapshot*> FindSnapshot(const TableMetadata& md, int64_t snapshot_id) {
  // Newest first: the current snapshot and its recent parents are at the end.
  for (auto it = md.snapshots.end(); it != md.snapshots.begin();) {
    --it;
    if (it->snapshot_id == snapshot_id)
      return &*it;
  }
  return NotFound(std::string(kCtx) + ": no snapshot with id " + std::to_string(snapshot_id));
}

Result<const Snapshot*> CurrentSnapshot(const TableMetadata& md) {
  if (!md.current_snapshot_id)
    return NotFound(std::string(kCtx) + ": table has no snapshot");
  return FindSnapshot(md, *md.current_snapshot_id);
}

Result<const Snapshot*> SnapshotAsOf(const TableMetadata& md, int64_t timestamp_ms) {
  const SnapshotLogEntry* found = nullptr;
  for (const SnapshotLogEntry& e : md.snapshot_log) {
    if (e.timestamp_ms <= timestamp_ms)
      found = &e;
  }
  if (found == nullptr) {
    return NotFound(std::string(kCtx) + ": no snapshot was current at or before timestamp " +
                    std::to_string(timestamp_ms) + " ms");
  }
  auto snapshot = FindSnapshot(md, found->snapshot_id);
  if (!snapshot.ok()) {
    return NotFound(std::string(kCtx) + ": snapshot " + std::to_string(found->snapshot_id) +
                    " current at timestamp " + std::to_string(timestamp_ms) + " ms has expired");
  }
  return snapshot;
}

Result<std::vector<const Snapshot*>> Ancestors(const TableMetadata& md, int64_t snapshot_id) {
  MEDLAKE_ASSIGN_OR_RETURN(const Snapshot* s, FindSnapshot(md, snapshot_id));
  std::vector<const Snapshot*> out{s};
  while (s->parent_snapshot_id) {
    auto parent = FindSnapshot(md, *s->parent_snapshot_id);
    if (!parent.ok())
      break;  // expired: history ends here
    s = *parent;
    out.push_back(s);
    if (out.size() > md.snapshots.size()) {
      return DataLoss(std::string(kCtx) + ": parent-snapshot-id chain of snapshot " +
                      std::to_string(snapshot_id) + " has a cycle");
    }
  }
  return out;
}

}  // namespace medlake::storage::iceberg
