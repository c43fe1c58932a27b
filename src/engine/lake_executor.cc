#include "engine/lake_executor.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "core/crypto.h"
#include "core/logging.h"
#include "core/uuid.h"
#include "engine/iceberg_sql_types.h"
#include "engine/key_index_sql.h"
#include "engine/lake_resolver.h"
#include "engine/parquet_writer.h"
#include "engine/scan_sql.h"
#include "engine/sql_lexer.h"
#include "storage/iceberg/metadata_file.h"
#include "storage/iceberg/partition.h"
#include "storage/iceberg/single_value.h"
#include "storage/iceberg/transform.h"
#include "storage/iceberg/types.h"
#include "storage/maintenance.h"
#include "storage/table.h"

namespace medlake::engine {

namespace ib = storage::iceberg;

namespace {

// Field ids of position delete files (Iceberg spec "Position Delete Files").
constexpr int kDeleteFilePathId = 2147483546;
constexpr int kDeletePosId = 2147483545;
// Bounds of strings are truncated to this many code points (Iceberg's default metrics mode).
constexpr size_t kStringBoundLength = 16;

Result<std::string> DuckType(const ib::Type& t) { return IcebergTypeToDuckDb(ib::TypeToJson(t)); }

ParquetField ToParquetField(const ib::NestedField& f, const std::string& name) {
  ParquetField p{name, f.id, {}};
  for (const auto& c : f.type.fields) p.children.push_back(ToParquetField(c, c.name));
  return p;
}

Result<std::vector<ColumnInfo>> QueryColumns(Connection& conn, const std::string& query) {
  MEDLAKE_ASSIGN_OR_RETURN(auto r, conn.Query("SELECT * FROM (" + query + ") AS __q LIMIT 0", false));
  return r->columns();
}

Result<ib::Schema> SchemaFromColumns(const std::vector<ColumnInfo>& cols,
                                     const std::set<std::string>& not_null) {
  ib::Schema schema;
  std::set<std::string> seen;
  int next_nested = static_cast<int>(cols.size()) + 1;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (!seen.insert(cols[i].name).second) {
      return InvalidArgument("column " + cols[i].name + " appears twice");
    }
    MEDLAKE_ASSIGN_OR_RETURN(std::string type_json, DuckDbTypeToIceberg(cols[i].type_name, &next_nested));
    MEDLAKE_ASSIGN_OR_RETURN(ib::Type type, ib::ParseTypeJson(type_json));
    ib::NestedField f;
    f.id = static_cast<int32_t>(i + 1);
    f.name = cols[i].name;
    f.required = not_null.count(cols[i].name) > 0;
    f.type = std::move(type);
    schema.fields.push_back(std::move(f));
  }
  return schema;
}

std::string PartitionFieldName(const std::string& column, const ib::Transform& t) {
  switch (t.kind) {
    case ib::TransformKind::kIdentity: return column;
    case ib::TransformKind::kBucket: return column + "_bucket";
    case ib::TransformKind::kTruncate: return column + "_trunc";
    case ib::TransformKind::kYear: return column + "_year";
    case ib::TransformKind::kMonth: return column + "_month";
    case ib::TransformKind::kDay: return column + "_day";
    case ib::TransformKind::kHour: return column + "_hour";
    default: return column + "_part";
  }
}

Result<ib::PartitionSpec> SpecFromClauses(const std::vector<PartitionClause>& clauses,
                                          const ib::Schema& schema) {
  ib::PartitionSpec spec;
  std::set<std::string> names;
  int32_t next = ib::kPartitionDataIdStart;
  for (const auto& c : clauses) {
    const ib::NestedField* source = ib::FindFieldByName(schema, c.column);
    if (source == nullptr) return InvalidArgument("PARTITIONED BY names unknown column " + c.column);
    MEDLAKE_ASSIGN_OR_RETURN(ib::Transform t, ib::ParseTransform(c.transform));
    auto result_type = ib::TransformResultType(t, source->type);
    if (!result_type.ok()) {
      return InvalidArgument("cannot partition by " + c.transform + "(" + c.column + "): " +
                             result_type.status().message());
    }
    ib::PartitionField pf{source->id, next++, PartitionFieldName(c.column, t), t};
    if (!names.insert(pf.name).second) return InvalidArgument("duplicate partition field " + pf.name);
    spec.fields.push_back(std::move(pf));
  }
  return spec;
}

// SQL computing the partition value of `column` (of Iceberg type `type`) as text with a marker:
// 'N' for null, 'V' followed by the value in its physical form otherwise. DuckDB writes
// Hive-style directories from these keys; the marker keeps NULL apart from the string 'NULL'.
Result<std::string> PartitionKeySql(const ib::Transform& t, const ib::Type& type,
                                    const std::string& column) {
  std::string c = QuoteIdentifier(column);
  std::string e;
  bool temporal = type.id == ib::TypeId::kDate || type.id == ib::TypeId::kTimestamp ||
                  type.id == ib::TypeId::kTimestampTz;
  auto floor_div = [](const std::string& x, const std::string& d) {
    return "((" + x + ") - (((" + x + ") % " + d + ") + " + d + ") % " + d + ") // " + d;
  };
  switch (t.kind) {
    case ib::TransformKind::kIdentity:
      switch (type.id) {
        case ib::TypeId::kDate: e = "(" + c + " - DATE '1970-01-01')"; break;
        case ib::TypeId::kTimestamp:
        case ib::TypeId::kTimestampTz: e = "epoch_us(" + c + ")"; break;
        case ib::TypeId::kInt:
        case ib::TypeId::kLong:
        case ib::TypeId::kString:
        case ib::TypeId::kBoolean:
        case ib::TypeId::kDecimal: e = c; break;
        default:
          return Unimplemented("writing tables partitioned by identity of " + ib::TypeToString(type));
      }
      break;
    case ib::TransformKind::kYear:
      if (!temporal) return InvalidArgument("year() needs a date or timestamp");
      e = "(year(" + c + ") - 1970)";
      break;
    case ib::TransformKind::kMonth:
      if (!temporal) return InvalidArgument("month() needs a date or timestamp");
      e = "((year(" + c + ") - 1970) * 12 + month(" + c + ") - 1)";
      break;
    case ib::TransformKind::kDay:
      if (type.id == ib::TypeId::kDate) {
        e = "(" + c + " - DATE '1970-01-01')";
      } else if (temporal) {
        e = floor_div("epoch_us(" + c + ")", "86400000000");
      } else {
        return InvalidArgument("day() needs a date or timestamp");
      }
      break;
    case ib::TransformKind::kHour:
      if (type.id != ib::TypeId::kTimestamp && type.id != ib::TypeId::kTimestampTz) {
        return InvalidArgument("hour() needs a timestamp");
      }
      e = floor_div("epoch_us(" + c + ")", "3600000000");
      break;
    case ib::TransformKind::kTruncate: {
      std::string w = std::to_string(t.param);
      // v - (((v % W) + W) % W), wrapped around as Java's int/long arithmetic does near the
      // smallest values (Iceberg's reference; storage::ApplyTransform agrees), where DuckDB would
      // stop the write with an overflow error.
      const std::string rem = "(((" + c + " % " + w + ") + " + w + ") % " + w + ")";
      if (type.id == ib::TypeId::kInt) {
        e = "CAST((((CAST(" + c + " AS BIGINT) - " + rem + " + 2147483648) % 4294967296 + 4294967296) % 4294967296) - "
            "2147483648 AS INTEGER)";
      } else if (type.id == ib::TypeId::kLong) {
        e = "CAST((((CAST(" + c + " AS HUGEINT) - " + rem + " + 9223372036854775808) % 18446744073709551616 + "
            "18446744073709551616) % 18446744073709551616) - 9223372036854775808 AS BIGINT)";
      } else if (type.id == ib::TypeId::kString) {
        e = "left(" + c + ", " + w + ")";
      } else {
        return Unimplemented("writing tables partitioned by truncate of " + ib::TypeToString(type));
      }
      break;
    }
    case ib::TransformKind::kBucket: {
      std::string n = std::to_string(t.param);
      switch (type.id) {
        case ib::TypeId::kInt:
        case ib::TypeId::kLong: e = "medlake_bucket_long(CAST(" + c + " AS BIGINT), " + n + ")"; break;
        case ib::TypeId::kDate:
          e = "medlake_bucket_long(CAST(" + c + " - DATE '1970-01-01' AS BIGINT), " + n + ")";
          break;
        case ib::TypeId::kTimestamp:
        case ib::TypeId::kTimestampTz: e = "medlake_bucket_long(epoch_us(" + c + "), " + n + ")"; break;
        case ib::TypeId::kString: e = "medlake_bucket_string(" + c + ", " + n + ")"; break;
        case ib::TypeId::kBinary:
        case ib::TypeId::kFixed: e = "medlake_bucket_blob(" + c + ", " + n + ")"; break;
        case ib::TypeId::kUuid:
          e = "medlake_bucket_blob(from_hex(replace(CAST(" + c + " AS VARCHAR), '-', '')), " + n + ")";
          break;
        default:
          return Unimplemented("writing tables partitioned by bucket of " + ib::TypeToString(type));
      }
      break;
    }
    case ib::TransformKind::kVoid: e = "NULL"; break;
    default: return Unimplemented("unknown partition transform");
  }
  return "CASE WHEN (" + e + ") IS NULL THEN 'N' ELSE 'V' || CAST((" + e + ") AS VARCHAR) END";
}

Result<ib::Value> ParsePartitionKey(const std::string& key, const ib::Type& result_type) {
  if (key == "N") return ib::Value();
  if (key.empty() || key[0] != 'V') return Internal("unexpected partition key");
  std::string v = key.substr(1);
  char* end = nullptr;
  switch (result_type.id) {
    case ib::TypeId::kInt:
    case ib::TypeId::kDate: {
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (*end != '\0') return Internal("bad partition key " + key);
      return ib::Value(static_cast<int32_t>(x));
    }
    case ib::TypeId::kLong:
    case ib::TypeId::kTimestamp:
    case ib::TypeId::kTimestampTz: {
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (*end != '\0') return Internal("bad partition key " + key);
      return ib::Value(static_cast<int64_t>(x));
    }
    case ib::TypeId::kString: return ib::Value(v);
    case ib::TypeId::kBoolean: return ib::Value(v == "true");
    case ib::TypeId::kDecimal: {
      MEDLAKE_ASSIGN_OR_RETURN(ib::Decimal d, ib::ParseDecimal(v));
      return ib::Value(d);
    }
    default: return Unimplemented("partition value type " + ib::TypeToString(result_type));
  }
}

// Iceberg's column metrics modes (write.metadata.metrics.*): what a data file's manifest entry
// records about a column.
struct MetricsMode {
  enum class Kind { kNone, kCounts, kTruncate, kFull };
  Kind kind = Kind::kTruncate;
  size_t length = kStringBoundLength;  // kTruncate: code points kept of string bounds
};

Result<MetricsMode> ParseMetricsMode(const std::string& key, const std::string& value) {
  std::string v;
  for (char c : value) {
    if (c != ' ') v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  MetricsMode m;
  if (v == "none") {
    m.kind = MetricsMode::Kind::kNone;
  } else if (v == "counts") {
    m.kind = MetricsMode::Kind::kCounts;
  } else if (v == "full") {
    m.kind = MetricsMode::Kind::kFull;
  } else if (v.rfind("truncate(", 0) == 0 && v.size() > 10 && v.back() == ')') {
    std::string n = v.substr(9, v.size() - 10);
    char* end = nullptr;
    long len = std::strtol(n.c_str(), &end, 10);
    if (n.empty() || *end != '\0' || len < 1 || len > 1024) {
      return InvalidArgument("table property " + key + " = '" + value + "': truncate length must be 1 to 1024");
    }
    m.length = static_cast<size_t>(len);
  } else {
    return InvalidArgument("table property " + key + " = '" + value +
                           "' is not one of none, counts, truncate(N), full");
  }
  return m;
}

constexpr const char* kMetricsDefault = "write.metadata.metrics.default";
constexpr const char* kMetricsColumnPrefix = "write.metadata.metrics.column.";

// The metrics modes of a table's columns under its properties: `columns` for the top-level
// columns of `schema`, `fallback` (write.metadata.metrics.default, else Iceberg's truncate(16))
// for nested fields. Without a property for it, the leading column of the table's sort order is
// kept in full (keys often share a long prefix, which truncated bounds could not tell apart, and
// that column is the one lookups prune files by).
struct MetricsModes {
  std::map<int, MetricsMode> columns;
  MetricsMode fallback;
};

Result<MetricsModes> ColumnMetricsModes(const ib::TableMetadata& metadata, const ib::Schema& schema) {
  MetricsModes out;
  if (auto it = metadata.properties.find(kMetricsDefault); it != metadata.properties.end()) {
    MEDLAKE_ASSIGN_OR_RETURN(out.fallback, ParseMetricsMode(it->first, it->second));
  }
  const ib::SortOrder* order = ib::DefaultSortOrder(metadata);
  const int sort_leader = order != nullptr ? order->fields.front().source_id : 0;
  for (const auto& f : schema.fields) {
    auto it = metadata.properties.find(kMetricsColumnPrefix + f.name);
    if (it != metadata.properties.end()) {
      MEDLAKE_ASSIGN_OR_RETURN(out.columns[f.id], ParseMetricsMode(it->first, it->second));
    } else if (f.id == sort_leader) {
      out.columns[f.id].kind = MetricsMode::Kind::kFull;
    } else {
      out.columns[f.id] = out.fallback;
    }
  }
  return out;
}

// Converts DuckDB's text of a min/max statistic to an Iceberg bound (single-value binary);
// nullopt when there is no safe bound (the file is then never pruned on that column). String
// bounds are cut to `string_length` code points (0: kept whole).
std::optional<std::string> BoundFromText(const ib::Type& type, const std::string& text, bool upper,
                                         size_t string_length = kStringBoundLength) {
  char* end = nullptr;
  ib::Value v;
  switch (type.id) {
    case ib::TypeId::kBoolean:
      if (text != "true" && text != "false") return std::nullopt;
      v = ib::Value(text == "true");
      break;
    case ib::TypeId::kInt: {
      long long x = std::strtoll(text.c_str(), &end, 10);
      if (*end != '\0') return std::nullopt;
      v = ib::Value(static_cast<int32_t>(x));
      break;
    }
    case ib::TypeId::kLong: {
      long long x = std::strtoll(text.c_str(), &end, 10);
      if (*end != '\0') return std::nullopt;
      v = ib::Value(static_cast<int64_t>(x));
      break;
    }
    case ib::TypeId::kFloat:
    case ib::TypeId::kDouble: {
      double x = std::strtod(text.c_str(), &end);
      if (*end != '\0' || std::isnan(x)) return std::nullopt;
      if (type.id == ib::TypeId::kFloat) {
        v = ib::Value(static_cast<float>(x));
      } else {
        v = ib::Value(x);
      }
      break;
    }
    case ib::TypeId::kDecimal: {
      auto d = ib::ParseDecimal(text);
      if (!d.ok() || d->scale != type.scale) return std::nullopt;
      v = ib::Value(*d);
      break;
    }
    case ib::TypeId::kDate: {
      auto ms = ParseTimestampMillis(text);
      if (!ms.ok()) return std::nullopt;
      v = ib::Value(static_cast<int32_t>(*ms / 86'400'000));
      break;
    }
    case ib::TypeId::kTimestamp:
    case ib::TypeId::kTimestampTz: {
      auto micros = ParseTimestampMicros(text);
      if (!micros.ok()) return std::nullopt;
      v = ib::Value(*micros);
      break;
    }
    case ib::TypeId::kString: {
      // Truncate to 16 code points; an upper bound then needs its last code point incremented.
      std::vector<size_t> starts;
      for (size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
      }
      if (string_length == 0 || starts.size() <= string_length) {
        v = ib::Value(text);
        break;
      }
      std::string prefix = text.substr(0, starts[string_length]);
      if (!upper) {
        v = ib::Value(prefix);
        break;
      }
      // Increment the last ASCII character; give up on non-ASCII endings (no bound).
      unsigned char last = static_cast<unsigned char>(prefix.back());
      if (last >= 0x7F) return std::nullopt;
      prefix.back() = static_cast<char>(last + 1);
      v = ib::Value(prefix);
      break;
    }
    default: return std::nullopt;
  }
  auto bytes = ib::SerializeSingleValue(type, v);
  if (!bytes.ok()) return std::nullopt;
  return *bytes;
}

// Iceberg's write.parquet.compression-codec values and DuckDB's names for them.
Result<std::string> ParquetCodec(const std::string& value) {
  std::string v;
  for (char c : value) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "zstd" || v == "snappy" || v == "gzip" || v == "uncompressed" || v == "brotli") return v;
  if (v == "lz4" || v == "lz4_raw") return std::string("lz4_raw");
  return InvalidArgument("table property write.parquet.compression-codec = '" + value +
                         "' is not one of zstd, snappy, gzip, lz4, brotli, uncompressed");
}

Result<int> ParquetCompressionLevel(const std::string& value) {
  char* end = nullptr;
  long level = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || level < 1 || level > 22) {
    return InvalidArgument("table property write.parquet.compression-level = '" + value +
                           "' is not a level from 1 to 22");
  }
  return static_cast<int>(level);
}

// An identity sort order on `keys` (current columns of `schema`, by exact name). NotFound for a
// missing column, InvalidArgument for a nested one.
Result<ib::SortOrder> SortOrderOn(const ib::Schema& schema, const std::vector<AlterAction::OrderKey>& keys,
                                  const std::string& table) {
  ib::SortOrder order;
  for (const auto& key : keys) {
    const ib::NestedField* field = nullptr;
    for (const auto& f : schema.fields) {
      if (f.name == key.column) field = &f;
    }
    if (field == nullptr) return NotFound("Binder Error: table " + table + " has no column " + key.column);
    if (!field->type.is_primitive()) {
      return InvalidArgument("a write order needs primitive columns; " + key.column + " is not");
    }
    ib::SortField sf;
    sf.transform = ib::Transform::Identity();
    sf.source_id = field->id;
    sf.direction = key.descending ? ib::SortDirection::kDesc : ib::SortDirection::kAsc;
    sf.null_order = key.nulls_last ? ib::NullOrder::kNullsLast : ib::NullOrder::kNullsFirst;
    order.fields.push_back(sf);
  }
  return order;
}

constexpr const char* kTargetFileSize = "write.target-file-size-bytes";
constexpr const char* kRowGroupRows = "medlake.write.parquet.row-group-rows";

Result<int64_t> TargetFileSize(const std::string& value) {
  return storage::IntegerTableProperty(kTargetFileSize, value, 1 << 20, int64_t{1} << 40);
}
Result<int64_t> RowGroupRows(const std::string& value) { return storage::IntegerTableProperty(kRowGroupRows, value, 2048, 10'000'000); }
// Layout of tables with a sort order, unless their properties set it (bench/README.md section 9).
constexpr int64_t kSortedFileBytes = 64LL * 1024 * 1024;
constexpr int64_t kSortedRowGroupRows = 16384;

}  // namespace

Status CheckWriteProperty(const std::string& key, const std::string& value) {
  if (key == "write.parquet.compression-codec") return ParquetCodec(value).status();
  if (key == "write.parquet.compression-level") return ParquetCompressionLevel(value).status();
  if (key == kTargetFileSize) return TargetFileSize(value).status();
  if (key == kRowGroupRows) return RowGroupRows(value).status();
  if (key == storage::kManifestMergeEnabled || key == storage::kManifestMinCountToMerge ||
      key == storage::kManifestTargetSize) {
    return storage::ManifestMergePolicyOf({{key, value}}).status();
  }
  if (key == ib::kMetadataCompressionCodec) return ib::MetadataCodecOf({{key, value}}).status();
  if (key == kMetricsDefault || key.rfind(kMetricsColumnPrefix, 0) == 0) return ParseMetricsMode(key, value).status();
  if (key == kKeyIndexProperty) {
    if (value != "true" && value != "false") return InvalidArgument("table property " + key + " is 'true' or 'false'");
    return Status::OK();
  }
  if (key.rfind("medlake.", 0) == 0) {
    return InvalidArgument("table property " + key + " is maintained by medlake and cannot be set");
  }
  return Status::OK();
}

namespace {

struct WriteTarget {
  const storage::LakeTable* table;
  const ib::Schema* schema;
  const ib::PartitionSpec* spec;
};

// Writes the rows of `query` (columns in table order, already cast) as data files.
Result<std::vector<ib::DataFile>> WriteDataFiles(const LakeExecutorContext& ctx,
                                                 const WriteTarget& target,
                                                 const std::string& query) {
  const ib::Schema& schema = *target.schema;
  std::vector<ParquetField> fields;
  for (const auto& f : schema.fields) fields.push_back(ToParquetField(f, f.name));

  MEDLAKE_ASSIGN_OR_RETURN(Uuid batch, Uuid::RandomV4());
  std::string data_dir = JoinPath(target.table->local_root(), "data");
  ParquetWriteOptions options;
  options.target_file_size_bytes = ctx.target_file_size_bytes;
  options.file_prefix = "data-" + batch.ToString().substr(0, 8);
  const auto& properties = target.table->metadata().properties;
  if (auto it = properties.find(kTargetFileSize); it != properties.end()) {
    MEDLAKE_ASSIGN_OR_RETURN(options.target_file_size_bytes, TargetFileSize(it->second));
  }
  if (auto it = properties.find(kRowGroupRows); it != properties.end()) {
    MEDLAKE_ASSIGN_OR_RETURN(options.row_group_rows, RowGroupRows(it->second));
  }
  if (auto it = properties.find("write.parquet.compression-codec"); it != properties.end()) {
    MEDLAKE_ASSIGN_OR_RETURN(options.compression, ParquetCodec(it->second));
  }
  // DuckDB takes a level for zstd only; for the other codecs the property is ignored.
  if (auto it = properties.find("write.parquet.compression-level");
      it != properties.end() && options.compression == "zstd") {
    MEDLAKE_ASSIGN_OR_RETURN(options.compression_level, ParquetCompressionLevel(it->second));
  }
  // Iceberg Java writes the schema into each file; some readers map columns by it.
  options.kv_metadata["iceberg.schema"] = ib::SchemaToJson(schema);
  std::string sql = query;
  // The table's default sort order (identity fields of current columns): rows are written in
  // that order, so each file's row groups hold narrow ranges of the leading column.
  std::string order_by;
  if (const ib::SortOrder* order = ib::DefaultSortOrder(target.table->metadata())) {
    for (const auto& sf : order->fields) {
      const ib::NestedField* field = ib::FindFieldById(schema, sf.source_id);
      if (field == nullptr || sf.transform.kind != ib::TransformKind::kIdentity) {
        order_by.clear();
        break;
      }
      order_by += (order_by.empty() ? "" : ", ") + QuoteIdentifier(field->name) +
                  (sf.direction == ib::SortDirection::kDesc ? " DESC" : " ASC") +
                  (sf.null_order == ib::NullOrder::kNullsLast ? " NULLS LAST" : " NULLS FIRST");
    }
  }
  if (!order_by.empty()) {
    sql = "SELECT * FROM (" + query + ") AS __unsorted ORDER BY " + order_by;
    // A sorted table is laid out for lookups by its leading sort column unless its properties
    // say otherwise: files of at most kSortedFileBytes, whose bounds prune the others, and small
    // row groups, so that a lookup decodes a few thousand rows rather than 122,880.
    if (!properties.count(kTargetFileSize)) {
      options.target_file_size_bytes = std::min<int64_t>(options.target_file_size_bytes, kSortedFileBytes);
    }
    if (!properties.count(kRowGroupRows)) options.row_group_rows = kSortedRowGroupRows;
  }
  std::vector<ib::Type> result_types;
  if (!target.spec->is_unpartitioned()) {
    std::string keys;
    for (size_t i = 0; i < target.spec->fields.size(); ++i) {
      const auto& pf = target.spec->fields[i];
      const ib::NestedField* source = ib::FindFieldById(schema, pf.source_id);
      if (source == nullptr) return FailedPrecondition("partition source column was dropped");
      MEDLAKE_ASSIGN_OR_RETURN(std::string key, PartitionKeySql(pf.transform, source->type, source->name));
      MEDLAKE_ASSIGN_OR_RETURN(ib::Type rt, ib::TransformResultType(pf.transform, source->type));
      result_types.push_back(std::move(rt));
      keys += ", " + key + " AS __p" + std::to_string(i);
      options.partition_columns.push_back("__p" + std::to_string(i));
    }
    sql = "SELECT *" + keys + " FROM (" + sql + ") AS __rows";
    options.directory = JoinPath(data_dir, ".staging-" + batch.ToString());
  } else {
    options.directory = data_dir;
  }
  MEDLAKE_ASSIGN_OR_RETURN(auto written, WriteParquetFiles(*ctx.connection, sql, fields, options));

  std::map<int, const ib::NestedField*> top_level;
  for (const auto& f : schema.fields) top_level[f.id] = &f;
  std::map<int, const ib::Type*> primitive;
  std::function<void(const ib::NestedField&)> collect = [&](const ib::NestedField& f) {
    if (f.type.is_primitive()) primitive[f.id] = &f.type;
    for (const auto& c : f.type.fields) collect(c);
  };
  for (const auto& f : schema.fields) collect(f);

  MEDLAKE_ASSIGN_OR_RETURN(MetricsModes modes, ColumnMetricsModes(target.table->metadata(), schema));
  std::vector<ib::DataFile> out;
  for (WrittenFile& w : written) {
    ib::DataFile df;
    df.record_count = w.record_count;
    df.file_size_in_bytes = w.file_size_bytes;
    if (!target.spec->is_unpartitioned()) {
      for (size_t i = 0; i < target.spec->fields.size(); ++i) {
        auto key = w.partition_keys.find("__p" + std::to_string(i));
        if (key == w.partition_keys.end()) return Internal("partition key missing from written file");
        MEDLAKE_ASSIGN_OR_RETURN(ib::Value pv, ParsePartitionKey(key->second, result_types[i]));
        df.partition.push_back(std::move(pv));
      }
      MEDLAKE_ASSIGN_OR_RETURN(std::string rel, ib::PartitionToPath(*target.spec, schema, df.partition));
      std::string dir = JoinPath(data_dir, rel);
      MEDLAKE_RETURN_IF_ERROR(ctx.fs->CreateDirectories(dir));
      std::string final_path = JoinPath(dir, std::string(Basename(w.path)));
      MEDLAKE_RETURN_IF_ERROR(ctx.fs->Rename(w.path, final_path));
      df.file_path = final_path;
    } else {
      df.file_path = w.path;
    }
    for (const auto& [id, stats] : w.stats) {
      // Nested fields follow the default mode (they are not named by column properties).
      auto mode_it = modes.columns.find(id);
      const MetricsMode mode = mode_it == modes.columns.end() ? modes.fallback : mode_it->second;
      if (mode.kind == MetricsMode::Kind::kNone) continue;
      df.column_sizes[id] = stats.column_size_bytes;
      if (stats.null_count) df.null_value_counts[id] = *stats.null_count;
      // A count is known only when there is none: DuckDB tells whether a NaN is there, not how
      // many. Without it a scan keeps the file for `>` and `>=` (storage::LakeTable).
      if (stats.has_nan == std::optional<bool>(false)) df.nan_value_counts[id] = 0;
      if (top_level.count(id) && top_level[id]->type.is_primitive()) df.value_counts[id] = w.record_count;
      if (mode.kind == MetricsMode::Kind::kCounts) continue;
      auto type = primitive.find(id);
      if (type == primitive.end()) continue;
      const size_t length = mode.kind == MetricsMode::Kind::kFull ? 0 : mode.length;
      if (stats.min) {
        if (auto b = BoundFromText(*type->second, *stats.min, false, length)) df.lower_bounds[id] = *b;
      }
      if (stats.max) {
        if (auto b = BoundFromText(*type->second, *stats.max, true, length)) df.upper_bounds[id] = *b;
      }
    }
    out.push_back(std::move(df));
  }
  if (!target.spec->is_unpartitioned()) {
    std::error_code ec;
    std::filesystem::remove_all(options.directory, ec);
  }
  // Key indexes of the new files (engine/key_index_sql.h). They only speed up lookups: a
  // failure is logged and the lookups of those files read Parquet.
  if (int key_field = KeyIndexField(target.table->metadata())) {
    std::vector<storage::ScanDataFile> files;
    for (const auto& df : out) files.push_back(storage::ScanDataFile{df.file_path, df.file_path, 0, df.record_count, df.file_size_in_bytes, 0});
    auto built = BuildKeyIndexes(*ctx.connection, schema, key_field, files);
    if (!built.ok()) {
      const std::string table = target.table->id().ToString();
      Log(LogLevel::kWarn, "key_index_not_built",
          {LogField("table", LogId(table)), LogField::Error("error", built.status().ToString())});
    }
  }
  return out;
}

// SELECT that casts `query`'s columns (positional, or named by `insert_columns`) to the table's
// columns, checking required columns for NULLs.
Result<std::string> CastToTable(Connection& conn, const ib::Schema& schema, const std::string& query,
                                const std::vector<std::string>& insert_columns,
                                const std::string& table_name) {
  MEDLAKE_ASSIGN_OR_RETURN(auto cols, QueryColumns(conn, query));
  size_t expected = insert_columns.empty() ? schema.fields.size() : insert_columns.size();
  if (cols.size() != expected) {
    return InvalidArgument("Binder Error: table " + table_name + " has " + std::to_string(expected) +
                           " columns to fill but " + std::to_string(cols.size()) +
                           " values were supplied");
  }
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < insert_columns.size(); ++i) {
    if (ib::FindFieldByName(schema, insert_columns[i]) == nullptr) {
      return InvalidArgument("Binder Error: table " + table_name + " has no column " + insert_columns[i]);
    }
    if (!position.emplace(insert_columns[i], i).second) {
      return InvalidArgument("column " + insert_columns[i] + " named twice in INSERT");
    }
  }
  std::string aliases;
  for (size_t i = 0; i < cols.size(); ++i) aliases += (i ? ", " : "") + std::string("__i") + std::to_string(i);
  std::string select;
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const auto& f = schema.fields[i];
    MEDLAKE_ASSIGN_OR_RETURN(std::string type, DuckType(f.type));
    std::string source;
    if (insert_columns.empty()) {
      source = "__q.__i" + std::to_string(i);
    } else {
      auto it = position.find(f.name);
      source = it == position.end() ? "NULL" : "__q.__i" + std::to_string(it->second);
    }
    std::string expr = "CAST(" + source + " AS " + type + ")";
    if (f.required) {
      expr = "CASE WHEN " + expr + " IS NULL THEN error(" +
             QuoteString("NOT NULL constraint failed: " + table_name + "." + f.name) + ") ELSE " +
             expr + " END";
    }
    select += (i ? ", " : "") + expr + " AS " + QuoteIdentifier(f.name);
  }
  return "SELECT " + select + " FROM (" + query + ") AS __q(" + aliases + ")";
}

// Loads the table a write statement targets; tables written elsewhere are read-only.
Result<const storage::LakeTable*> LoadTarget(LakeTableResolver& resolver, const QualifiedName& name) {
  MEDLAKE_ASSIGN_OR_RETURN(const storage::LakeTable* table,
                           resolver.Table(storage::TableIdentifier{name.ns, name.name}));
  if (table->moved()) {
    return FailedPrecondition("table " + table->id().ToString() +
                              " was written at another location and is read-only here");
  }
  return table;
}

Result<std::string> Rewrite(Connection& conn, LakeTableResolver& resolver, const std::string& sql) {
  auto r = RewriteQuery(conn, sql, resolver);
  if (r.ok()) return r->sql;
  // A trusted caller's text that DuckDB cannot serialize runs as written; an untrusted one's
  // never does (it was not checked).
  if (r.status().code() == StatusCode::kFailedPrecondition && !resolver.untrusted()) return sql;
  return r.status();
}

Result<int64_t> Insert(const LakeExecutorContext& ctx, const storage::LakeTable& table,
                       const std::string& rewritten_query,
                       const std::vector<std::string>& insert_columns) {
  MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(table.metadata()));
  MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec, ib::DefaultPartitionSpec(table.metadata()));
  MEDLAKE_ASSIGN_OR_RETURN(std::string cast, CastToTable(*ctx.connection, *schema, rewritten_query,
                                                         insert_columns, table.id().ToString()));
  MEDLAKE_ASSIGN_OR_RETURN(auto files, WriteDataFiles(ctx, {&table, schema, spec}, cast));
  int64_t rows = 0;
  for (const auto& f : files) rows += f.record_count;
  if (files.empty()) return rows;
  storage::TableChange change;
  change.operation = "append";
  change.added_data_files = std::move(files);
  MEDLAKE_RETURN_IF_ERROR(
      storage::CommitTableChange(*ctx.catalog, *ctx.fs, table, change, *ctx.clock).status());
  return rows;
}

// Writes position-delete files for the rows of `table` matching `where` (one file per affected
// data file). Fills `change` and returns the number of deleted rows.
Result<int64_t> WritePositionDeleteRows(const LakeExecutorContext& ctx, const storage::LakeTable& table,
                                        const std::string& sql, storage::TableChange* change);

Result<int64_t> WritePositionDeletes(const LakeExecutorContext& ctx, LakeTableResolver& resolver,
                                     const storage::LakeTable& table, const std::string& where,
                                     storage::TableChange* change) {
  std::string name = QuoteIdentifier(table.id().ns) + "." + QuoteIdentifier(table.id().name);
  std::string select = std::string("SELECT ") + kRowFileColumn + " AS file_path, " +
                       kRowPositionColumn + " AS pos, sha256(" + kRowFileColumn +
                       ") AS __pf FROM " + name + (where.empty() ? "" : " WHERE (" + where + ")") +
                       " ORDER BY 1, 2";
  resolver.SetRowIdTarget(table.id());
  MEDLAKE_ASSIGN_OR_RETURN(std::string sql, Rewrite(*ctx.connection, resolver, select));
  return WritePositionDeleteRows(ctx, table, sql, change);
}

// `sql` yields (file_path, pos, __pf = sha256(file_path)) sorted by file_path, pos.
Result<int64_t> WritePositionDeleteRows(const LakeExecutorContext& ctx, const storage::LakeTable& table,
                                        const std::string& sql, storage::TableChange* change) {
  MEDLAKE_ASSIGN_OR_RETURN(auto live, table.LiveFiles(std::nullopt));
  std::map<std::string, const storage::LiveFile*> by_hash;
  for (const auto& lf : live) {
    if (lf.file.content == ib::DataFileContent::kData) {
      by_hash[HexEncode(Sha256(lf.file.file_path))] = &lf;
    }
  }
  MEDLAKE_ASSIGN_OR_RETURN(Uuid batch, Uuid::RandomV4());
  std::string data_dir = JoinPath(table.local_root(), "data");
  ParquetWriteOptions options;
  options.directory = JoinPath(data_dir, ".staging-" + batch.ToString());
  options.file_prefix = "delete-" + batch.ToString().substr(0, 8);
  options.partition_columns = {"__pf"};
  MEDLAKE_ASSIGN_OR_RETURN(
      auto written,
      WriteParquetFiles(*ctx.connection, sql,
                        {{"file_path", kDeleteFilePathId, {}}, {"pos", kDeletePosId, {}}}, options));
  MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(table.metadata()));
  int64_t rows = 0;
  for (auto& w : written) {
    auto key = w.partition_keys.find("__pf");
    if (key == w.partition_keys.end() || !by_hash.count(key->second)) {
      return Internal("position delete file for an unknown data file");
    }
    const storage::LiveFile& target = *by_hash[key->second];
    MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec,
                             ib::FindPartitionSpec(table.metadata(), target.spec_id));
    std::string dir = data_dir;
    if (!spec->is_unpartitioned()) {
      auto rel = ib::PartitionToPath(*spec, *schema, target.file.partition);
      if (rel.ok()) dir = JoinPath(data_dir, *rel);
    }
    MEDLAKE_RETURN_IF_ERROR(ctx.fs->CreateDirectories(dir));
    std::string final_path = JoinPath(dir, std::string(Basename(w.path)));
    MEDLAKE_RETURN_IF_ERROR(ctx.fs->Rename(w.path, final_path));
    ib::DataFile df;
    df.content = ib::DataFileContent::kPositionDeletes;
    df.file_path = final_path;
    df.record_count = w.record_count;
    df.file_size_in_bytes = w.file_size_bytes;
    df.partition = target.file.partition;
    df.referenced_data_file = target.file.file_path;
    change->added_delete_files.push_back(std::move(df));
    change->required_live_files.insert(target.file.file_path);
    rows += w.record_count;
  }
  std::error_code ec;
  std::filesystem::remove_all(options.directory, ec);
  return rows;
}

Result<StatementOutcome> DoCreateTable(const LakeStatement& st, const LakeExecutorContext& ctx) {
  storage::TableIdentifier id{st.table.ns, st.table.name};
  MEDLAKE_ASSIGN_OR_RETURN(bool exists, ctx.catalog->TableExists(id));
  StatementOutcome outcome;
  outcome.kind = StatementKind::kCreate;
  outcome.message = "CREATE TABLE " + id.ToString();
  if (exists) {
    if (st.if_not_exists) return outcome;
    if (!st.or_replace) return AlreadyExists("Catalog Error: table " + id.ToString() + " already exists");
  }
  LakeTableResolver resolver(*ctx.catalog, *ctx.fs, ctx.access);
  std::vector<ColumnInfo> cols;
  std::set<std::string> not_null;
  std::string query;
  if (st.kind == LakeStatement::Kind::kCreateTable) {
    // DuckDB parses the column definitions on a scratch table.
    MEDLAKE_ASSIGN_OR_RETURN(std::string scratch, RandomHex(6));
    std::string tmp = "__medlake_ddl_" + scratch;
    MEDLAKE_RETURN_IF_ERROR(ctx.connection->Execute("CREATE TEMP TABLE " + tmp + " (" +
                                                    st.column_definitions + ")"));
    auto described = QueryColumns(*ctx.connection, "SELECT * FROM " + tmp);
    auto nulls = ctx.connection->QueryAll(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = " + QuoteString(tmp) +
        " AND NOT is_nullable");
    (void)ctx.connection->Execute("DROP TABLE " + tmp);
    MEDLAKE_RETURN_IF_ERROR(described.status());
    MEDLAKE_RETURN_IF_ERROR(nulls.status());
    cols = *described;
    for (const auto& r : *nulls) not_null.insert(r[0].s);
  } else {
    MEDLAKE_ASSIGN_OR_RETURN(query, Rewrite(*ctx.connection, resolver, st.query));
    MEDLAKE_ASSIGN_OR_RETURN(cols, QueryColumns(*ctx.connection, query));
  }
  MEDLAKE_ASSIGN_OR_RETURN(ib::Schema schema, SchemaFromColumns(cols, not_null));
  MEDLAKE_ASSIGN_OR_RETURN(ib::PartitionSpec spec, SpecFromClauses(st.partition_by, schema));
  if (exists && st.or_replace) {
    MEDLAKE_RETURN_IF_ERROR(storage::DropLakeTable(*ctx.catalog, *ctx.fs, ctx.warehouse, id, true));
  }
  storage::CreateTableRequest req{id, schema, spec, {}};
  MEDLAKE_ASSIGN_OR_RETURN(auto table, storage::CreateLakeTable(*ctx.catalog, *ctx.fs, ctx.warehouse,
                                                                req, *ctx.clock));
  if (st.kind == LakeStatement::Kind::kCreateTableAs) {
    auto rows = Insert(ctx, *table, query, {});
    if (!rows.ok()) {
      (void)storage::DropLakeTable(*ctx.catalog, *ctx.fs, ctx.warehouse, id, true);
      return rows.status();
    }
    outcome.rows_changed = *rows;
  }
  return outcome;
}

Result<StatementOutcome> DoAlter(const LakeStatement& st, const LakeExecutorContext& ctx) {
  storage::TableIdentifier id{st.table.ns, st.table.name};
  StatementOutcome outcome;
  outcome.kind = StatementKind::kAlter;
  outcome.message = "ALTER TABLE " + id.ToString();
  auto loaded = storage::LakeTable::Load(*ctx.catalog, *ctx.fs, id);
  if (!loaded.ok()) {
    if (loaded.status().code() == StatusCode::kNotFound && st.if_exists) return outcome;
    return loaded.status();
  }
  const storage::LakeTable& table = **loaded;
  const AlterAction& a = *st.alter;
  if (table.moved() && a.kind != AlterAction::Kind::kRenameTable) {
    return FailedPrecondition("table " + id.ToString() +
                              " was written at another location and is read-only here");
  }
  if (a.kind == AlterAction::Kind::kRenameTable) {
    MEDLAKE_RETURN_IF_ERROR(ctx.catalog->RenameTable(id, {id.ns, a.new_name}));
    return outcome;
  }
  if (a.kind == AlterAction::Kind::kWriteOrder) {
    MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* current, ib::CurrentSchema(table.metadata()));
    storage::TableChange change;
    MEDLAKE_ASSIGN_OR_RETURN(change.new_sort_order, SortOrderOn(*current, a.order, id.ToString()));
    MEDLAKE_RETURN_IF_ERROR(storage::CommitTableChange(*ctx.catalog, *ctx.fs, table, change, *ctx.clock).status());
    return outcome;
  }
  if (a.kind == AlterAction::Kind::kSetProperties) {
    for (const auto& [key, value] : a.properties) MEDLAKE_RETURN_IF_ERROR(CheckWriteProperty(key, value));
    storage::TableChange change;
    change.properties = a.properties;
    MEDLAKE_RETURN_IF_ERROR(storage::CommitTableChange(*ctx.catalog, *ctx.fs, table, change, *ctx.clock).status());
    return outcome;
  }
  MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* current, ib::CurrentSchema(table.metadata()));
  ib::Schema schema = *current;
  auto find = [&schema](const std::string& name) -> ib::NestedField* {
    for (auto& f : schema.fields) {
      if (f.name == name) return &f;
    }
    return nullptr;
  };
  ib::NestedField* field = a.kind == AlterAction::Kind::kAddColumn ? nullptr : find(a.column);
  if (a.kind != AlterAction::Kind::kAddColumn && field == nullptr) {
    if (a.kind == AlterAction::Kind::kDropColumn && st.if_exists) return outcome;
    return NotFound("Binder Error: table " + id.ToString() + " has no column " + a.column);
  }
  switch (a.kind) {
    case AlterAction::Kind::kAddColumn: {
      if (find(a.column) != nullptr) {
        if (st.if_not_exists) return outcome;
        return AlreadyExists("Catalog Error: column " + a.column + " already exists");
      }
      int next = table.metadata().last_column_id + 1;
      int field_id = next++;
      MEDLAKE_ASSIGN_OR_RETURN(std::string type_json, DuckDbTypeToIceberg(a.type, &next));
      MEDLAKE_ASSIGN_OR_RETURN(ib::Type type, ib::ParseTypeJson(type_json));
      if (a.not_null) {
        return InvalidArgument("a NOT NULL column cannot be added: existing rows have no value");
      }
      ib::NestedField f;
      f.id = field_id;
      f.name = a.column;
      f.type = std::move(type);
      schema.fields.push_back(std::move(f));
      break;
    }
    case AlterAction::Kind::kDropColumn: {
      MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec, ib::DefaultPartitionSpec(table.metadata()));
      for (const auto& pf : spec->fields) {
        if (pf.source_id == field->id) {
          return InvalidArgument("column " + a.column + " partitions the table and cannot be dropped");
        }
      }
      // As Iceberg's Java library, Trino and Athena: a sort order naming a missing column makes
      // the metadata invalid for other engines.
      if (const ib::SortOrder* order = ib::DefaultSortOrder(table.metadata())) {
        for (const auto& sf : order->fields) {
          if (sf.source_id == field->id) {
            return InvalidArgument("column " + a.column + " orders the table's writes and cannot be dropped: "
                                   "run ALTER TABLE ... WRITE UNORDERED (or order by other columns) first");
          }
        }
      }
      if (schema.fields.size() == 1) return InvalidArgument("cannot drop the only column");
      int32_t drop_id = field->id;
      schema.fields.erase(std::remove_if(schema.fields.begin(), schema.fields.end(),
                                         [drop_id](const ib::NestedField& f) { return f.id == drop_id; }),
                          schema.fields.end());
      schema.identifier_field_ids.erase(
          std::remove(schema.identifier_field_ids.begin(), schema.identifier_field_ids.end(), drop_id),
          schema.identifier_field_ids.end());
      break;
    }
    case AlterAction::Kind::kRenameColumn:
      if (find(a.new_name) != nullptr) {
        return AlreadyExists("Catalog Error: column " + a.new_name + " already exists");
      }
      field->name = a.new_name;
      break;
    case AlterAction::Kind::kAlterColumnType: {
      int next = table.metadata().last_column_id + 1;
      MEDLAKE_ASSIGN_OR_RETURN(std::string type_json, DuckDbTypeToIceberg(a.type, &next));
      MEDLAKE_ASSIGN_OR_RETURN(ib::Type type, ib::ParseTypeJson(type_json));
      if (type == field->type) return outcome;
      if (!ib::CanPromote(field->type, type)) {
        return InvalidArgument("cannot change column " + a.column + " from " +
                               ib::TypeToString(field->type) + " to " + ib::TypeToString(type) +
                               " (Iceberg allows int->long, float->double and wider decimals)");
      }
      field->type = std::move(type);
      break;
    }
    case AlterAction::Kind::kRenameTable:
    case AlterAction::Kind::kSetProperties:
    case AlterAction::Kind::kWriteOrder: break;
  }
  storage::TableChange change;
  change.new_schema = schema;
  MEDLAKE_RETURN_IF_ERROR(
      storage::CommitTableChange(*ctx.catalog, *ctx.fs, table, change, *ctx.clock).status());
  return outcome;
}

// MERGE INTO runs on DuckDB against a temporary copy of the target's rows; the rows it deleted
// or changed become position deletes, the rows it changed or inserted become new data files,
// all in one snapshot. Limit: the target's live rows are copied into DuckDB (spilling to disk
// when large), so MERGE costs a full read of the target.
Result<StatementOutcome> DoMerge(const LakeStatement& st, const LakeExecutorContext& ctx) {
  StatementOutcome outcome;
  outcome.kind = StatementKind::kUpdate;
  LakeTableResolver resolver(*ctx.catalog, *ctx.fs, ctx.access);
  MEDLAKE_ASSIGN_OR_RETURN(const storage::LakeTable* table, LoadTarget(resolver, st.table));
  MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(table->metadata()));
  MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec, ib::DefaultPartitionSpec(table->metadata()));
  MEDLAKE_ASSIGN_OR_RETURN(std::string suffix, RandomHex(6));
  std::string tmp = "__medlake_merge_" + suffix;
  std::string map = tmp + "_rows";

  std::string cols, qualified_cols, hash_struct;
  for (size_t i = 0; i < schema->fields.size(); ++i) {
    std::string c = QuoteIdentifier(schema->fields[i].name);
    cols += (i ? ", " : "") + c;
    qualified_cols += (i ? ", t." : "t.") + c;
    hash_struct += (i ? ", " : "") + QuoteString(schema->fields[i].name) + ": " + c;
  }
  std::string row_hash = "md5(CAST(to_json({" + hash_struct + "}) AS VARCHAR))";

  resolver.SetRowIdTarget(table->id());
  MEDLAKE_ASSIGN_OR_RETURN(auto scan, resolver.Resolve(table->id().ns, table->id().name, std::nullopt, {}));
  std::string ordered = "SELECT * FROM (" + scan->sql + ") ORDER BY " + kRowFileColumn + ", " + kRowPositionColumn;
  auto cleanup = [&]() {
    (void)ctx.connection->Execute("DROP TABLE IF EXISTS " + tmp + "; DROP TABLE IF EXISTS " + map);
  };
  Status st_setup = ctx.connection->Execute(
      "CREATE TEMP TABLE " + tmp + " AS SELECT " + cols + " FROM (" + ordered + "); " +
      "CREATE TEMP TABLE " + map + " AS SELECT row_number() OVER () - 1 AS __rid, " + kRowFileColumn +
      " AS __f, " + kRowPositionColumn + " AS __p, " + row_hash + " AS __h FROM (" + ordered + ")");
  if (!st_setup.ok()) {
    cleanup();
    return st_setup;
  }
  // The user's MERGE, aimed at the copy; the source's lake tables are scanned like any query.
  std::string target_alias = st.target_has_alias ? "" : " AS " + QuoteIdentifier(st.table.name);
  std::string source = st.text.substr(st.source_begin, st.source_end - st.source_begin);
  if (st.source_is_query) {
    auto inner = Rewrite(*ctx.connection, resolver, source.substr(1, source.size() - 2));
    if (!inner.ok()) {
      cleanup();
      return inner.status();
    }
    source = "(" + *inner + ")";
  } else if (!st.source_table.ns.empty()) {
    auto resolved = resolver.Resolve(st.source_table.ns, st.source_table.name, std::nullopt, {});
    if (!resolved.ok()) {
      cleanup();
      return resolved.status();
    }
    if (*resolved) {
      source = "(" + (*resolved)->sql + ")" +
               (st.source_has_alias ? "" : " AS " + QuoteIdentifier(st.source_table.name));
    }
  }
  std::string merge = st.text.substr(0, st.target_begin) + tmp + target_alias +
                      st.text.substr(st.target_end, st.source_begin - st.target_end) + source +
                      st.text.substr(st.source_end);
  auto merged = ctx.connection->Query(merge, /*streaming=*/false);
  if (!merged.ok()) {
    cleanup();
    return merged.status();
  }
  outcome.rows_changed = (*merged)->rows_changed();

  storage::TableChange change;
  change.operation = "overwrite";
  auto deletes = WritePositionDeleteRows(
      ctx, *table,
      "SELECT m.__f AS file_path, m.__p AS pos, sha256(m.__f) AS __pf FROM " + map +
          " m LEFT JOIN (SELECT rowid AS __rid, " + row_hash + " AS __h FROM " + tmp +
          ") t ON t.__rid = m.__rid WHERE t.__rid IS NULL OR t.__h <> m.__h ORDER BY 1, 2",
      &change);
  if (!deletes.ok()) {
    cleanup();
    return deletes.status();
  }
  auto cast = CastToTable(*ctx.connection, *schema,
                          "SELECT " + qualified_cols + " FROM (SELECT rowid AS __rid, " + row_hash + " AS __h, * FROM " + tmp +
                              ") t LEFT JOIN " + map + " m ON t.__rid = m.__rid WHERE m.__rid IS NULL OR t.__h <> m.__h",
                          {}, table->id().ToString());
  if (!cast.ok()) {
    cleanup();
    return cast.status();
  }
  auto files = WriteDataFiles(ctx, {table, schema, spec}, *cast);
  cleanup();
  MEDLAKE_RETURN_IF_ERROR(files.status());
  change.added_data_files = std::move(*files);
  if (change.added_data_files.empty() && change.added_delete_files.empty()) return outcome;
  MEDLAKE_RETURN_IF_ERROR(
      storage::CommitTableChange(*ctx.catalog, *ctx.fs, *table, change, *ctx.clock).status());
  return outcome;
}

Result<StatementOutcome> DoCall(const LakeStatement& st, const LakeExecutorContext& ctx) {
  StatementOutcome outcome;
  outcome.kind = StatementKind::kCall;
  outcome.message = "CALL medlake." + st.procedure;
  auto report = [&](const std::string& select) -> Result<StatementOutcome> {
    MEDLAKE_ASSIGN_OR_RETURN(outcome.owned_rows, ctx.connection->Query(select, /*streaming=*/false));
    outcome.rows = outcome.owned_rows.get();
    return std::move(outcome);
  };
  auto table_arg = [&]() -> Result<storage::TableIdentifier> {
    if (st.arguments.empty()) return InvalidArgument("CALL medlake." + st.procedure + " needs a table name");
    return storage::ParseTableIdentifier(st.arguments[0]);
  };
  auto millis_arg = [&](size_t i, int64_t fallback) -> Result<int64_t> {
    if (st.arguments.size() <= i || st.arguments[i].empty()) return fallback;
    return ParseTimestampMillis(st.arguments[i]);
  };
  if (st.procedure == "expire_snapshots") {
    MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier id, table_arg());
    // Defaults as Iceberg's: older than 5 days, keep at least one.
    MEDLAKE_ASSIGN_OR_RETURN(int64_t older, millis_arg(1, ctx.clock->NowMillis() - 5LL * 86'400'000));
    int retain = st.arguments.size() > 2 ? std::atoi(st.arguments[2].c_str()) : 1;
    MEDLAKE_ASSIGN_OR_RETURN(auto r, storage::ExpireSnapshots(*ctx.catalog, *ctx.fs, id, older, retain, *ctx.clock));
    return report("SELECT " + std::to_string(r.expired_snapshots) + "::BIGINT AS expired_snapshots, " +
                  std::to_string(r.deleted_manifest_lists) + "::BIGINT AS deleted_manifest_lists, " +
                  std::to_string(r.deleted_manifests) + "::BIGINT AS deleted_manifests, " +
                  std::to_string(r.deleted_data_files) + "::BIGINT AS deleted_files");
  }
  if (st.procedure == "remove_orphan_files") {
    MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier id, table_arg());
    MEDLAKE_ASSIGN_OR_RETURN(int64_t older, millis_arg(1, ctx.clock->NowMillis() - 3LL * 86'400'000));
    MEDLAKE_ASSIGN_OR_RETURN(auto r, storage::RemoveOrphanFiles(*ctx.catalog, *ctx.fs, id, older));
    return report("SELECT " + std::to_string(r.deleted_files) + "::BIGINT AS deleted_files");
  }
  if (st.procedure == "compact") {
    MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier id, table_arg());
    LakeTableResolver resolver(*ctx.catalog, *ctx.fs, ctx.access);
    MEDLAKE_ASSIGN_OR_RETURN(const storage::LakeTable* table, LoadTarget(resolver, {id.ns, id.name}));
    MEDLAKE_ASSIGN_OR_RETURN(auto live, table->LiveFiles(std::nullopt));
    int64_t before_files = 0, before_deletes = 0;
    storage::TableChange change;
    change.operation = "replace";
    for (const auto& lf : live) {
      change.removed_file_paths.insert(lf.file.file_path);
      (lf.file.content == ib::DataFileContent::kData ? before_files : before_deletes) += 1;
    }
    if (live.empty()) return report("SELECT 0::BIGINT AS rewritten_data_files, 0::BIGINT AS removed_delete_files, 0::BIGINT AS new_data_files");
    MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(table->metadata()));
    MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec, ib::DefaultPartitionSpec(table->metadata()));
    std::string name = QuoteIdentifier(id.ns) + "." + QuoteIdentifier(id.name);
    MEDLAKE_ASSIGN_OR_RETURN(std::string query, Rewrite(*ctx.connection, resolver, "SELECT * FROM " + name));
    MEDLAKE_ASSIGN_OR_RETURN(change.added_data_files, WriteDataFiles(ctx, {table, schema, spec}, query));
    int64_t after = static_cast<int64_t>(change.added_data_files.size());
    MEDLAKE_RETURN_IF_ERROR(storage::CommitTableChange(*ctx.catalog, *ctx.fs, *table, change, *ctx.clock).status());
    return report("SELECT " + std::to_string(before_files) + "::BIGINT AS rewritten_data_files, " +
                  std::to_string(before_deletes) + "::BIGINT AS removed_delete_files, " +
                  std::to_string(after) + "::BIGINT AS new_data_files");
  }
  if (st.procedure == "build_key_index") {
    MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier id, table_arg());
    LakeTableResolver resolver(*ctx.catalog, *ctx.fs, ctx.access);
    MEDLAKE_ASSIGN_OR_RETURN(const storage::LakeTable* table, LoadTarget(resolver, {id.ns, id.name}));
    const int key_field = KeyIndexField(table->metadata());
    if (key_field == 0) {
      return FailedPrecondition("table " + id.ToString() + " has no key index: set its property " + kKeyIndexProperty +
                                " = 'true' and a sort order led by a string, int or long column (WRITE ORDERED BY)");
    }
    MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(table->metadata()));
    MEDLAKE_ASSIGN_OR_RETURN(storage::ScanPlan plan, table->PlanScan(std::nullopt, {}));
    MEDLAKE_ASSIGN_OR_RETURN(int64_t built, BuildKeyIndexes(*ctx.connection, *schema, key_field, plan.data_files));
    return report("SELECT " + std::to_string(plan.data_files.size()) + "::BIGINT AS data_files, " +
                  std::to_string(built) + "::BIGINT AS key_indexes_built");
  }
  if (st.procedure == "register_table") {
    if (st.arguments.size() != 2) {
      return InvalidArgument("CALL medlake.register_table('namespace.table', 'path') takes 2 arguments");
    }
    MEDLAKE_ASSIGN_OR_RETURN(storage::TableIdentifier id, storage::ParseTableIdentifier(st.arguments[0]));
    MEDLAKE_RETURN_IF_ERROR(
        storage::RegisterLakeTable(*ctx.catalog, *ctx.fs, id, st.arguments[1]).status());
    return outcome;
  }
  return NotFound("no procedure medlake." + st.procedure +
                  " (known: register_table, expire_snapshots, remove_orphan_files, compact, build_key_index)");
}

}  // namespace

Result<bool> IsLakeStatement(const LakeStatement& st, storage::Catalog& catalog) {
  switch (st.kind) {
    case LakeStatement::Kind::kOther: return false;
    case LakeStatement::Kind::kCall:
    case LakeStatement::Kind::kCreateSchema:
    case LakeStatement::Kind::kDropSchema: return true;
    default:
      if (st.table.ns.empty() || st.temporary) return false;
      return catalog.NamespaceExists(st.table.ns);
  }
}

Result<std::string> RewriteLakeReferences(Connection& conn, storage::Catalog& catalog,
                                          FileSystem& fs, const std::string& sql) {
  LakeTableResolver resolver(catalog, fs);
  return Rewrite(conn, resolver, sql);
}

Result<StatementOutcome> ExecuteLakeStatement(const LakeStatement& st,
                                              const LakeExecutorContext& ctx) {
  StatementOutcome outcome;
  switch (st.kind) {
    case LakeStatement::Kind::kCreateSchema: {
      outcome.kind = StatementKind::kCreate;
      outcome.message = "CREATE SCHEMA " + st.schema;
      MEDLAKE_ASSIGN_OR_RETURN(bool exists, ctx.catalog->NamespaceExists(st.schema));
      if (exists) {
        if (st.if_not_exists) return outcome;
        return AlreadyExists("Catalog Error: schema " + st.schema + " already exists");
      }
      MEDLAKE_RETURN_IF_ERROR(ctx.catalog->CreateNamespace(st.schema));
      return outcome;
    }
    case LakeStatement::Kind::kDropSchema: {
      outcome.kind = StatementKind::kDrop;
      outcome.message = "DROP SCHEMA " + st.schema;
      MEDLAKE_ASSIGN_OR_RETURN(bool exists, ctx.catalog->NamespaceExists(st.schema));
      if (!exists) {
        if (st.if_exists) return outcome;
        return NotFound("Catalog Error: schema " + st.schema + " does not exist");
      }
      if (st.cascade) {
        MEDLAKE_ASSIGN_OR_RETURN(auto tables, ctx.catalog->ListTables(st.schema));
        for (const auto& t : tables) {
          MEDLAKE_RETURN_IF_ERROR(storage::DropLakeTable(*ctx.catalog, *ctx.fs, ctx.warehouse, t, true));
        }
      }
      MEDLAKE_RETURN_IF_ERROR(ctx.catalog->DropNamespace(st.schema));
      return outcome;
    }
    case LakeStatement::Kind::kCreateTable:
    case LakeStatement::Kind::kCreateTableAs: return DoCreateTable(st, ctx);
    case LakeStatement::Kind::kDropTable: {
      outcome.kind = StatementKind::kDrop;
      storage::TableIdentifier id{st.table.ns, st.table.name};
      outcome.message = "DROP TABLE " + id.ToString();
      MEDLAKE_ASSIGN_OR_RETURN(bool exists, ctx.catalog->TableExists(id));
      if (!exists) {
        if (st.if_exists) return outcome;
        return NotFound("Catalog Error: table " + id.ToString() + " does not exist");
      }
      MEDLAKE_RETURN_IF_ERROR(storage::DropLakeTable(*ctx.catalog, *ctx.fs, ctx.warehouse, id, true));
      return outcome;
    }
    case LakeStatement::Kind::kInsert: {
      outcome.kind = StatementKind::kInsert;
      LakeTableResolver resolver(*ctx.catalog, *ctx.fs, ctx.access);
      MEDLAKE_ASSIGN_OR_RETURN(const storage::LakeTable* table, LoadTarget(resolver, st.table));
      MEDLAKE_ASSIGN_OR_RETURN(std::string query, Rewrite(*ctx.connection, resolver, st.query));
      MEDLAKE_ASSIGN_OR_RETURN(outcome.rows_changed, Insert(ctx, *table, query, st.insert_columns));
      return outcome;
    }
    case LakeStatement::Kind::kDelete:
    case LakeStatement::Kind::kUpdate: {
      bool update = st.kind == LakeStatement::Kind::kUpdate;
      outcome.kind = update ? StatementKind::kUpdate : StatementKind::kDelete;
      LakeTableResolver resolver(*ctx.catalog, *ctx.fs, ctx.access);
      MEDLAKE_ASSIGN_OR_RETURN(const storage::LakeTable* table, LoadTarget(resolver, st.table));
      storage::TableChange change;
      change.operation = update ? "overwrite" : "delete";
      if (update) {
        // New versions of the matching rows, computed from the same snapshot as the deletes.
        MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(table->metadata()));
        std::map<std::string, std::string> assigned;
        for (const auto& [col, expr] : st.assignments) {
          if (ib::FindFieldByName(*schema, col) == nullptr) {
            return InvalidArgument("Binder Error: table " + table->id().ToString() + " has no column " + col);
          }
          if (!assigned.emplace(col, expr).second) return InvalidArgument("column " + col + " set twice");
        }
        std::string select;
        for (size_t i = 0; i < schema->fields.size(); ++i) {
          const auto& f = schema->fields[i];
          auto it = assigned.find(f.name);
          select += (i ? ", " : "") + (it == assigned.end() ? QuoteIdentifier(f.name) : "(" + it->second + ")") +
                    " AS " + QuoteIdentifier(f.name);
        }
        std::string name = QuoteIdentifier(table->id().ns) + "." + QuoteIdentifier(table->id().name);
        std::string text = "SELECT " + select + " FROM " + name + (st.where.empty() ? "" : " WHERE (" + st.where + ")");
        MEDLAKE_ASSIGN_OR_RETURN(std::string query, Rewrite(*ctx.connection, resolver, text));
        MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec, ib::DefaultPartitionSpec(table->metadata()));
        MEDLAKE_ASSIGN_OR_RETURN(std::string cast, CastToTable(*ctx.connection, *schema, query, {},
                                                               table->id().ToString()));
        MEDLAKE_ASSIGN_OR_RETURN(change.added_data_files, WriteDataFiles(ctx, {table, schema, spec}, cast));
      }
      MEDLAKE_ASSIGN_OR_RETURN(int64_t rows, WritePositionDeletes(ctx, resolver, *table, st.where, &change));
      outcome.rows_changed = rows;
      if (rows == 0 && change.added_data_files.empty()) return outcome;
      MEDLAKE_RETURN_IF_ERROR(
          storage::CommitTableChange(*ctx.catalog, *ctx.fs, *table, change, *ctx.clock).status());
      return outcome;
    }
    case LakeStatement::Kind::kAlterTable: return DoAlter(st, ctx);
    case LakeStatement::Kind::kCall: return DoCall(st, ctx);
    case LakeStatement::Kind::kMerge: return DoMerge(st, ctx);
    case LakeStatement::Kind::kOther: break;
  }
  return Internal("not a lake statement");
}

// ---- Writes for pipelines ----

namespace {

// The schema `cols` should be stored with, given the table's current schema (nullptr: a new
// table). Columns keeping their name and type keep their field ids.
Result<ib::Schema> EvolvedSchema(const std::vector<ColumnInfo>& cols, const ib::Schema* current,
                                 int32_t last_column_id, bool* changed) {
  MEDLAKE_ASSIGN_OR_RETURN(ib::Schema fresh, SchemaFromColumns(cols, {}));
  *changed = false;
  if (current == nullptr) return fresh;
  ib::Schema out;
  out.schema_id = current->schema_id;
  int next = last_column_id + 1;
  if (current->fields.size() != fresh.fields.size()) *changed = true;
  for (size_t i = 0; i < fresh.fields.size(); ++i) {
    const ib::NestedField& want = fresh.fields[i];
    const ib::NestedField* have = ib::FindFieldByName(*current, want.name);
    if (have != nullptr && ib::TypeToString(have->type) == ib::TypeToString(want.type)) {
      ib::NestedField kept = *have;
      if (i >= current->fields.size() || current->fields[i].name != want.name) *changed = true;
      out.fields.push_back(std::move(kept));
      continue;
    }
    *changed = true;
    ib::NestedField f;
    f.id = next++;
    f.name = want.name;
    MEDLAKE_ASSIGN_OR_RETURN(std::string type_json, DuckDbTypeToIceberg(cols[i].type_name, &next));
    MEDLAKE_ASSIGN_OR_RETURN(f.type, ib::ParseTypeJson(type_json));
    out.fields.push_back(std::move(f));
  }
  return out;
}

// Loads `id`, or creates it with `schema` when it does not exist.
Result<std::unique_ptr<storage::LakeTable>> LoadOrCreate(const LakeExecutorContext& ctx,
                                                         const storage::TableIdentifier& id,
                                                         const std::vector<ColumnInfo>& cols,
                                                         bool* created) {
  auto loaded = storage::LakeTable::Load(*ctx.catalog, *ctx.fs, id);
  *created = false;
  if (loaded.ok() || loaded.status().code() != StatusCode::kNotFound) return loaded;
  bool changed = false;
  MEDLAKE_ASSIGN_OR_RETURN(ib::Schema schema, EvolvedSchema(cols, nullptr, 0, &changed));
  storage::CreateTableRequest req{id, schema, {}, {}};
  *created = true;
  return storage::CreateLakeTable(*ctx.catalog, *ctx.fs, ctx.warehouse, req, *ctx.clock);
}

int64_t RowsOf(const std::vector<ib::DataFile>& files) {
  int64_t n = 0;
  for (const auto& f : files) n += f.record_count;
  return n;
}

}  // namespace

namespace {

// Makes `columns` (ascending, nulls first; empty: leave the table as it is) the table's default
// sort order unless it already is, in a metadata-only commit; returns the table as committed.
// Gives the table the sort order `columns` (ascending; none when empty) and, when `properties`
// turn key indexes on, that property, before rows are written: both decide how the files are
// written (sorted; with key indexes). One metadata-only commit, none when nothing changes.
Result<std::unique_ptr<storage::LakeTable>> EnsureWriteLayout(const LakeExecutorContext& ctx,
                                                              std::unique_ptr<storage::LakeTable> table,
                                                              const std::vector<std::string>& columns,
                                                              const std::map<std::string, std::string>& properties) {
  if (table->moved()) return table;
  storage::TableChange change;
  if (!columns.empty()) {
    MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(table->metadata()));
    std::vector<AlterAction::OrderKey> keys;
    for (const auto& name : columns) keys.push_back({name, false, false});
    MEDLAKE_ASSIGN_OR_RETURN(ib::SortOrder order, SortOrderOn(*schema, keys, table->id().ToString()));
    const ib::SortOrder* current = ib::DefaultSortOrder(table->metadata());
    if (current == nullptr || current->fields != order.fields) change.new_sort_order = std::move(order);
  }
  auto wanted = properties.find(kKeyIndexProperty);
  if (wanted != properties.end()) {
    MEDLAKE_RETURN_IF_ERROR(CheckWriteProperty(wanted->first, wanted->second));
    auto now = table->metadata().properties.find(kKeyIndexProperty);
    if (now == table->metadata().properties.end() || now->second != wanted->second) {
      change.properties[wanted->first] = wanted->second;
    }
  }
  if (!change.new_sort_order && change.properties.empty()) return table;
  return storage::CommitTableChange(*ctx.catalog, *ctx.fs, *table, change, *ctx.clock);
}

}  // namespace

Result<TableWriteResult> ReplaceTableRows(const LakeExecutorContext& ctx, const storage::TableIdentifier& id,
                                          const std::string& query,
                                          const std::map<std::string, std::string>& properties,
                                          const std::vector<std::string>& write_order) {
  TableWriteResult result;
  MEDLAKE_ASSIGN_OR_RETURN(auto cols, QueryColumns(*ctx.connection, query));
  MEDLAKE_ASSIGN_OR_RETURN(auto table, LoadOrCreate(ctx, id, cols, &result.created));
  MEDLAKE_ASSIGN_OR_RETURN(table, EnsureWriteLayout(ctx, std::move(table), write_order, properties));
  if (table->moved()) {
    return FailedPrecondition("table " + id.ToString() + " was written at another location and is read-only here");
  }
  MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* current, ib::CurrentSchema(table->metadata()));
  MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec, ib::DefaultPartitionSpec(table->metadata()));
  MEDLAKE_ASSIGN_OR_RETURN(ib::Schema schema,
                           EvolvedSchema(cols, current, table->metadata().last_column_id, &result.schema_changed));
  for (const auto& pf : spec->fields) {
    bool kept = false;
    for (const auto& f : schema.fields) kept = kept || f.id == pf.source_id;
    if (!kept) return InvalidArgument("a column partitioning " + id.ToString() + " would disappear");
  }
  storage::TableChange change;
  change.operation = "overwrite";
  change.properties = properties;
  if (result.schema_changed) change.new_schema = schema;
  MEDLAKE_ASSIGN_OR_RETURN(auto live, table->LiveFiles(std::nullopt));
  for (const auto& lf : live) {
    change.removed_file_paths.insert(lf.file.file_path);
    if (lf.file.content == ib::DataFileContent::kData) result.rows_removed += lf.file.record_count;
    if (lf.file.content == ib::DataFileContent::kPositionDeletes) result.rows_removed -= lf.file.record_count;
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::string cast, CastToTable(*ctx.connection, schema, query, {}, id.ToString()));
  MEDLAKE_ASSIGN_OR_RETURN(change.added_data_files, WriteDataFiles(ctx, {table.get(), &schema, spec}, cast));
  result.rows_written = RowsOf(change.added_data_files);
  if (change.added_data_files.empty() && change.removed_file_paths.empty()) change.operation = "append";
  MEDLAKE_ASSIGN_OR_RETURN(auto committed, storage::CommitTableChange(*ctx.catalog, *ctx.fs, *table, change, *ctx.clock));
  result.snapshot_id = committed->metadata().current_snapshot_id;
  return result;
}

Result<TableWriteResult> UpsertTableRows(const LakeExecutorContext& ctx, const storage::TableIdentifier& id,
                                         const std::string& query,
                                         const std::vector<std::string>& key_columns,
                                         const std::string& delete_column,
                                         const std::map<std::string, std::string>& properties,
                                         const std::vector<std::string>& write_order) {
  if (key_columns.empty()) return InvalidArgument("an upsert needs at least one key column");
  TableWriteResult result;
  MEDLAKE_ASSIGN_OR_RETURN(std::string suffix, RandomHex(6));
  const std::string delta = "__medlake_delta_" + suffix;
  MEDLAKE_RETURN_IF_ERROR(ctx.connection->Execute("CREATE TEMP TABLE " + delta + " AS " + query));
  struct Drop {
    Connection* c;
    std::string t;
    ~Drop() { (void)c->Execute("DROP TABLE IF EXISTS " + t); }
  } drop{ctx.connection, delta};

  MEDLAKE_ASSIGN_OR_RETURN(auto all_cols, QueryColumns(*ctx.connection, "SELECT * FROM " + delta));
  std::vector<ColumnInfo> cols;
  std::string stored;
  bool has_delete = false;
  for (const auto& c : all_cols) {
    if (!delete_column.empty() && c.name == delete_column) {
      has_delete = true;
      continue;
    }
    stored += (cols.empty() ? "" : ", ") + QuoteIdentifier(c.name);
    cols.push_back(c);
  }
  if (!delete_column.empty() && !has_delete) {
    return InvalidArgument("the rows have no column " + delete_column + " marking deletions");
  }
  for (const auto& k : key_columns) {
    bool found = false;
    for (const auto& c : cols) found = found || c.name == k;
    if (!found) return InvalidArgument("key column " + k + " is not among the rows' columns");
  }
  const std::string kept_rows =
      "SELECT " + stored + " FROM " + delta +
      (has_delete ? " WHERE NOT coalesce(" + QuoteIdentifier(delete_column) + ", false)" : "");

  MEDLAKE_ASSIGN_OR_RETURN(auto table, LoadOrCreate(ctx, id, cols, &result.created));
  if (table->moved()) {
    return FailedPrecondition("table " + id.ToString() + " was written at another location and is read-only here");
  }
  MEDLAKE_ASSIGN_OR_RETURN(table, EnsureWriteLayout(ctx, std::move(table), write_order, properties));
  MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(table->metadata()));
  MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec, ib::DefaultPartitionSpec(table->metadata()));
  bool changed = false;
  MEDLAKE_RETURN_IF_ERROR(EvolvedSchema(cols, schema, table->metadata().last_column_id, &changed).status());
  if (changed) {
    return FailedPrecondition("the columns of " + id.ToString() + " changed: the table must be rebuilt");
  }
  storage::TableChange change;
  change.operation = "append";
  change.properties = properties;
  if (!result.created && table->metadata().current_snapshot_id) {
    LakeTableResolver resolver(*ctx.catalog, *ctx.fs, ctx.access);
    resolver.SetRowIdTarget(id);
    MEDLAKE_ASSIGN_OR_RETURN(auto scan, resolver.Resolve(id.ns, id.name, std::nullopt, {}));
    if (!scan) return Internal("table " + id.ToString() + " did not resolve");
    std::string on;
    for (size_t i = 0; i < key_columns.size(); ++i) {
      std::string k = QuoteIdentifier(key_columns[i]);
      on += (i ? " AND " : "") + std::string("t.") + k + " IS NOT DISTINCT FROM d." + k;
    }
    std::string keys;
    for (size_t i = 0; i < key_columns.size(); ++i) keys += (i ? ", " : "") + QuoteIdentifier(key_columns[i]);
    std::string sql = std::string("SELECT t.") + kRowFileColumn + " AS file_path, t." + kRowPositionColumn +
                      " AS pos, sha256(t." + kRowFileColumn + ") AS __pf FROM (" + scan->sql +
                      ") t SEMI JOIN (SELECT DISTINCT " + keys + " FROM " + delta + ") d ON " + on +
                      " ORDER BY 1, 2";
    MEDLAKE_ASSIGN_OR_RETURN(result.rows_removed, WritePositionDeleteRows(ctx, *table, sql, &change));
    if (result.rows_removed > 0) change.operation = "overwrite";
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::string cast, CastToTable(*ctx.connection, *schema, kept_rows, {}, id.ToString()));
  MEDLAKE_ASSIGN_OR_RETURN(change.added_data_files, WriteDataFiles(ctx, {table.get(), schema, spec}, cast));
  result.rows_written = RowsOf(change.added_data_files);
  MEDLAKE_ASSIGN_OR_RETURN(auto committed, storage::CommitTableChange(*ctx.catalog, *ctx.fs, *table, change, *ctx.clock));
  result.snapshot_id = committed->metadata().current_snapshot_id;
  return result;
}

}  // namespace medlake::engine
