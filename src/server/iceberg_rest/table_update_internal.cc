#include "server/iceberg_rest/table_update_internal.h"

#include <algorithm>
#include <map>

#include "storage/iceberg/partition.h"
#include "storage/iceberg/schema.h"
#include "storage/iceberg/transform.h"

namespace medlake::server::iceberg_rest::internal {
namespace {

namespace ib = storage::iceberg;
using nlohmann::json;

// Typed members of a request object. Each returns InvalidArgument naming the member (and what
// holds it) when it is missing or of the wrong JSON type.
Result<const json*> Member(const json& obj, const char* key, const std::string& what) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null())
    return InvalidArgument(what + ": missing \"" + key + "\"");
  return &*it;
}

Result<int64_t> IntMember(const json& obj, const char* key, const std::string& what) {
  MEDLAKE_ASSIGN_OR_RETURN(const json* v, Member(obj, key, what));
  if (!v->is_number_integer())
    return InvalidArgument(what + ": \"" + key + "\" must be an integer");
  return v->get<int64_t>();
}

Result<int32_t> Int32Member(const json& obj, const char* key, const std::string& what) {
  MEDLAKE_ASSIGN_OR_RETURN(int64_t v, IntMember(obj, key, what));
  if (v < INT32_MIN || v > INT32_MAX)
    return InvalidArgument(what + ": \"" + key + "\" is out of range");
  return static_cast<int32_t>(v);
}

Result<std::string> StringMember(const json& obj, const char* key, const std::string& what) {
  MEDLAKE_ASSIGN_OR_RETURN(const json* v, Member(obj, key, what));
  if (!v->is_string())
    return InvalidArgument(what + ": \"" + key + "\" must be a string");
  return v->get<std::string>();
}

Result<std::optional<int64_t>> OptionalInt(const json& obj, const char* key,
                                           const std::string& what) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null())
    return std::optional<int64_t>();
  if (!it->is_number_integer())
    return InvalidArgument(what + ": \"" + key + "\" must be an integer");
  return std::optional<int64_t>(it->get<int64_t>());
}

// The actions this server applies (OpenAPI TableUpdate discriminators).
const std::set<std::string>& AlterActions() {
  static const std::set<std::string> kActions = {
      "assign-uuid",  "upgrade-format-version", "add-schema",       "set-current-schema",
      "add-spec",     "set-default-spec",       "add-sort-order",   "set-default-sort-order",
      "set-location", "set-properties",         "remove-properties"};
  return kActions;
}
const std::set<std::string>& RefActions() {
  static const std::set<std::string> kActions = {"set-snapshot-ref", "remove-snapshot-ref",
                                                 "remove-snapshots"};
  return kActions;
}

// Strips a file: scheme and trailing slashes, so "file:///a/b/" and "/a/b" compare equal.
std::string NormalizeLocation(std::string location) {
  if (location.rfind("file://", 0) == 0) {
    location.erase(0, 7);
  } else if (location.rfind("file:", 0) == 0) {
    location.erase(0, 5);
  }
  while (location.size() > 1 && location.back() == '/')
    location.pop_back();
  return location;
}

bool SameSchemaContent(const ib::Schema& a, const ib::Schema& b) {
  return a.fields == b.fields && a.identifier_field_ids == b.identifier_field_ids;
}

Status CheckOne(const ib::TableMetadata& base, const json& r, bool table_exists) {
  const std::string what = "requirement";
  if (!r.is_object())
    return InvalidArgument("each requirement must be an object");
  MEDLAKE_ASSIGN_OR_RETURN(std::string type, StringMember(r, "type", what));
  auto failed = [&type](const std::string& detail) {
    return Aborted("requirement " + type + " failed: " + detail);
  };
  if (type == "assert-create") {
    if (table_exists)
      return failed("the table already exists");
    return Status::OK();
  }
  if (type == "assert-table-uuid") {
    MEDLAKE_ASSIGN_OR_RETURN(std::string uuid, StringMember(r, "uuid", type));
    if (uuid != base.table_uuid)
      return failed("the table's uuid is " + base.table_uuid + ", not " + uuid);
    return Status::OK();
  }
  if (type == "assert-ref-snapshot-id") {
    MEDLAKE_ASSIGN_OR_RETURN(std::string ref, StringMember(r, "ref", type));
    MEDLAKE_ASSIGN_OR_RETURN(std::optional<int64_t> id, OptionalInt(r, "snapshot-id", type));
    auto it = base.refs.find(ref);
    if (!id) {
      if (it != base.refs.end()) {
        return failed("ref " + ref + " exists (snapshot " + std::to_string(it->second.snapshot_id) +
                      ")");
      }
      return Status::OK();
    }
    if (it == base.refs.end())
      return failed("ref " + ref + " does not exist");
    if (it->second.snapshot_id != *id) {
      return failed("ref " + ref + " is at snapshot " + std::to_string(it->second.snapshot_id) +
                    ", not " + std::to_string(*id));
    }
    return Status::OK();
  }
  struct IdCheck {
    const char* type;
    const char* key;
    int64_t actual;
  };
  const IdCheck checks[] = {
      {"assert-last-assigned-field-id", "last-assigned-field-id", base.last_column_id},
      {"assert-current-schema-id", "current-schema-id", base.current_schema_id},
      {"assert-last-assigned-partition-id", "last-assigned-partition-id", base.last_partition_id},
      {"assert-default-spec-id", "default-spec-id", base.default_spec_id},
      {"assert-default-sort-order-id", "default-sort-order-id", base.default_sort_order_id},
  };
  for (const auto& c : checks) {
    if (type != c.type)
      continue;
    MEDLAKE_ASSIGN_OR_RETURN(int64_t expected, IntMember(r, c.key, type));
    if (expected != c.actual) {
      return failed(std::string(c.key) + " is " + std::to_string(c.actual) + ", not " +
                    std::to_string(expected));
    }
    return Status::OK();
  }
  return InvalidArgument("unknown requirement type " + type);
}

// Resolves -1 ("the last one added by this commit") or checks that `id` exists.
Result<int32_t> ResolveAdded(int64_t id, std::optional<int32_t> last_added, bool exists,
                             const std::string& what) {
  if (id == -1) {
    if (!last_added)
      return InvalidArgument(what + " -1 names the last one added, but this commit added none");
    return *last_added;
  }
  if (!exists)
    return InvalidArgument(what + " " + std::to_string(id) + " does not exist");
  return static_cast<int32_t>(id);
}

void RemoveRef(ib::TableMetadata* m, const std::string& name) {
  m->refs.erase(name);
  if (name == ib::kMainBranch)
    m->current_snapshot_id.reset();
}

}  // namespace

Result<ib::Schema> ParseRestSchema(const json& j) {
  if (!j.is_object())
    return InvalidArgument("schema must be an object");
  auto parsed = ib::ParseSchemaJson(j.dump());
  if (!parsed.ok())
    return InvalidArgument("schema: " + parsed.status().message());
  for (const auto& f : parsed->fields) {
    if (f.id <= 0)
      return InvalidArgument("schema: field " + f.name + " needs a positive id");
  }
  return parsed;
}

Result<ib::PartitionSpec> ParseRestPartitionSpec(const json& j, const ib::Schema& schema,
                                                 int32_t* last_partition_id) {
  const std::string what = "partition spec";
  if (!j.is_object())
    return InvalidArgument(what + " must be an object");
  ib::PartitionSpec spec;
  MEDLAKE_ASSIGN_OR_RETURN(std::optional<int64_t> spec_id, OptionalInt(j, "spec-id", what));
  spec.spec_id = spec_id ? static_cast<int32_t>(*spec_id) : 0;
  auto fields = j.find("fields");
  if (fields == j.end() || !fields->is_array())
    return InvalidArgument(what + ": \"fields\" must be an array");
  int32_t next = *last_partition_id;
  std::set<std::string> names;
  for (const auto& f : *fields) {
    if (!f.is_object())
      return InvalidArgument(what + ": each field must be an object");
    ib::PartitionField pf;
    MEDLAKE_ASSIGN_OR_RETURN(pf.source_id, Int32Member(f, "source-id", what + " field"));
    MEDLAKE_ASSIGN_OR_RETURN(pf.name, StringMember(f, "name", what + " field"));
    MEDLAKE_ASSIGN_OR_RETURN(std::string transform, StringMember(f, "transform", what + " field"));
    auto t = ib::ParseTransform(transform);
    if (!t.ok())
      return InvalidArgument(what + " field " + pf.name + ": " + t.status().message());
    pf.transform = *t;
    MEDLAKE_ASSIGN_OR_RETURN(std::optional<int64_t> field_id,
                             OptionalInt(f, "field-id", what + " field"));
    pf.field_id = field_id ? static_cast<int32_t>(*field_id) : ++next;
    next = std::max(next, pf.field_id);
    if (pf.field_id < ib::kPartitionDataIdStart) {
      return InvalidArgument(what + " field " + pf.name + ": field-id must be at least 1000");
    }
    if (!names.insert(pf.name).second)
      return InvalidArgument(what + ": duplicate field name " + pf.name);
    spec.fields.push_back(std::move(pf));
  }
  auto type = ib::PartitionType(spec, schema);
  if (!type.ok())
    return InvalidArgument(what + ": " + type.status().message());
  *last_partition_id = std::max(*last_partition_id, next);
  return spec;
}

Result<ib::SortOrder> ParseRestSortOrder(const json& j, const ib::Schema& schema) {
  const std::string what = "sort order";
  if (!j.is_object())
    return InvalidArgument(what + " must be an object");
  ib::SortOrder order;
  MEDLAKE_ASSIGN_OR_RETURN(std::optional<int64_t> id, OptionalInt(j, "order-id", what));
  order.order_id = id ? static_cast<int32_t>(*id) : 0;
  auto fields = j.find("fields");
  if (fields == j.end() || !fields->is_array())
    return InvalidArgument(what + ": \"fields\" must be an array");
  for (const auto& f : *fields) {
    if (!f.is_object())
      return InvalidArgument(what + ": each field must be an object");
    ib::SortField sf;
    MEDLAKE_ASSIGN_OR_RETURN(sf.source_id, Int32Member(f, "source-id", what + " field"));
    MEDLAKE_ASSIGN_OR_RETURN(std::string transform, StringMember(f, "transform", what + " field"));
    auto t = ib::ParseTransform(transform);
    if (!t.ok())
      return InvalidArgument(what + ": " + t.status().message());
    sf.transform = *t;
    MEDLAKE_ASSIGN_OR_RETURN(std::string direction, StringMember(f, "direction", what + " field"));
    if (direction != "asc" && direction != "desc")
      return InvalidArgument(what + ": direction must be asc or desc");
    sf.direction = direction == "asc" ? ib::SortDirection::kAsc : ib::SortDirection::kDesc;
    MEDLAKE_ASSIGN_OR_RETURN(std::string nulls, StringMember(f, "null-order", what + " field"));
    if (nulls != "nulls-first" && nulls != "nulls-last") {
      return InvalidArgument(what + ": null-order must be nulls-first or nulls-last");
    }
    sf.null_order = nulls == "nulls-first" ? ib::NullOrder::kNullsFirst : ib::NullOrder::kNullsLast;
    const ib::NestedField* source = ib::FindFieldById(schema, sf.source_id);
    if (source == nullptr) {
      return InvalidArgument(what + ": source-id " + std::to_string(sf.source_id) +
                             " is not in the schema");
    }
    auto result = ib::TransformResultType(sf.transform, source->type);
    if (!result.ok())
      return InvalidArgument(what + ": " + result.status().message());
    order.fields.push_back(std::move(sf));
  }
  if (order.fields.empty())
    order.order_id = ib::kUnsortedOrderId;
  return order;
}

Result<ib::Snapshot> ParseRestSnapshot(const json& j) {
  const std::string what = "snapshot";
  if (!j.is_object())
    return InvalidArgument(what + " must be an object");
  ib::Snapshot s;
  MEDLAKE_ASSIGN_OR_RETURN(s.snapshot_id, IntMember(j, "snapshot-id", what));
  MEDLAKE_ASSIGN_OR_RETURN(s.parent_snapshot_id, OptionalInt(j, "parent-snapshot-id", what));
  MEDLAKE_ASSIGN_OR_RETURN(std::optional<int64_t> seq, OptionalInt(j, "sequence-number", what));
  s.sequence_number = seq.value_or(0);
  MEDLAKE_ASSIGN_OR_RETURN(s.timestamp_ms, IntMember(j, "timestamp-ms", what));
  MEDLAKE_ASSIGN_OR_RETURN(s.manifest_list, StringMember(j, "manifest-list", what));
  MEDLAKE_ASSIGN_OR_RETURN(const json* summary, Member(j, "summary", what));
  if (!summary->is_object())
    return InvalidArgument(what + ": \"summary\" must be an object");
  for (const auto& [k, v] : summary->items()) {
    if (!v.is_string())
      return InvalidArgument(what + ": summary values must be strings (" + k + ")");
    s.summary[k] = v.get<std::string>();
  }
  static const std::set<std::string> kOperations = {ib::kOperationAppend, ib::kOperationReplace,
                                                    ib::kOperationOverwrite, ib::kOperationDelete};
  if (!kOperations.count(s.operation())) {
    return InvalidArgument(what +
                           ": summary.operation must be append, replace, overwrite or delete");
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::optional<int64_t> schema_id, OptionalInt(j, "schema-id", what));
  if (schema_id)
    s.schema_id = static_cast<int32_t>(*schema_id);
  return s;
}

Result<UpdateSummary> SummarizeUpdates(const json& updates) {
  UpdateSummary summary;
  if (updates.is_null())
    return summary;
  if (!updates.is_array())
    return InvalidArgument("\"updates\" must be an array");
  std::vector<std::string> unsupported;
  for (const auto& u : updates) {
    if (!u.is_object())
      return InvalidArgument("each update must be an object");
    MEDLAKE_ASSIGN_OR_RETURN(std::string action, StringMember(u, "action", "update"));
    summary.actions.push_back(action);
    if (AlterActions().count(action)) {
      summary.alters_table = true;
    } else if (action == "add-snapshot") {
      summary.adds_snapshots = true;
    } else if (RefActions().count(action)) {
      summary.moves_refs = true;
    } else if (std::find(unsupported.begin(), unsupported.end(), action) == unsupported.end()) {
      unsupported.push_back(action);
    }
  }
  if (!unsupported.empty()) {
    std::string list;
    for (const auto& a : unsupported)
      list += (list.empty() ? "" : ", ") + a;
    return InvalidArgument(
        "unsupported table update action(s): " + list +
        " (supported: assign-uuid, upgrade-format-version, add-schema, set-current-schema, "
        "add-spec, set-default-spec, add-sort-order, set-default-sort-order, add-snapshot, "
        "set-snapshot-ref, remove-snapshots, remove-snapshot-ref, set-location, "
        "set-properties, remove-properties)");
  }
  return summary;
}

Status CheckRequirements(const ib::TableMetadata& base, const json& requirements,
                         bool table_exists) {
  if (requirements.is_null())
    return Status::OK();
  if (!requirements.is_array())
    return InvalidArgument("\"requirements\" must be an array");
  // Malformed requirements are reported before failed ones, so a client sees its bug first.
  Status first_failure;
  for (const auto& r : requirements) {
    Status st = CheckOne(base, r, table_exists);
    if (st.code() == StatusCode::kAborted) {
      if (first_failure.ok())
        first_failure = st;
      continue;
    }
    MEDLAKE_RETURN_IF_ERROR(st);
  }
  return first_failure;
}

Status ApplyUpdates(ib::TableMetadata* m, const json& updates, int64_t now_ms,
                    std::vector<int64_t>* added) {
  if (updates.is_null())
    return Status::OK();
  if (!updates.is_array())
    return InvalidArgument("\"updates\" must be an array");
  std::optional<int32_t> last_schema, last_spec, last_order;
  for (const auto& u : updates) {
    if (!u.is_object())
      return InvalidArgument("each update must be an object");
    MEDLAKE_ASSIGN_OR_RETURN(const std::string action, StringMember(u, "action", "update"));
    if (action == "assign-uuid") {
      MEDLAKE_ASSIGN_OR_RETURN(std::string uuid, StringMember(u, "uuid", action));
      if (!m->table_uuid.empty() && m->table_uuid != uuid) {
        return InvalidArgument("assign-uuid: the table already has uuid " + m->table_uuid);
      }
      m->table_uuid = uuid;
    } else if (action == "upgrade-format-version") {
      MEDLAKE_ASSIGN_OR_RETURN(int64_t v, IntMember(u, "format-version", action));
      if (v < m->format_version)
        return InvalidArgument("upgrade-format-version: cannot downgrade");
      if (v > ib::kMaxSupportedFormatVersion) {
        return InvalidArgument("upgrade-format-version: format version " + std::to_string(v) +
                               " is not supported (at most 2)");
      }
      m->format_version = static_cast<int>(v);
    } else if (action == "add-schema") {
      MEDLAKE_ASSIGN_OR_RETURN(const json* sj, Member(u, "schema", action));
      MEDLAKE_ASSIGN_OR_RETURN(ib::Schema schema, ParseRestSchema(*sj));
      MEDLAKE_ASSIGN_OR_RETURN(std::optional<int64_t> last_column,
                               OptionalInt(u, "last-column-id", action));
      int32_t id = -1;
      int32_t max_id = -1;
      for (const auto& s : m->schemas) {
        if (SameSchemaContent(s, schema))
          id = s.schema_id;
        max_id = std::max(max_id, s.schema_id);
      }
      if (id < 0) {
        schema.schema_id = id = max_id + 1;
        m->schemas.push_back(schema);
      }
      m->last_column_id = std::max({m->last_column_id, ib::HighestFieldId(schema),
                                    static_cast<int32_t>(last_column.value_or(0))});
      last_schema = id;
    } else if (action == "set-current-schema") {
      MEDLAKE_ASSIGN_OR_RETURN(int64_t id, IntMember(u, "schema-id", action));
      MEDLAKE_ASSIGN_OR_RETURN(
          m->current_schema_id,
          ResolveAdded(id, last_schema, ib::FindSchema(*m, static_cast<int32_t>(id)).ok(),
                       "schema-id"));
    } else if (action == "add-spec") {
      MEDLAKE_ASSIGN_OR_RETURN(const json* sj, Member(u, "spec", action));
      MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(*m));
      MEDLAKE_ASSIGN_OR_RETURN(ib::PartitionSpec spec,
                               ParseRestPartitionSpec(*sj, *schema, &m->last_partition_id));
      int32_t id = -1;
      int32_t max_id = -1;
      for (const auto& s : m->partition_specs) {
        if (s.fields == spec.fields)
          id = s.spec_id;
        max_id = std::max(max_id, s.spec_id);
      }
      if (id < 0) {
        spec.spec_id = id = max_id + 1;
        m->partition_specs.push_back(spec);
      }
      last_spec = id;
    } else if (action == "set-default-spec") {
      MEDLAKE_ASSIGN_OR_RETURN(int64_t id, IntMember(u, "spec-id", action));
      MEDLAKE_ASSIGN_OR_RETURN(
          m->default_spec_id,
          ResolveAdded(id, last_spec, ib::FindPartitionSpec(*m, static_cast<int32_t>(id)).ok(),
                       "spec-id"));
    } else if (action == "add-sort-order") {
      MEDLAKE_ASSIGN_OR_RETURN(const json* oj, Member(u, "sort-order", action));
      MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(*m));
      MEDLAKE_ASSIGN_OR_RETURN(ib::SortOrder order, ParseRestSortOrder(*oj, *schema));
      int32_t id = -1;
      int32_t max_id = ib::kUnsortedOrderId;
      for (const auto& o : m->sort_orders) {
        if (o.fields == order.fields)
          id = o.order_id;
        max_id = std::max(max_id, o.order_id);
      }
      if (id < 0) {
        order.order_id = id = order.is_unsorted() ? ib::kUnsortedOrderId : max_id + 1;
        m->sort_orders.push_back(order);
      }
      last_order = id;
    } else if (action == "set-default-sort-order") {
      MEDLAKE_ASSIGN_OR_RETURN(int64_t id, IntMember(u, "sort-order-id", action));
      MEDLAKE_ASSIGN_OR_RETURN(
          m->default_sort_order_id,
          ResolveAdded(id, last_order, ib::FindSortOrder(*m, static_cast<int32_t>(id)).ok(),
                       "sort-order-id"));
    } else if (action == "add-snapshot") {
      MEDLAKE_ASSIGN_OR_RETURN(const json* sj, Member(u, "snapshot", action));
      MEDLAKE_ASSIGN_OR_RETURN(ib::Snapshot s, ParseRestSnapshot(*sj));
      if (ib::FindSnapshot(*m, s.snapshot_id).ok()) {
        return InvalidArgument("add-snapshot: snapshot " + std::to_string(s.snapshot_id) +
                               " already exists");
      }
      if (m->format_version >= 2 && s.sequence_number <= m->last_sequence_number) {
        return InvalidArgument(
            "add-snapshot: sequence-number " + std::to_string(s.sequence_number) +
            " must be above last-sequence-number " + std::to_string(m->last_sequence_number));
      }
      if (s.schema_id && !ib::FindSchema(*m, *s.schema_id).ok()) {
        return InvalidArgument("add-snapshot: schema-id " + std::to_string(*s.schema_id) +
                               " does not exist");
      }
      if (s.manifest_list.empty())
        return InvalidArgument("add-snapshot: manifest-list is empty");
      m->last_sequence_number = std::max(m->last_sequence_number, s.sequence_number);
      if (added != nullptr)
        added->push_back(s.snapshot_id);
      m->snapshots.push_back(std::move(s));
    } else if (action == "set-snapshot-ref") {
      MEDLAKE_ASSIGN_OR_RETURN(std::string name, StringMember(u, "ref-name", action));
      MEDLAKE_ASSIGN_OR_RETURN(std::string type, StringMember(u, "type", action));
      ib::SnapshotRef ref;
      MEDLAKE_ASSIGN_OR_RETURN(ref.snapshot_id, IntMember(u, "snapshot-id", action));
      if (type != "branch" && type != "tag")
        return InvalidArgument("set-snapshot-ref: type must be branch or tag");
      ref.type = type == "branch" ? ib::SnapshotRefType::kBranch : ib::SnapshotRefType::kTag;
      if (name == ib::kMainBranch && ref.type != ib::SnapshotRefType::kBranch) {
        return InvalidArgument("set-snapshot-ref: main must be a branch");
      }
      if (!ib::FindSnapshot(*m, ref.snapshot_id).ok()) {
        return InvalidArgument("set-snapshot-ref: snapshot " + std::to_string(ref.snapshot_id) +
                               " does not exist");
      }
      MEDLAKE_ASSIGN_OR_RETURN(std::optional<int64_t> max_ref_age,
                               OptionalInt(u, "max-ref-age-ms", action));
      MEDLAKE_ASSIGN_OR_RETURN(std::optional<int64_t> max_snapshot_age,
                               OptionalInt(u, "max-snapshot-age-ms", action));
      MEDLAKE_ASSIGN_OR_RETURN(std::optional<int64_t> min_keep,
                               OptionalInt(u, "min-snapshots-to-keep", action));
      ref.max_ref_age_ms = max_ref_age;
      if (ref.type == ib::SnapshotRefType::kBranch) {
        ref.max_snapshot_age_ms = max_snapshot_age;
        if (min_keep)
          ref.min_snapshots_to_keep = static_cast<int32_t>(*min_keep);
      }
      if (name == ib::kMainBranch) {
        ref.max_ref_age_ms.reset();  // spec: never for the main branch
        if (m->current_snapshot_id != ref.snapshot_id) {
          m->current_snapshot_id = ref.snapshot_id;
          m->snapshot_log.push_back(ib::SnapshotLogEntry{now_ms, ref.snapshot_id});
        }
      }
      m->refs[name] = ref;
    } else if (action == "remove-snapshot-ref") {
      MEDLAKE_ASSIGN_OR_RETURN(std::string name, StringMember(u, "ref-name", action));
      RemoveRef(m, name);
    } else if (action == "remove-snapshots") {
      MEDLAKE_ASSIGN_OR_RETURN(const json* ids, Member(u, "snapshot-ids", action));
      if (!ids->is_array())
        return InvalidArgument("remove-snapshots: \"snapshot-ids\" must be an array");
      std::set<int64_t> gone;
      for (const auto& id : *ids) {
        if (!id.is_number_integer())
          return InvalidArgument("remove-snapshots: ids must be integers");
        gone.insert(id.get<int64_t>());
      }
      auto removed = [&gone](int64_t id) { return gone.count(id) > 0; };
      ib::RemoveSnapshots(m, gone);
      // As Java's builder does: refs left pointing at a removed snapshot go too.
      std::vector<std::string> dangling;
      for (const auto& [name, ref] : m->refs) {
        if (removed(ref.snapshot_id))
          dangling.push_back(name);
      }
      for (const auto& name : dangling)
        RemoveRef(m, name);
      if (m->current_snapshot_id && removed(*m->current_snapshot_id))
        m->current_snapshot_id.reset();
    } else if (action == "set-location") {
      MEDLAKE_ASSIGN_OR_RETURN(std::string location, StringMember(u, "location", action));
      if (NormalizeLocation(location) != NormalizeLocation(m->location)) {
        return InvalidArgument("set-location: lake tables stay where the lake put them (" +
                               m->location + ")");
      }
    } else if (action == "set-properties") {
      MEDLAKE_ASSIGN_OR_RETURN(const json* props, Member(u, "updates", action));
      if (!props->is_object())
        return InvalidArgument("set-properties: \"updates\" must be an object");
      for (const auto& [k, v] : props->items()) {
        if (!v.is_string())
          return InvalidArgument("set-properties: values must be strings (" + k + ")");
        m->properties[k] = v.get<std::string>();
      }
    } else if (action == "remove-properties") {
      MEDLAKE_ASSIGN_OR_RETURN(const json* keys, Member(u, "removals", action));
      if (!keys->is_array())
        return InvalidArgument("remove-properties: \"removals\" must be an array");
      for (const auto& k : *keys) {
        if (!k.is_string())
          return InvalidArgument("remove-properties: removals must be strings");
        m->properties.erase(k.get<std::string>());
      }
    } else {
      return InvalidArgument("unsupported table update action " + action);
    }
  }
  return Status::OK();
}

}  // namespace medlake::server::iceberg_rest::internal
