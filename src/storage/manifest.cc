#include "storage/manifest.h"

#include <nlohmann/json.hpp>

#include "storage/avro/avro_container.h"
#include "storage/avro/avro_schema.h"
#include "storage/avro/avro_value.h"
#include "storage/iceberg/single_value.h"
#include "storage/iceberg/types.h"

namespace medlake::storage::iceberg {
namespace {

using nlohmann::json;

// Bytes needed for a decimal of precision P in Avro's fixed encoding (Iceberg spec, Avro
// mapping): the smallest n with 2^(8n-1) > 10^P - 1.
int DecimalBytes(int precision) {
  int n = 1;
  long double limit = 1;
  for (int i = 0; i < precision; ++i) limit *= 10;
  while (true) {
    long double max = 1;
    for (int i = 0; i < 8 * n - 1; ++i) max *= 2;
    if (max >= limit) return n;
    ++n;
  }
}

// Avro type (JSON) of a partition value of Iceberg type `t`; named types get unique names.
Result<json> AvroTypeOf(const Type& t, const std::string& unique) {
  switch (t.id) {
    case TypeId::kBoolean: return json("boolean");
    case TypeId::kInt: return json("int");
    case TypeId::kLong: return json("long");
    case TypeId::kFloat: return json("float");
    case TypeId::kDouble: return json("double");
    case TypeId::kDate: return json{{"type", "int"}, {"logicalType", "date"}};
    case TypeId::kTime: return json{{"type", "long"}, {"logicalType", "time-micros"}};
    case TypeId::kTimestamp:
      return json{{"type", "long"}, {"logicalType", "timestamp-micros"}, {"adjust-to-utc", false}};
    case TypeId::kTimestampTz:
      return json{{"type", "long"}, {"logicalType", "timestamp-micros"}, {"adjust-to-utc", true}};
    case TypeId::kString: return json("string");
    case TypeId::kBinary: return json("bytes");
    case TypeId::kUuid:
      return json{{"type", "fixed"}, {"name", "uuid_" + unique}, {"size", 16}, {"logicalType", "uuid"}};
    case TypeId::kFixed:
      return json{{"type", "fixed"}, {"name", "fixed_" + unique}, {"size", t.length}};
    case TypeId::kDecimal:
      return json{{"type", "fixed"},
                  {"name", "decimal_" + unique},
                  {"size", DecimalBytes(t.precision)},
                  {"logicalType", "decimal"},
                  {"precision", t.precision},
                  {"scale", t.scale}};
    default: return InvalidArgument("partition values cannot have a nested type");
  }
}

Result<AvroValue> ToAvro(const Type& t, const Value& v) {
  if (IsNull(v)) return AvroValue::Null();
  if (!ValueMatchesType(v, t)) return InvalidArgument("partition value does not match its type");
  switch (t.id) {
    case TypeId::kBoolean: return AvroValue::Boolean(std::get<bool>(v));
    case TypeId::kInt:
    case TypeId::kDate: return AvroValue::Int(std::get<int32_t>(v));
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz: return AvroValue::Long(std::get<int64_t>(v));
    case TypeId::kFloat: return AvroValue::Float(std::get<float>(v));
    case TypeId::kDouble: return AvroValue::Double(std::get<double>(v));
    case TypeId::kString: return AvroValue::String(std::get<std::string>(v));
    case TypeId::kBinary: return AvroValue::Bytes(std::get<BinaryBytes>(v).bytes);
    case TypeId::kFixed: return AvroValue::Fixed(std::get<FixedBytes>(v).bytes);
    case TypeId::kUuid: {
      const auto& b = std::get<medlake::Uuid>(v).bytes();
      return AvroValue::Fixed(std::string(reinterpret_cast<const char*>(b.data()), b.size()));
    }
    case TypeId::kDecimal: {
      // Big-endian two's complement, sign-extended to the fixed size.
      std::string minimal = MinimalBigEndianBytes(std::get<Decimal>(v).unscaled);
      size_t size = static_cast<size_t>(DecimalBytes(t.precision));
      if (minimal.size() > size) return InvalidArgument("decimal partition value out of range");
      char pad = (!minimal.empty() && (static_cast<unsigned char>(minimal[0]) & 0x80)) ? '\xff' : '\0';
      return AvroValue::Fixed(std::string(size - minimal.size(), pad) + minimal);
    }
    default: return InvalidArgument("partition values cannot have a nested type");
  }
}

Result<Value> FromAvro(const Type& t, const AvroValue& raw) {
  const AvroValue& v = raw.Unwrapped();
  if (v.is_null()) return Value();
  auto bad = [&]() { return DataLoss("partition value of the wrong Avro type"); };
  switch (t.id) {
    case TypeId::kBoolean:
      if (v.type() != AvroType::kBoolean) return bad();
      return Value(v.bool_value());
    case TypeId::kInt:
    case TypeId::kDate:
      if (v.type() != AvroType::kInt) return bad();
      return Value(v.int_value());
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      if (v.type() == AvroType::kInt) return Value(int64_t{v.int_value()});
      if (v.type() != AvroType::kLong) return bad();
      return Value(v.long_value());
    case TypeId::kFloat:
      if (v.type() != AvroType::kFloat) return bad();
      return Value(v.float_value());
    case TypeId::kDouble:
      if (v.type() == AvroType::kFloat) return Value(static_cast<double>(v.float_value()));
      if (v.type() != AvroType::kDouble) return bad();
      return Value(v.double_value());
    case TypeId::kString:
      if (v.type() != AvroType::kString) return bad();
      return Value(v.bytes_value());
    case TypeId::kBinary:
      if (v.type() != AvroType::kBytes && v.type() != AvroType::kFixed) return bad();
      return Value(BinaryBytes{v.bytes_value()});
    case TypeId::kFixed:
      if (v.type() != AvroType::kFixed && v.type() != AvroType::kBytes) return bad();
      return Value(FixedBytes{v.bytes_value()});
    case TypeId::kUuid: {
      if ((v.type() != AvroType::kFixed && v.type() != AvroType::kBytes) ||
          v.bytes_value().size() != 16) {
        if (v.type() == AvroType::kString) {
          MEDLAKE_ASSIGN_OR_RETURN(medlake::Uuid u, medlake::Uuid::Parse(v.bytes_value()));
          return Value(u);
        }
        return bad();
      }
      std::array<uint8_t, 16> b{};
      std::memcpy(b.data(), v.bytes_value().data(), 16);
      return Value(medlake::Uuid(b));
    }
    case TypeId::kDecimal: {
      if (v.type() != AvroType::kFixed && v.type() != AvroType::kBytes) return bad();
      MEDLAKE_ASSIGN_OR_RETURN(Value d, DeserializeSingleValue(t, v.bytes_value()));
      return d;
    }
    default: return bad();
  }
}

json MapField(const char* name, int id, int key_id, int value_id, const char* value_type,
              const char* doc) {
  return json{{"name", name},
              {"type", json::array({"null", json{{"type", "array"},
                                                 {"logicalType", "map"},
                                                 {"items", json{{"type", "record"},
                                                                {"name", "k" + std::to_string(key_id) + "_v" +
                                                                             std::to_string(value_id)},
                                                                {"fields", json::array({
                                                                               json{{"name", "key"}, {"type", "int"}, {"field-id", key_id}},
                                                                               json{{"name", "value"}, {"type", value_type}, {"field-id", value_id}},
                                                                           })}}}}})},
              {"doc", doc},
              {"default", nullptr},
              {"field-id", id}};
}

json Optional(const char* name, json type, int id, const char* doc) {
  return json{{"name", name}, {"type", json::array({"null", std::move(type)})},
              {"doc", doc}, {"default", nullptr}, {"field-id", id}};
}

json Required(const char* name, json type, int id, const char* doc) {
  return json{{"name", name}, {"type", std::move(type)}, {"doc", doc}, {"field-id", id}};
}

// The manifest_entry Avro schema for a partition type (Iceberg spec "Manifests").
Result<json> ManifestEntrySchema(const Type& partition_type, const PartitionSpec& spec) {
  json partition_fields = json::array();
  for (size_t i = 0; i < partition_type.fields.size(); ++i) {
    const NestedField& f = partition_type.fields[i];
    MEDLAKE_ASSIGN_OR_RETURN(json t, AvroTypeOf(f.type, "p" + std::to_string(f.id)));
    partition_fields.push_back(json{{"name", f.name},
                                    {"type", json::array({"null", std::move(t)})},
                                    {"default", nullptr},
                                    {"field-id", f.id}});
  }
  (void)spec;
  json data_file = {
      {"type", "record"},
      {"name", "r2"},
      {"fields",
       json::array({
           Required("content", "int", 134, "Contents of the file: 0=data, 1=position deletes, 2=equality deletes"),
           Required("file_path", "string", 100, "Location URI with FS scheme"),
           Required("file_format", "string", 101, "File format name: avro, orc, or parquet"),
           Required("partition", json{{"type", "record"}, {"name", "r102"}, {"fields", partition_fields}},
                    102, "Partition data tuple, schema based on the partition spec"),
           Required("record_count", "long", 103, "Number of records in the file"),
           Required("file_size_in_bytes", "long", 104, "Total file size in bytes"),
           MapField("column_sizes", 108, 117, 118, "long", "Map of column id to total size on disk"),
           MapField("value_counts", 109, 119, 120, "long", "Map of column id to total count, including null and NaN"),
           MapField("null_value_counts", 110, 121, 122, "long", "Map of column id to null value count"),
           MapField("nan_value_counts", 137, 138, 139, "long", "Map of column id to number of NaN values in the column"),
           MapField("lower_bounds", 125, 126, 127, "bytes", "Map of column id to lower bound"),
           MapField("upper_bounds", 128, 129, 130, "bytes", "Map of column id to upper bound"),
           Optional("key_metadata", "bytes", 131, "Encryption key metadata blob"),
           Optional("split_offsets", json{{"type", "array"}, {"items", "long"}, {"element-id", 133}}, 132,
                    "Splittable offsets"),
           Optional("equality_ids", json{{"type", "array"}, {"items", "int"}, {"element-id", 136}}, 135,
                    "Equality comparison field IDs"),
           Optional("sort_order_id", "int", 140, "Sort order ID"),
           Optional("referenced_data_file", "string", 143,
                    "Fully qualified location (URI with FS scheme) of a data file that all deletes reference"),
       })}};
  return json{{"type", "record"},
              {"name", "manifest_entry"},
              {"fields", json::array({
                             json{{"name", "status"}, {"type", "int"}, {"field-id", 0}},
                             json{{"name", "snapshot_id"}, {"type", json::array({"null", "long"})}, {"default", nullptr}, {"field-id", 1}},
                             json{{"name", "sequence_number"}, {"type", json::array({"null", "long"})}, {"default", nullptr}, {"field-id", 3}},
                             json{{"name", "file_sequence_number"}, {"type", json::array({"null", "long"})}, {"default", nullptr}, {"field-id", 4}},
                             json{{"name", "data_file"}, {"type", data_file}, {"field-id", 2}},
                         })}};
}

json ManifestListSchema() {
  json summary = {
      {"type", "record"},
      {"name", "r508"},
      {"fields", json::array({
                     Required("contains_null", "boolean", 509, "True if any file has a null partition value"),
                     Optional("contains_nan", "boolean", 518, "True if any file has a nan partition value"),
                     Optional("lower_bound", "bytes", 510, "Partition lower bound for all files"),
                     Optional("upper_bound", "bytes", 511, "Partition upper bound for all files"),
                 })}};
  return json{{"type", "record"},
              {"name", "manifest_file"},
              {"fields",
               json::array({
                   Required("manifest_path", "string", 500, "Location URI with FS scheme"),
                   Required("manifest_length", "long", 501, "Total file size in bytes"),
                   Required("partition_spec_id", "int", 502, "Spec ID used to write"),
                   Required("content", "int", 517, "Contents of the manifest: 0=data, 1=deletes"),
                   Required("sequence_number", "long", 515, "Sequence number when the manifest was added"),
                   Required("min_sequence_number", "long", 516, "Lowest sequence number in the manifest"),
                   Required("added_snapshot_id", "long", 503, "Snapshot ID that added the manifest"),
                   Required("added_files_count", "int", 504, "Added entry count"),
                   Required("existing_files_count", "int", 505, "Existing entry count"),
                   Required("deleted_files_count", "int", 506, "Deleted entry count"),
                   Required("added_rows_count", "long", 512, "Added rows count"),
                   Required("existing_rows_count", "long", 513, "Existing rows count"),
                   Required("deleted_rows_count", "long", 514, "Deleted rows count"),
                   Optional("partitions", json{{"type", "array"}, {"items", summary}, {"element-id", 508}}, 507,
                            "Summary for each partition"),
                   Optional("key_metadata", "bytes", 519, "Encryption key metadata blob"),
               })}};
}

AvroValue IntLongMap(const std::map<int32_t, int64_t>& m) {
  std::vector<AvroValue> items;
  for (const auto& [k, v] : m) items.push_back(AvroValue::Record({AvroValue::Int(k), AvroValue::Long(v)}));
  return AvroValue::Union(1, AvroValue::Array(std::move(items)));
}

AvroValue IntBytesMap(const std::map<int32_t, std::string>& m) {
  std::vector<AvroValue> items;
  for (const auto& [k, v] : m) items.push_back(AvroValue::Record({AvroValue::Int(k), AvroValue::Bytes(v)}));
  return AvroValue::Union(1, AvroValue::Array(std::move(items)));
}

AvroValue OptLong(const std::optional<int64_t>& v) {
  return v ? AvroValue::Union(1, AvroValue::Long(*v)) : AvroValue::Union(0, AvroValue::Null());
}

// Reads an Iceberg map encoded as an array of key/value records (or an Avro map for string
// keys, which Iceberg never uses for these fields).
template <typename V, typename F>
Status ReadIntMap(const AvroValue* field, std::map<int32_t, V>* out, F value_of) {
  if (field == nullptr) return Status::OK();
  const AvroValue& v = field->Unwrapped();
  if (v.is_null()) return Status::OK();
  if (v.type() != AvroType::kArray) return DataLoss("manifest map field is not an array");
  for (const auto& item : v.items()) {
    if (item.type() != AvroType::kRecord || item.fields().size() != 2 ||
        item.fields()[0].Unwrapped().type() != AvroType::kInt) {
      return DataLoss("manifest map entry is not a key/value record");
    }
    MEDLAKE_ASSIGN_OR_RETURN(V value, value_of(item.fields()[1].Unwrapped()));
    (*out)[item.fields()[0].Unwrapped().int_value()] = std::move(value);
  }
  return Status::OK();
}

Result<int64_t> LongOf(const AvroValue& v) {
  if (v.type() == AvroType::kLong) return v.long_value();
  if (v.type() == AvroType::kInt) return int64_t{v.int_value()};
  return DataLoss("expected a long in manifest");
}

Result<std::string> BytesOf(const AvroValue& v) {
  if (v.type() == AvroType::kBytes || v.type() == AvroType::kFixed) return v.bytes_value();
  return DataLoss("expected bytes in manifest");
}

// Required field lookup by Iceberg field id.
Result<const AvroValue*> Field(const AvroNode& schema, const AvroValue& record, int id,
                               const char* name) {
  const AvroValue* v = FindRecordFieldById(schema, record, id);
  if (v == nullptr) v = FindRecordField(schema, record, name);
  if (v == nullptr) return DataLoss(std::string("manifest record lacks ") + name);
  return v;
}

const AvroValue* OptionalField(const AvroNode& schema, const AvroValue& record, int id,
                               const char* name) {
  const AvroValue* v = FindRecordFieldById(schema, record, id);
  return v != nullptr ? v : FindRecordField(schema, record, name);
}

const AvroNode* RecordNodeOf(const AvroNode* node) {
  if (node == nullptr) return nullptr;
  if (node->type == AvroType::kRecord) return node;
  if (node->type == AvroType::kUnion) {
    for (const AvroNode* b : node->branches) {
      if (b->type == AvroType::kRecord) return b;
    }
  }
  return nullptr;
}

std::optional<int64_t> OptionalLong(const AvroValue* v) {
  if (v == nullptr) return std::nullopt;
  const AvroValue& u = v->Unwrapped();
  if (u.type() == AvroType::kLong) return u.long_value();
  if (u.type() == AvroType::kInt) return int64_t{u.int_value()};
  return std::nullopt;
}

Result<int64_t> RequiredLong(const AvroNode& schema, const AvroValue& record, int id, const char* name) {
  MEDLAKE_ASSIGN_OR_RETURN(const AvroValue* v, Field(schema, record, id, name));
  return LongOf(v->Unwrapped());
}

// Compares two non-null values of the same type for partition bounds.
bool Less(const Value& a, const Value& b) {
  if (a.index() != b.index()) return a.index() < b.index();
  return std::visit(
      [&b](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, std::monostate>) {
          return false;
        } else if constexpr (std::is_same_v<T, Decimal>) {
          return x.unscaled < y.unscaled;
        } else if constexpr (std::is_same_v<T, medlake::Uuid>) {
          return x.bytes() < y.bytes();
        } else if constexpr (std::is_same_v<T, FixedBytes> || std::is_same_v<T, BinaryBytes>) {
          return x.bytes < y.bytes;
        } else {
          return x < y;
        }
      },
      a);
}

}  // namespace

Result<WrittenManifest> WriteManifest(const Schema& schema, const PartitionSpec& spec,
                                      ManifestContent content, int64_t snapshot_id,
                                      const std::vector<ManifestEntry>& entries) {
  MEDLAKE_ASSIGN_OR_RETURN(Type partition_type, PartitionType(spec, schema));
  MEDLAKE_ASSIGN_OR_RETURN(json avro_json, ManifestEntrySchema(partition_type, spec));
  MEDLAKE_ASSIGN_OR_RETURN(AvroSchema avro, AvroSchema::Parse(avro_json.dump()));

  std::string spec_fields = PartitionSpecToJson(spec);
  {
    json parsed = json::parse(spec_fields, nullptr, false);
    if (parsed.is_object() && parsed.contains("fields")) spec_fields = parsed["fields"].dump();
  }
  AvroMetadata metadata = {
      {"schema", SchemaToJson(schema)},
      {"schema-id", std::to_string(schema.schema_id)},
      {"partition-spec", spec_fields},
      {"partition-spec-id", std::to_string(spec.spec_id)},
      {"format-version", "2"},
      {"content", content == ManifestContent::kData ? "data" : "deletes"},
  };
  MEDLAKE_ASSIGN_OR_RETURN(auto writer, AvroFileWriter::Make(std::move(avro), metadata));

  WrittenManifest out;
  ManifestFile& s = out.summary;
  s.partition_spec_id = spec.spec_id;
  s.content = content;
  s.added_snapshot_id = snapshot_id;
  s.min_sequence_number = INT64_MAX;
  std::vector<std::optional<Value>> lower(partition_type.fields.size()), upper(partition_type.fields.size());
  s.partitions.resize(partition_type.fields.size());

  for (const ManifestEntry& e : entries) {
    const DataFile& f = e.data_file;
    bool is_delete = f.content != DataFileContent::kData;
    if (is_delete != (content == ManifestContent::kDeletes)) {
      return InvalidArgument("a " + std::string(is_delete ? "delete" : "data") +
                             " file cannot go into a " + (is_delete ? "data" : "delete") + " manifest");
    }
    if (f.partition.size() != partition_type.fields.size()) {
      return InvalidArgument("file " + f.file_path + " has " + std::to_string(f.partition.size()) +
                             " partition values; the spec has " +
                             std::to_string(partition_type.fields.size()));
    }
    std::vector<AvroValue> partition_values;
    for (size_t i = 0; i < f.partition.size(); ++i) {
      const Type& pt = partition_type.fields[i].type;
      MEDLAKE_ASSIGN_OR_RETURN(AvroValue pv, ToAvro(pt, f.partition[i]));
      partition_values.push_back(pv.is_null() ? AvroValue::Union(0, AvroValue::Null())
                                              : AvroValue::Union(1, std::move(pv)));
      if (IsNull(f.partition[i])) {
        s.partitions[i].contains_null = true;
      } else {
        if (!lower[i] || Less(f.partition[i], *lower[i])) lower[i] = f.partition[i];
        if (!upper[i] || Less(*upper[i], f.partition[i])) upper[i] = f.partition[i];
        if (pt.id == TypeId::kFloat || pt.id == TypeId::kDouble) {
          bool nan = pt.id == TypeId::kFloat ? std::isnan(std::get<float>(f.partition[i]))
                                             : std::isnan(std::get<double>(f.partition[i]));
          if (nan) s.partitions[i].contains_nan = true;
        }
      }
    }
    std::vector<AvroValue> split_offsets, equality_ids;
    for (int64_t o : f.split_offsets) split_offsets.push_back(AvroValue::Long(o));
    for (int32_t id : f.equality_ids) equality_ids.push_back(AvroValue::Int(id));
    AvroValue data_file = AvroValue::Record({
        AvroValue::Int(static_cast<int32_t>(f.content)),
        AvroValue::String(f.file_path),
        AvroValue::String(f.file_format),
        AvroValue::Record(std::move(partition_values)),
        AvroValue::Long(f.record_count),
        AvroValue::Long(f.file_size_in_bytes),
        IntLongMap(f.column_sizes),
        IntLongMap(f.value_counts),
        IntLongMap(f.null_value_counts),
        IntLongMap(f.nan_value_counts),
        IntBytesMap(f.lower_bounds),
        IntBytesMap(f.upper_bounds),
        f.key_metadata ? AvroValue::Union(1, AvroValue::Bytes(*f.key_metadata))
                       : AvroValue::Union(0, AvroValue::Null()),
        f.split_offsets.empty() ? AvroValue::Union(0, AvroValue::Null())
                                : AvroValue::Union(1, AvroValue::Array(std::move(split_offsets))),
        f.equality_ids.empty() ? AvroValue::Union(0, AvroValue::Null())
                               : AvroValue::Union(1, AvroValue::Array(std::move(equality_ids))),
        f.sort_order_id ? AvroValue::Union(1, AvroValue::Int(*f.sort_order_id))
                        : AvroValue::Union(0, AvroValue::Null()),
        f.referenced_data_file ? AvroValue::Union(1, AvroValue::String(*f.referenced_data_file))
                               : AvroValue::Union(0, AvroValue::Null()),
    });
    AvroValue record = AvroValue::Record({
        AvroValue::Int(static_cast<int32_t>(e.status)),
        OptLong(e.snapshot_id),
        OptLong(e.sequence_number),
        OptLong(e.file_sequence_number),
        std::move(data_file),
    });
    MEDLAKE_RETURN_IF_ERROR(writer->Append(record));
    switch (e.status) {
      case ManifestEntryStatus::kAdded:
        ++s.added_files_count;
        s.added_rows_count += f.record_count;
        break;
      case ManifestEntryStatus::kExisting:
        ++s.existing_files_count;
        s.existing_rows_count += f.record_count;
        break;
      case ManifestEntryStatus::kDeleted:
        ++s.deleted_files_count;
        s.deleted_rows_count += f.record_count;
        break;
    }
    if (e.sequence_number && e.status != ManifestEntryStatus::kDeleted) {
      s.min_sequence_number = std::min(s.min_sequence_number, *e.sequence_number);
    }
  }
  for (size_t i = 0; i < s.partitions.size(); ++i) {
    const Type& pt = partition_type.fields[i].type;
    if (lower[i]) {
      MEDLAKE_ASSIGN_OR_RETURN(std::string lo, SerializeSingleValue(pt, *lower[i]));
      MEDLAKE_ASSIGN_OR_RETURN(std::string hi, SerializeSingleValue(pt, *upper[i]));
      s.partitions[i].lower_bound = std::move(lo);
      s.partitions[i].upper_bound = std::move(hi);
    }
    if (!s.partitions[i].contains_nan && (pt.id == TypeId::kFloat || pt.id == TypeId::kDouble)) {
      s.partitions[i].contains_nan = false;
    }
  }
  MEDLAKE_ASSIGN_OR_RETURN(out.bytes, writer->Finish());
  return out;
}

Result<std::vector<ManifestEntry>> ReadManifest(const std::string& bytes, const Schema& schema,
                                                const PartitionSpec& spec,
                                                const ManifestFile& list_entry) {
  MEDLAKE_ASSIGN_OR_RETURN(Type partition_type, PartitionType(spec, schema));
  MEDLAKE_ASSIGN_OR_RETURN(auto reader, AvroFileReader::Open(bytes));
  const AvroNode& root = reader->schema().root();
  if (root.type != AvroType::kRecord) return DataLoss("manifest records are not records");
  const AvroField* df_field = root.FindFieldById(2);
  if (df_field == nullptr) df_field = root.FindField("data_file");
  const AvroNode* df_node = df_field ? RecordNodeOf(df_field->type) : nullptr;
  if (df_node == nullptr) return DataLoss("manifest has no data_file record");
  const AvroField* part_field = df_node->FindFieldById(102);
  if (part_field == nullptr) part_field = df_node->FindField("partition");
  const AvroNode* part_node = part_field ? RecordNodeOf(part_field->type) : nullptr;

  std::vector<ManifestEntry> out;
  AvroValue record;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool more, reader->Next(&record));
    if (!more) break;
    ManifestEntry e;
    MEDLAKE_ASSIGN_OR_RETURN(int64_t status, RequiredLong(root, record, 0, "status"));
    if (status < 0 || status > 2) return DataLoss("manifest entry status " + std::to_string(status));
    e.status = static_cast<ManifestEntryStatus>(status);
    e.snapshot_id = OptionalLong(OptionalField(root, record, 1, "snapshot_id"));
    e.sequence_number = OptionalLong(OptionalField(root, record, 3, "sequence_number"));
    e.file_sequence_number = OptionalLong(OptionalField(root, record, 4, "file_sequence_number"));
    // Inheritance (spec "Sequence Number Inheritance", "Snapshot ID inheritance").
    if (!e.snapshot_id) e.snapshot_id = list_entry.added_snapshot_id;
    if (e.status == ManifestEntryStatus::kAdded) {
      if (!e.sequence_number) e.sequence_number = list_entry.sequence_number;
      if (!e.file_sequence_number) e.file_sequence_number = list_entry.sequence_number;
    }
    if (!e.sequence_number) e.sequence_number = list_entry.sequence_number;

    MEDLAKE_ASSIGN_OR_RETURN(const AvroValue* dfv, Field(root, record, 2, "data_file"));
    const AvroValue& df = dfv->Unwrapped();
    DataFile& f = e.data_file;
    const AvroValue* content = OptionalField(*df_node, df, 134, "content");
    int64_t content_value = content ? OptionalLong(content).value_or(0) : 0;
    if (content_value < 0 || content_value > 2) return DataLoss("data file content out of range");
    f.content = static_cast<DataFileContent>(content_value);
    MEDLAKE_ASSIGN_OR_RETURN(const AvroValue* path, Field(*df_node, df, 100, "file_path"));
    if (path->Unwrapped().type() != AvroType::kString) return DataLoss("file_path is not a string");
    f.file_path = path->Unwrapped().bytes_value();
    if (const AvroValue* fmt = OptionalField(*df_node, df, 101, "file_format")) {
      if (fmt->Unwrapped().type() == AvroType::kString) f.file_format = fmt->Unwrapped().bytes_value();
    }
    MEDLAKE_ASSIGN_OR_RETURN(f.record_count, RequiredLong(*df_node, df, 103, "record_count"));
    MEDLAKE_ASSIGN_OR_RETURN(f.file_size_in_bytes, RequiredLong(*df_node, df, 104, "file_size_in_bytes"));
    MEDLAKE_RETURN_IF_ERROR(ReadIntMap(OptionalField(*df_node, df, 108, "column_sizes"), &f.column_sizes, LongOf));
    MEDLAKE_RETURN_IF_ERROR(ReadIntMap(OptionalField(*df_node, df, 109, "value_counts"), &f.value_counts, LongOf));
    MEDLAKE_RETURN_IF_ERROR(ReadIntMap(OptionalField(*df_node, df, 110, "null_value_counts"), &f.null_value_counts, LongOf));
    MEDLAKE_RETURN_IF_ERROR(ReadIntMap(OptionalField(*df_node, df, 137, "nan_value_counts"), &f.nan_value_counts, LongOf));
    MEDLAKE_RETURN_IF_ERROR(ReadIntMap(OptionalField(*df_node, df, 125, "lower_bounds"), &f.lower_bounds, BytesOf));
    MEDLAKE_RETURN_IF_ERROR(ReadIntMap(OptionalField(*df_node, df, 128, "upper_bounds"), &f.upper_bounds, BytesOf));
    if (const AvroValue* eq = OptionalField(*df_node, df, 135, "equality_ids")) {
      const AvroValue& u = eq->Unwrapped();
      if (u.type() == AvroType::kArray) {
        for (const auto& item : u.items()) {
          if (item.Unwrapped().type() != AvroType::kInt) return DataLoss("equality id is not an int");
          f.equality_ids.push_back(item.Unwrapped().int_value());
        }
      }
    }
    if (const AvroValue* so = OptionalField(*df_node, df, 132, "split_offsets")) {
      const AvroValue& u = so->Unwrapped();
      if (u.type() == AvroType::kArray) {
        for (const auto& item : u.items()) {
          MEDLAKE_ASSIGN_OR_RETURN(int64_t o, LongOf(item.Unwrapped()));
          f.split_offsets.push_back(o);
        }
      }
    }
    if (const AvroValue* so = OptionalField(*df_node, df, 140, "sort_order_id")) {
      if (auto v = OptionalLong(so)) f.sort_order_id = static_cast<int32_t>(*v);
    }
    if (const AvroValue* r = OptionalField(*df_node, df, 143, "referenced_data_file")) {
      if (r->Unwrapped().type() == AvroType::kString) f.referenced_data_file = r->Unwrapped().bytes_value();
    }
    // Partition tuple, matched to the spec by partition field id.
    f.partition.assign(partition_type.fields.size(), Value());
    if (!partition_type.fields.empty()) {
      if (part_node == nullptr) return DataLoss("manifest lacks the partition record");
      MEDLAKE_ASSIGN_OR_RETURN(const AvroValue* pv, Field(*df_node, df, 102, "partition"));
      for (size_t i = 0; i < partition_type.fields.size(); ++i) {
        const NestedField& pf = partition_type.fields[i];
        const AvroValue* v = FindRecordFieldById(*part_node, pv->Unwrapped(), pf.id);
        if (v == nullptr) v = FindRecordField(*part_node, pv->Unwrapped(), pf.name);
        if (v == nullptr) continue;  // a field the file's spec did not have: null
        MEDLAKE_ASSIGN_OR_RETURN(f.partition[i], FromAvro(pf.type, *v));
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::string> WriteManifestList(const std::vector<ManifestFile>& manifests,
                                      int64_t snapshot_id, std::optional<int64_t> parent_id,
                                      int64_t sequence_number) {
  MEDLAKE_ASSIGN_OR_RETURN(AvroSchema avro, AvroSchema::Parse(ManifestListSchema().dump()));
  AvroMetadata metadata = {
      {"snapshot-id", std::to_string(snapshot_id)},
      {"parent-snapshot-id", parent_id ? std::to_string(*parent_id) : "null"},
      {"sequence-number", std::to_string(sequence_number)},
      {"format-version", "2"},
  };
  MEDLAKE_ASSIGN_OR_RETURN(auto writer, AvroFileWriter::Make(std::move(avro), metadata));
  for (const ManifestFile& m : manifests) {
    std::vector<AvroValue> parts;
    for (const auto& p : m.partitions) {
      parts.push_back(AvroValue::Record({
          AvroValue::Boolean(p.contains_null),
          p.contains_nan ? AvroValue::Union(1, AvroValue::Boolean(*p.contains_nan))
                         : AvroValue::Union(0, AvroValue::Null()),
          p.lower_bound ? AvroValue::Union(1, AvroValue::Bytes(*p.lower_bound))
                        : AvroValue::Union(0, AvroValue::Null()),
          p.upper_bound ? AvroValue::Union(1, AvroValue::Bytes(*p.upper_bound))
                        : AvroValue::Union(0, AvroValue::Null()),
      }));
    }
    AvroValue record = AvroValue::Record({
        AvroValue::String(m.manifest_path),
        AvroValue::Long(m.manifest_length),
        AvroValue::Int(m.partition_spec_id),
        AvroValue::Int(static_cast<int32_t>(m.content)),
        AvroValue::Long(m.sequence_number),
        AvroValue::Long(m.min_sequence_number),
        AvroValue::Long(m.added_snapshot_id),
        AvroValue::Int(m.added_files_count),
        AvroValue::Int(m.existing_files_count),
        AvroValue::Int(m.deleted_files_count),
        AvroValue::Long(m.added_rows_count),
        AvroValue::Long(m.existing_rows_count),
        AvroValue::Long(m.deleted_rows_count),
        AvroValue::Union(1, AvroValue::Array(std::move(parts))),
        m.key_metadata ? AvroValue::Union(1, AvroValue::Bytes(*m.key_metadata))
                       : AvroValue::Union(0, AvroValue::Null()),
    });
    MEDLAKE_RETURN_IF_ERROR(writer->Append(record));
  }
  return writer->Finish();
}

Result<std::vector<ManifestFile>> ReadManifestList(const std::string& bytes) {
  MEDLAKE_ASSIGN_OR_RETURN(auto reader, AvroFileReader::Open(bytes));
  const AvroNode& root = reader->schema().root();
  if (root.type != AvroType::kRecord) return DataLoss("manifest list records are not records");
  std::vector<ManifestFile> out;
  AvroValue r;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool more, reader->Next(&r));
    if (!more) break;
    ManifestFile m;
    MEDLAKE_ASSIGN_OR_RETURN(const AvroValue* path, Field(root, r, 500, "manifest_path"));
    if (path->Unwrapped().type() != AvroType::kString) return DataLoss("manifest_path is not a string");
    m.manifest_path = path->Unwrapped().bytes_value();
    MEDLAKE_ASSIGN_OR_RETURN(m.manifest_length, RequiredLong(root, r, 501, "manifest_length"));
    MEDLAKE_ASSIGN_OR_RETURN(int64_t spec_id, RequiredLong(root, r, 502, "partition_spec_id"));
    m.partition_spec_id = static_cast<int32_t>(spec_id);
    m.content = static_cast<ManifestContent>(OptionalLong(OptionalField(root, r, 517, "content")).value_or(0));
    m.sequence_number = OptionalLong(OptionalField(root, r, 515, "sequence_number")).value_or(0);
    m.min_sequence_number = OptionalLong(OptionalField(root, r, 516, "min_sequence_number")).value_or(0);
    MEDLAKE_ASSIGN_OR_RETURN(m.added_snapshot_id, RequiredLong(root, r, 503, "added_snapshot_id"));
    m.added_files_count = static_cast<int32_t>(OptionalLong(OptionalField(root, r, 504, "added_files_count")).value_or(0));
    m.existing_files_count = static_cast<int32_t>(OptionalLong(OptionalField(root, r, 505, "existing_files_count")).value_or(0));
    m.deleted_files_count = static_cast<int32_t>(OptionalLong(OptionalField(root, r, 506, "deleted_files_count")).value_or(0));
    m.added_rows_count = OptionalLong(OptionalField(root, r, 512, "added_rows_count")).value_or(0);
    m.existing_rows_count = OptionalLong(OptionalField(root, r, 513, "existing_rows_count")).value_or(0);
    m.deleted_rows_count = OptionalLong(OptionalField(root, r, 514, "deleted_rows_count")).value_or(0);
    if (const AvroValue* parts = OptionalField(root, r, 507, "partitions")) {
      const AvroValue& u = parts->Unwrapped();
      if (u.type() == AvroType::kArray) {
        for (const auto& item : u.items()) {
          const AvroValue& p = item.Unwrapped();
          if (p.type() != AvroType::kRecord || p.fields().size() < 1) return DataLoss("bad partition summary");
          PartitionFieldSummary s;
          s.contains_null = p.fields()[0].Unwrapped().type() == AvroType::kBoolean &&
                            p.fields()[0].Unwrapped().bool_value();
          // Optional members, by position as in the spec (contains_nan, lower, upper).
          for (size_t k = 1; k < p.fields().size(); ++k) {
            const AvroValue& fv = p.fields()[k].Unwrapped();
            if (fv.type() == AvroType::kBoolean) s.contains_nan = fv.bool_value();
          }
          if (p.fields().size() >= 4) {
            const AvroValue& lo = p.fields()[p.fields().size() - 2].Unwrapped();
            const AvroValue& hi = p.fields()[p.fields().size() - 1].Unwrapped();
            if (lo.type() == AvroType::kBytes) s.lower_bound = lo.bytes_value();
            if (hi.type() == AvroType::kBytes) s.upper_bound = hi.bytes_value();
          } else if (p.fields().size() == 3) {
            const AvroValue& lo = p.fields()[1].Unwrapped();
            const AvroValue& hi = p.fields()[2].Unwrapped();
            if (lo.type() == AvroType::kBytes) s.lower_bound = lo.bytes_value();
            if (hi.type() == AvroType::kBytes) s.upper_bound = hi.bytes_value();
          }
          m.partitions.push_back(std::move(s));
        }
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace medlake::storage::iceberg
