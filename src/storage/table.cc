#include "storage/table.h"

#include "storage/file_cache.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <chrono>
#include <cmath>
#include <random>
#include <set>
#include <thread>

#include "core/crypto.h"
#include "core/uuid.h"
#include "storage/iceberg/metadata_file.h"
#include "storage/iceberg/single_value.h"
#include "storage/iceberg/transform.h"
#include "storage/iceberg/types.h"

namespace medlake::storage {

namespace ib = iceberg;

namespace {

// Removes a URI scheme ("file://", "file:", "s3://") and a leading "./"; drops a trailing "/".
std::string StripScheme(std::string p) {
  if (p.rfind("file://", 0) == 0) {
    p = p.substr(7);
  } else if (p.rfind("file:", 0) == 0) {
    p = p.substr(5);
  } else {
    size_t colon = p.find("://");
    if (colon != std::string::npos && colon > 0) {
      bool scheme = true;
      for (size_t i = 0; i < colon; ++i) {
        char c = p[i];
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') scheme = false;
      }
      if (scheme) p = p.substr(colon + 3);
    }
  }
  while (p.rfind("./", 0) == 0) p = p.substr(2);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

Result<int64_t> NewSnapshotId(const ib::TableMetadata& m) {
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string raw, RandomBytes(8));
    uint64_t v = 0;
    for (char c : raw) v = (v << 8) | static_cast<unsigned char>(c);
    int64_t id = static_cast<int64_t>(v & 0x7FFFFFFFFFFFFFFFULL);
    if (id == 0) continue;
    bool used = false;
    for (const auto& s : m.snapshots) used = used || s.snapshot_id == id;
    if (!used) return id;
  }
}

// The version number of a metadata file name: v12.metadata.json -> 12, 00012-uuid... -> 12.
int64_t MetadataVersion(const std::string& path) {
  std::string name(Basename(path));
  size_t i = name.rfind('v', 0) == 0 ? 1 : 0;
  int64_t v = 0;
  bool any = false;
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) {
    v = v * 10 + (name[i] - '0');
    any = true;
    ++i;
  }
  return any ? v : 0;
}

// The columns of `schema` as a scan reads them; a double column that an earlier schema of the
// table held as float is marked (its older files store FLOAT).
std::vector<ScanColumn> ScanColumnsOf(const ib::TableMetadata& m, const ib::Schema& schema) {
  std::set<int32_t> were_float;  // one pass over the history, not one per column
  for (const auto& older : m.schemas) {
    for (const auto& f : older.fields) {
      if (f.type.id == ib::TypeId::kFloat) were_float.insert(f.id);
    }
  }
  std::vector<ScanColumn> out;
  for (const auto& f : schema.fields) {
    ScanColumn c{f.id, f.name, ib::TypeToJson(f.type), f.required};
    c.widened_from_float = f.type.id == ib::TypeId::kDouble && were_float.count(f.id) > 0;
    out.push_back(std::move(c));
  }
  return out;
}

const ib::Schema* SchemaForSpec(const ib::TableMetadata& m, const ib::PartitionSpec& spec) {
  auto has_all = [&spec](const ib::Schema& s) {
    for (const auto& f : spec.fields) {
      if (ib::FindFieldById(s, f.source_id) == nullptr) return false;
    }
    return true;
  };
  auto current = ib::CurrentSchema(m);
  if (current.ok() && has_all(**current)) return *current;
  for (auto it = m.schemas.rbegin(); it != m.schemas.rend(); ++it) {
    if (has_all(*it)) return &*it;
  }
  return current.ok() ? *current : nullptr;
}

std::string SummaryValue(int64_t v) { return std::to_string(v); }

// What a parsed table metadata holds in memory, for the parsed-file cache's budget (a gzip
// metadata file is ~12x smaller than its text, so the file size says little).
uint64_t ParsedMetadataCost(const ib::TableMetadata& m) {
  return 65536 + m.snapshots.size() * 2048 + m.snapshot_log.size() * 64 + m.metadata_log.size() * 256 +
         (m.schemas.size() + m.partition_specs.size()) * 8192;
}

// The entries of manifest `mf` (at `path`), parsed once per process (ParsedFileCache). What the
// entries inherit from the manifest list is part of the key (a manifest is listed with the same
// values by every snapshot that keeps it, but the key does not rely on that).
Result<std::shared_ptr<const std::vector<ib::ManifestEntry>>> ManifestEntries(
    const FileSystem& fs, const ib::ManifestFile& mf, const std::string& path, const ib::Schema& schema,
    const ib::PartitionSpec& spec) {
  std::string variant = std::to_string(mf.partition_spec_id) + "/" + std::to_string(schema.schema_id) + "/" +
                        std::to_string(mf.sequence_number) + "/" + std::to_string(mf.added_snapshot_id);
  auto entries = ParsedFileCache::Global().Get<std::vector<ib::ManifestEntry>>(
      fs, path, variant, [&](const std::string& bytes) { return ib::ReadManifest(bytes, schema, spec, mf); });
  if (!entries.ok()) return entries.status().WithContext("reading manifest " + path);
  return *entries;
}

}  // namespace

LakeTable::LakeTable(TableIdentifier id, ib::TableMetadata metadata, std::string metadata_location,
                     std::string local_root, FileSystem& fs)
    : LakeTable(std::move(id), std::make_shared<const ib::TableMetadata>(std::move(metadata)),
                std::move(metadata_location), std::move(local_root), fs) {}

LakeTable::LakeTable(TableIdentifier id, std::shared_ptr<const ib::TableMetadata> metadata,
                     std::string metadata_location, std::string local_root, FileSystem& fs)
    : id_(std::move(id)),
      metadata_(std::move(metadata)),
      metadata_location_(std::move(metadata_location)),
      local_root_(std::move(local_root)),
      fs_(fs) {
  stored_location_ = StripScheme(metadata_->location);
  moved_ = stored_location_ != local_root_;
}

Result<std::unique_ptr<LakeTable>> LakeTable::LoadMetadataFile(FileSystem& fs,
                                                               const std::string& metadata_path,
                                                               const TableIdentifier& id) {
  // Metadata files are immutable: the parsed form is shared across statements (file_cache.h).
  auto parsed = ParsedFileCache::Global().Get<ib::TableMetadata>(
      fs, metadata_path, "", [](const std::string& bytes) { return ib::ParseMetadataFile(bytes); },
      ParsedMetadataCost);
  if (!parsed.ok()) return parsed.status().WithContext("reading table metadata " + metadata_path);
  MEDLAKE_ASSIGN_OR_RETURN(std::string abs, AbsolutePath(metadata_path));
  std::string root(Dirname(Dirname(abs)));
  return std::make_unique<LakeTable>(id, *parsed, abs, root, fs);
}

Result<std::unique_ptr<LakeTable>> LakeTable::Load(Catalog& catalog, FileSystem& fs,
                                                   const TableIdentifier& id) {
  MEDLAKE_ASSIGN_OR_RETURN(CatalogTableEntry entry, catalog.LoadTable(id));
  return LoadMetadataFile(fs, entry.metadata_location, id);
}

std::string LakeTable::ResolvePath(const std::string& stored) const {
  std::string p = StripScheme(stored);
  if (!stored_location_.empty() && p.rfind(stored_location_ + "/", 0) == 0) {
    return local_root_ + p.substr(stored_location_.size());
  }
  if (p == stored_location_) return local_root_;
  std::string marker = "/" + std::string(Basename(local_root_)) + "/";
  size_t pos = p.rfind(marker);
  if (pos != std::string::npos) return local_root_ + p.substr(pos + marker.size() - 1);
  if (p.rfind(std::string(Basename(local_root_)) + "/", 0) == 0) {
    return local_root_ + p.substr(Basename(local_root_).size());
  }
  if (!p.empty() && p[0] != '/') return JoinPath(local_root_, p);
  return p;
}

Result<int64_t> LakeTable::SnapshotById(int64_t snapshot_id) const {
  auto s = ib::FindSnapshot(*metadata_, snapshot_id);
  if (!s.ok()) {
    return NotFound("table " + id_.ToString() + " has no snapshot " + std::to_string(snapshot_id));
  }
  return snapshot_id;
}

Result<int64_t> LakeTable::SnapshotAsOf(int64_t timestamp_ms) const {
  auto s = ib::SnapshotAsOf(*metadata_, timestamp_ms);
  if (!s.ok()) {
    return NotFound("table " + id_.ToString() + " had no snapshot at that time");
  }
  return (*s)->snapshot_id;
}

namespace {

// -1, 0, 1; nullopt when the two values cannot be compared (different kinds).
std::optional<int> CompareValues(const ib::Value& a, const ib::Value& b) {
  auto as_double = [](const ib::Value& v) -> std::optional<double> {
    if (auto* i = std::get_if<int32_t>(&v)) return static_cast<double>(*i);
    if (auto* l = std::get_if<int64_t>(&v)) return static_cast<double>(*l);
    if (auto* f = std::get_if<float>(&v)) return static_cast<double>(*f);
    if (auto* d = std::get_if<double>(&v)) return *d;
    return std::nullopt;
  };
  if (auto* x = std::get_if<int64_t>(&a)) {
    if (auto* y = std::get_if<int64_t>(&b)) return *x < *y ? -1 : (*x > *y ? 1 : 0);
  }
  if (auto* x = std::get_if<int32_t>(&a)) {
    if (auto* y = std::get_if<int32_t>(&b)) return *x < *y ? -1 : (*x > *y ? 1 : 0);
  }
  if (auto* x = std::get_if<std::string>(&a)) {
    if (auto* y = std::get_if<std::string>(&b)) {
      int c = x->compare(*y);  // byte order = UTF-8 code point order
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
  }
  if (auto* x = std::get_if<ib::Decimal>(&a)) {
    if (auto* y = std::get_if<ib::Decimal>(&b)) {
      ib::Int128 u = x->unscaled, v = y->unscaled;
      for (int s = x->scale; s < y->scale; ++s) u *= 10;
      for (int s = y->scale; s < x->scale; ++s) v *= 10;
      return u < v ? -1 : (u > v ? 1 : 0);
    }
  }
  if (auto* x = std::get_if<bool>(&a)) {
    if (auto* y = std::get_if<bool>(&b)) return *x == *y ? 0 : (*x ? 1 : -1);
  }
  auto da = as_double(a), db = as_double(b);
  // NaN has no place in a numeric order that bounds could use (DuckDB puts it above every
  // number, IEEE comparisons are all false): a NaN bound or value decides nothing.
  if (da && db && !std::isnan(*da) && !std::isnan(*db)) return *da < *db ? -1 : (*da > *db ? 1 : 0);
  return std::nullopt;
}

bool IsFloating(const ib::Type& type) {
  return type.id == ib::TypeId::kFloat || type.id == ib::TypeId::kDouble;
}

// Iceberg's bounds leave NaN out, but DuckDB (which runs the scan) orders NaN above every number:
// `x > 5` and `x >= 5` hold for NaN. A file's upper bound can rule those out only when the file is
// known to hold no NaN in the column (a NaN count of 0). `<`, `<=`, `=` and IN never match NaN
// (a NaN constant decides nothing, CompareValues), so the lower bound always serves.
bool UpperBoundIgnoresNaN(const ScanFilter& f, const ib::Type& type) {
  return IsFloating(type) && (f.op == ScanFilter::Op::kGt || f.op == ScanFilter::Op::kGe);
}

// Could a file whose values of the column lie in [lower, upper] (either may be unknown) hold a
// row matching `f`? Unknown always answers yes.
bool RangeMayMatch(const ScanFilter& f, const std::optional<ib::Value>& lower,
                   const std::optional<ib::Value>& upper) {
  auto cmp = [](const std::optional<ib::Value>& bound, const ib::Value& v) -> std::optional<int> {
    if (!bound) return std::nullopt;
    return CompareValues(*bound, v);
  };
  auto may_equal = [&](const ib::Value& v) {
    auto lo = cmp(lower, v), hi = cmp(upper, v);
    if (lo && *lo > 0) return false;
    if (hi && *hi < 0) return false;
    return true;
  };
  switch (f.op) {
    case ScanFilter::Op::kEq: return f.values.empty() || may_equal(f.values[0]);
    case ScanFilter::Op::kIn:
      for (const auto& v : f.values) {
        if (may_equal(v)) return true;
      }
      return f.values.empty();
    case ScanFilter::Op::kLt: {
      auto lo = f.values.empty() ? std::nullopt : cmp(lower, f.values[0]);
      return !(lo && *lo >= 0);
    }
    case ScanFilter::Op::kLe: {
      auto lo = f.values.empty() ? std::nullopt : cmp(lower, f.values[0]);
      return !(lo && *lo > 0);
    }
    case ScanFilter::Op::kGt: {
      auto hi = f.values.empty() ? std::nullopt : cmp(upper, f.values[0]);
      return !(hi && *hi <= 0);
    }
    case ScanFilter::Op::kGe: {
      auto hi = f.values.empty() ? std::nullopt : cmp(upper, f.values[0]);
      return !(hi && *hi < 0);
    }
    default: return true;
  }
}

const ib::NestedField* FieldOf(const ib::TableMetadata& m, int field_id) {
  auto schema = ib::CurrentSchema(m);
  if (!schema.ok()) return nullptr;
  return ib::FindFieldById(**schema, field_id);
}

std::optional<ib::Value> DecodeBound(const std::map<int32_t, std::string>& bounds, int id,
                                     const ib::Type& type) {
  auto it = bounds.find(id);
  if (it == bounds.end()) return std::nullopt;
  auto v = ib::DeserializeSingleValue(type, it->second);
  if (!v.ok()) return std::nullopt;
  return *v;
}

// Could data file `f` (of partition spec `spec`) hold a row matching every filter?
bool FileMayMatch(const ib::TableMetadata& m, const ib::PartitionSpec& spec, const ib::DataFile& f,
                  const std::vector<ScanFilter>& filters) {
  for (const auto& filter : filters) {
    const ib::NestedField* field = FieldOf(m, filter.field_id);
    if (field == nullptr || !field->type.is_primitive()) continue;
    auto nulls = f.null_value_counts.find(filter.field_id);
    auto values = f.value_counts.find(filter.field_id);
    bool all_null = nulls != f.null_value_counts.end() && values != f.value_counts.end() &&
                    nulls->second == values->second;
    if (filter.op == ScanFilter::Op::kIsNull) {
      if (nulls != f.null_value_counts.end() && nulls->second == 0) return false;
      continue;
    }
    if (filter.op == ScanFilter::Op::kIsNotNull) {
      if (all_null) return false;
      continue;
    }
    if (all_null) return false;  // comparisons never match NULL
    // Identity partition values are exact.
    for (size_t i = 0; i < spec.fields.size() && i < f.partition.size(); ++i) {
      const auto& pf = spec.fields[i];
      if (pf.source_id != filter.field_id || pf.transform.kind != ib::TransformKind::kIdentity) continue;
      if (ib::IsNull(f.partition[i])) return false;
      if (!RangeMayMatch(filter, f.partition[i], f.partition[i])) return false;
    }
    std::optional<ib::Value> upper = DecodeBound(f.upper_bounds, filter.field_id, field->type);
    if (upper && UpperBoundIgnoresNaN(filter, field->type)) {
      auto nans = f.nan_value_counts.find(filter.field_id);
      if (nans == f.nan_value_counts.end() || nans->second != 0) upper.reset();
    }
    if (!RangeMayMatch(filter, DecodeBound(f.lower_bounds, filter.field_id, field->type), upper)) {
      return false;
    }
  }
  return true;
}

size_t CodePoints(const std::string& utf8) {
  size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

// Does every row of data file `f` satisfy `filter`, as its metadata proves? Only equality and IN
// (the column holds one known value in the whole file: an identity partition value, or equal
// lower and upper bounds with a null count of 0) and IS NOT NULL (a null count of 0). Floating
// columns never (NaN is outside the bounds); values of other kinds than the column's never.
bool FileAllRowsMatch(const ib::TableMetadata& m, const ib::PartitionSpec& spec, const ib::DataFile& f,
                      const ScanFilter& filter) {
  const ib::NestedField* field = FieldOf(m, filter.field_id);
  if (field == nullptr || !field->type.is_primitive()) return false;
  auto nulls = f.null_value_counts.find(filter.field_id);
  const bool no_nulls = nulls != f.null_value_counts.end() && nulls->second == 0;
  if (filter.op == ScanFilter::Op::kIsNotNull) return no_nulls;
  if (filter.op != ScanFilter::Op::kEq && filter.op != ScanFilter::Op::kIn) return false;
  std::optional<ib::Value> only;
  for (size_t i = 0; i < spec.fields.size() && i < f.partition.size(); ++i) {
    const auto& pf = spec.fields[i];
    if (pf.source_id != filter.field_id || pf.transform.kind != ib::TransformKind::kIdentity) continue;
    if (ib::IsNull(f.partition[i])) return false;
    only = f.partition[i];
  }
  if (!only && no_nulls) {
    auto lower = DecodeBound(f.lower_bounds, filter.field_id, field->type);
    auto upper = DecodeBound(f.upper_bounds, filter.field_id, field->type);
    // A text bound of 16 or more code points may be a truncated one (Iceberg's default metrics
    // mode truncate(16)): equal truncated bounds say nothing of the whole values.
    const auto* text = lower ? std::get_if<std::string>(&*lower) : nullptr;
    const bool maybe_truncated = text != nullptr && CodePoints(*text) >= 16;
    if (lower && upper && lower->index() == upper->index() && CompareValues(*lower, *upper) == 0 && !maybe_truncated) {
      only = lower;
    }
  }
  if (!only || std::holds_alternative<float>(*only) || std::holds_alternative<double>(*only)) return false;
  for (const auto& v : filter.values) {
    if (v.index() == only->index() && CompareValues(v, *only) == 0) return true;
  }
  return false;
}

// Could any file of a manifest match, judging by its partition summaries (identity fields)?
bool ManifestMayMatch(const ib::TableMetadata& m, const ib::PartitionSpec& spec,
                      const ib::ManifestFile& mf, const std::vector<ScanFilter>& filters) {
  if (mf.content != ib::ManifestContent::kData) return true;
  auto schema = ib::CurrentSchema(m);
  if (!schema.ok()) return true;
  auto ptype = ib::PartitionType(spec, **schema);
  if (!ptype.ok()) return true;
  for (const auto& filter : filters) {
    for (size_t i = 0; i < spec.fields.size() && i < mf.partitions.size(); ++i) {
      const auto& pf = spec.fields[i];
      if (pf.source_id != filter.field_id || pf.transform.kind != ib::TransformKind::kIdentity) continue;
      const auto& sum = mf.partitions[i];
      const ib::Type& t = ptype->fields[i].type;
      if (filter.op == ScanFilter::Op::kIsNull) {
        if (!sum.contains_null) return false;
        continue;
      }
      if (filter.op == ScanFilter::Op::kIsNotNull) continue;
      std::optional<ib::Value> lo, hi;
      if (sum.lower_bound) {
        auto v = ib::DeserializeSingleValue(t, *sum.lower_bound);
        if (v.ok()) lo = *v;
      }
      if (sum.upper_bound) {
        auto v = ib::DeserializeSingleValue(t, *sum.upper_bound);
        if (v.ok()) hi = *v;
      }
      const bool may_hold_nan = IsFloating(t) && sum.contains_nan != std::optional<bool>(false);
      if (!lo && !hi && !sum.contains_null) continue;
      // Only nulls: no comparison matches. (Bounds leave NaN out too: a NaN may be there.)
      if (!lo && !hi && sum.contains_null && !may_hold_nan) return false;
      if (hi && may_hold_nan && UpperBoundIgnoresNaN(filter, t)) hi.reset();
      if (!RangeMayMatch(filter, lo, hi)) return false;
    }
  }
  return true;
}

}  // namespace

Result<std::vector<LiveFile>> LakeTable::LiveFiles(std::optional<int64_t> snapshot_id,
                                                   const std::vector<ScanFilter>& filters,
                                                   ScanPruning* pruning) const {
  ScanPruning local;
  ScanPruning& p = pruning ? *pruning : local;
  std::vector<LiveFile> out;
  const ib::Snapshot* snapshot = nullptr;
  if (snapshot_id) {
    MEDLAKE_ASSIGN_OR_RETURN(snapshot, ib::FindSnapshot(*metadata_, *snapshot_id));
  } else {
    if (!metadata_->current_snapshot_id) return out;
    MEDLAKE_ASSIGN_OR_RETURN(snapshot, ib::CurrentSnapshot(*metadata_));
  }
  std::string list_path = ResolvePath(snapshot->manifest_list);
  auto manifests = ParsedFileCache::Global().Get<std::vector<ib::ManifestFile>>(
      fs_, list_path, "", [](const std::string& bytes) { return ib::ReadManifestList(bytes); });
  if (!manifests.ok()) return manifests.status().WithContext("reading manifest list " + list_path);
  for (const ib::ManifestFile& mf : **manifests) {
    MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec,
                             ib::FindPartitionSpec(*metadata_, mf.partition_spec_id));
    const ib::Schema* schema = SchemaForSpec(*metadata_, *spec);
    if (schema == nullptr) return DataLoss("table " + id_.ToString() + " has no schema");
    ++p.manifests_total;
    if (!filters.empty() && !ManifestMayMatch(*metadata_, *spec, mf, filters)) {
      ++p.manifests_skipped;
      continue;
    }
    MEDLAKE_ASSIGN_OR_RETURN(auto entries, ManifestEntries(fs_, mf, ResolvePath(mf.manifest_path), *schema, *spec));
    for (const auto& e : *entries) {
      if (e.status == ib::ManifestEntryStatus::kDeleted) continue;
      if (e.data_file.content == ib::DataFileContent::kData) {
        ++p.files_total;
        if (!filters.empty() && !FileMayMatch(*metadata_, *spec, e.data_file, filters)) {
          ++p.files_skipped;
          continue;
        }
      }
      LiveFile lf;
      lf.data_sequence_number = e.sequence_number.value_or(0);
      lf.snapshot_id = e.snapshot_id.value_or(0);
      lf.spec_id = mf.partition_spec_id;
      lf.local_path = ResolvePath(e.data_file.file_path);
      lf.file = e.data_file;  // a copy: the cached entries are shared
      out.push_back(std::move(lf));
    }
  }
  return out;
}

Result<ScanPlan> LakeTable::PlanScan(std::optional<int64_t> snapshot_id,
                                     const std::vector<ScanFilter>& filters) const {
  ScanPlan plan;
  const ib::Schema* schema = nullptr;
  MEDLAKE_ASSIGN_OR_RETURN(schema, ib::CurrentSchema(*metadata_));
  if (snapshot_id) {
    MEDLAKE_ASSIGN_OR_RETURN(const ib::Snapshot* s, ib::FindSnapshot(*metadata_, *snapshot_id));
    if (s->schema_id) {
      auto older = ib::FindSchema(*metadata_, *s->schema_id);
      if (older.ok()) schema = *older;
    }
    plan.snapshot_id = *snapshot_id;
  } else {
    plan.snapshot_id = metadata_->current_snapshot_id;
  }
  plan.columns = ScanColumnsOf(*metadata_, *schema);
  MEDLAKE_ASSIGN_OR_RETURN(auto files, LiveFiles(snapshot_id, filters, &plan.pruning));
  for (const LiveFile& lf : files) {
    const ib::DataFile& f = lf.file;
    if (f.content == ib::DataFileContent::kData) {
      plan.data_files.push_back(ScanDataFile{lf.local_path, f.file_path, lf.data_sequence_number,
                                             f.record_count, f.file_size_in_bytes, lf.spec_id});
      if (!filters.empty()) {
        MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec, ib::FindPartitionSpec(*metadata_, lf.spec_id));
        for (size_t i = 0; i < filters.size() && i < 64; ++i) {
          if (FileAllRowsMatch(*metadata_, *spec, f, filters[i])) plan.data_files.back().filters_hold |= uint64_t{1} << i;
        }
      }
    } else {
      ScanDeleteFile d;
      d.content = f.content == ib::DataFileContent::kPositionDeletes
                      ? ScanDeleteFile::Content::kPosition
                      : ScanDeleteFile::Content::kEquality;
      d.path = lf.local_path;
      d.original_path = f.file_path;
      d.data_sequence_number = lf.data_sequence_number;
      d.record_count = f.record_count;
      d.equality_ids = f.equality_ids;
      d.referenced_data_file = f.referenced_data_file.value_or("");
      plan.delete_files.push_back(std::move(d));
    }
  }
  return plan;
}

Result<std::optional<ScanPlan>> LakeTable::PlanAppendedScan(int64_t since) const {
  if (!metadata_->current_snapshot_id) return std::optional<ScanPlan>();
  // Walk back from the current snapshot to `since`; every snapshot on the way must be an append.
  const ib::Snapshot* base = nullptr;
  std::optional<int64_t> cursor = metadata_->current_snapshot_id;
  while (cursor) {
    auto found = ib::FindSnapshot(*metadata_, *cursor);
    if (!found.ok()) return std::optional<ScanPlan>();  // history expired before `since`
    if ((*found)->snapshot_id == since) {
      base = *found;
      break;
    }
    if ((*found)->operation() != "append") return std::optional<ScanPlan>();
    cursor = (*found)->parent_snapshot_id;
  }
  if (base == nullptr) return std::optional<ScanPlan>();
  ScanPlan plan;
  MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(*metadata_));
  plan.columns = ScanColumnsOf(*metadata_, *schema);
  plan.snapshot_id = metadata_->current_snapshot_id;
  if (*metadata_->current_snapshot_id == since) return std::optional<ScanPlan>(std::move(plan));
  const int64_t since_seq = base->sequence_number;
  MEDLAKE_ASSIGN_OR_RETURN(const ib::Snapshot* current, ib::CurrentSnapshot(*metadata_));
  std::string list_path = ResolvePath(current->manifest_list);
  auto list_bytes = fs_.ReadFile(list_path);
  if (!list_bytes.ok()) return list_bytes.status().WithContext("reading manifest list " + list_path);
  auto manifests = ib::ReadManifestList(*list_bytes);
  if (!manifests.ok()) return manifests.status().WithContext("reading manifest list " + list_path);
  for (const ib::ManifestFile& mf : *manifests) {
    // Appends never rewrite manifests: one written at or before `since` holds only older files.
    if (mf.content != ib::ManifestContent::kData || mf.sequence_number <= since_seq) continue;
    ++plan.pruning.manifests_total;
    MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec,
                             ib::FindPartitionSpec(*metadata_, mf.partition_spec_id));
    const ib::Schema* mschema = SchemaForSpec(*metadata_, *spec);
    if (mschema == nullptr) return DataLoss("table " + id_.ToString() + " has no schema");
    std::string path = ResolvePath(mf.manifest_path);
    auto bytes = fs_.ReadFile(path);
    if (!bytes.ok()) return bytes.status().WithContext("reading manifest " + path);
    auto entries = ib::ReadManifest(*bytes, *mschema, *spec, mf);
    if (!entries.ok()) return entries.status().WithContext("reading manifest " + path);
    for (const auto& e : *entries) {
      if (e.status == ib::ManifestEntryStatus::kDeleted) continue;
      int64_t seq = e.sequence_number.value_or(0);
      if (seq <= since_seq || e.data_file.content != ib::DataFileContent::kData) continue;
      ++plan.pruning.files_total;
      plan.data_files.push_back(ScanDataFile{ResolvePath(e.data_file.file_path), e.data_file.file_path,
                                             seq, e.data_file.record_count,
                                             e.data_file.file_size_in_bytes, mf.partition_spec_id});
    }
  }
  return std::optional<ScanPlan>(std::move(plan));
}

Result<std::optional<ChangePlan>> LakeTable::PlanChanges(int64_t since) const {
  if (!metadata_->current_snapshot_id) return std::optional<ChangePlan>();
  const ib::Snapshot* base = nullptr;
  for (std::optional<int64_t> cursor = metadata_->current_snapshot_id; cursor;) {
    auto found = ib::FindSnapshot(*metadata_, *cursor);
    if (!found.ok()) return std::optional<ChangePlan>();  // history expired before `since`
    if ((*found)->snapshot_id == since) {
      base = *found;
      break;
    }
    cursor = (*found)->parent_snapshot_id;
  }
  if (base == nullptr) return std::optional<ChangePlan>();
  MEDLAKE_ASSIGN_OR_RETURN(ScanPlan then, PlanScan(since));
  MEDLAKE_ASSIGN_OR_RETURN(ScanPlan now, PlanScan(std::nullopt));
  std::set<std::string> then_files;
  std::set<std::string> now_files;
  for (const auto& f : then.data_files) then_files.insert(f.original_path);
  for (const auto& f : now.data_files) now_files.insert(f.original_path);
  // The older files that may have lost rows: gone now, or named by a delete file added since.
  std::set<std::string> touched;
  bool all_touched = false;
  for (const auto& d : now.delete_files) {
    if (d.data_sequence_number <= base->sequence_number) continue;
    if (d.content == ScanDeleteFile::Content::kPosition && !d.referenced_data_file.empty()) {
      touched.insert(d.referenced_data_file);
    } else {
      all_touched = true;  // an equality delete, or position deletes of any file
    }
  }
  for (const auto& f : then.data_files) {
    if (all_touched || !now_files.count(f.original_path)) touched.insert(f.original_path);
  }
  // The files of `from` that `keep` accepts, with the delete files that can apply to them
  // (position deletes naming another file cannot).
  auto subset = [](const ScanPlan& from, auto keep) {
    ScanPlan out;
    out.columns = from.columns;
    out.snapshot_id = from.snapshot_id;
    std::set<std::string> files;
    for (const auto& f : from.data_files) {
      if (!keep(f.original_path)) continue;
      out.data_files.push_back(f);
      files.insert(f.original_path);
    }
    for (const auto& d : from.delete_files) {
      if (d.content != ScanDeleteFile::Content::kPosition || d.referenced_data_file.empty() ||
          files.count(d.referenced_data_file)) {
        out.delete_files.push_back(d);
      }
    }
    return out;
  };
  ChangePlan plan;
  plan.added = subset(now, [&](const std::string& path) { return !then_files.count(path); });
  plan.before = subset(then, [&](const std::string& path) { return touched.count(path) > 0; });
  plan.after = subset(now, [&](const std::string& path) { return touched.count(path) && then_files.count(path); });
  for (const auto& d : now.delete_files) {
    if (d.data_sequence_number > base->sequence_number) plan.new_deletes.push_back(d);
  }
  return std::optional<ChangePlan>(std::move(plan));
}

Result<std::unique_ptr<LakeTable>> CreateLakeTable(Catalog& catalog, FileSystem& fs,
                                                   const std::string& warehouse,
                                                   const CreateTableRequest& request,
                                                   const Clock& clock) {
  // The name becomes a directory: it is checked before anything is created (a name such as
  // "/tmp/x" or "../x" must never leave the warehouse).
  MEDLAKE_RETURN_IF_ERROR(catalog.ValidateName("table", request.id.name));
  MEDLAKE_ASSIGN_OR_RETURN(bool ns_exists, catalog.NamespaceExists(request.id.ns));
  if (!ns_exists) return NotFound("namespace " + request.id.ns + " does not exist");
  MEDLAKE_ASSIGN_OR_RETURN(bool exists, catalog.TableExists(request.id));
  if (exists) return AlreadyExists("table " + request.id.ToString() + " already exists");
  MEDLAKE_RETURN_IF_ERROR(ib::ValidateSchema(request.schema));

  std::string location = JoinPath(JoinPath(warehouse, request.id.ns), request.id.name);
  if (location.rfind(JoinPath(warehouse, request.id.ns) + "/", 0) != 0) {
    return InvalidArgument("table name '" + request.id.name + "' would leave the warehouse");
  }
  MEDLAKE_ASSIGN_OR_RETURN(bool dir_exists, fs.Exists(location));
  if (dir_exists) {
    // Leftovers of a dropped table: never mix files of two tables.
    MEDLAKE_ASSIGN_OR_RETURN(std::string suffix, RandomHex(4));
    location += "-" + suffix;
  }
  MEDLAKE_RETURN_IF_ERROR(fs.CreateDirectories(JoinPath(location, "metadata")));
  MEDLAKE_RETURN_IF_ERROR(fs.CreateDirectories(JoinPath(location, "data")));

  ib::TableMetadata m;
  m.format_version = 2;
  MEDLAKE_ASSIGN_OR_RETURN(Uuid uuid, Uuid::RandomV4());
  m.table_uuid = uuid.ToString();
  m.location = location;
  m.last_sequence_number = 0;
  m.last_updated_ms = clock.NowMillis();
  m.schemas = {request.schema};
  m.schemas[0].schema_id = 0;
  m.current_schema_id = 0;
  m.last_column_id = ib::HighestFieldId(request.schema);
  m.partition_specs = {request.spec};
  m.partition_specs[0].spec_id = 0;
  m.default_spec_id = 0;
  m.last_partition_id = std::max(ib::kPartitionDataIdStart - 1, ib::HighestPartitionFieldId(request.spec));
  m.properties = request.properties;
  m.properties.emplace("write.format.default", "parquet");
  ib::SortOrder unsorted;
  unsorted.order_id = 0;
  m.sort_orders = {unsorted};
  m.default_sort_order_id = 0;

  MEDLAKE_ASSIGN_OR_RETURN(ib::MetadataCodec codec, ib::MetadataCodecOf(m.properties));
  std::string path = JoinPath(location, std::string("metadata/v1") + ib::MetadataFileSuffix(codec));
  MEDLAKE_RETURN_IF_ERROR(fs.WriteFileExclusive(path, ib::SerializeMetadataFile(m, codec)));
  Status registered = catalog.CreateTable(request.id, path);
  if (!registered.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(location, ec);
    return registered;
  }
  MEDLAKE_RETURN_IF_ERROR(fs.WriteFileAtomic(JoinPath(location, "metadata/version-hint.text"), "1"));
  return std::make_unique<LakeTable>(request.id, std::move(m), path, location, fs);
}

Result<std::unique_ptr<LakeTable>> RegisterLakeTable(Catalog& catalog, FileSystem& fs,
                                                     const TableIdentifier& id,
                                                     const std::string& path_in) {
  MEDLAKE_ASSIGN_OR_RETURN(std::string path, AbsolutePath(path_in));
  MEDLAKE_ASSIGN_OR_RETURN(bool is_dir, fs.IsDirectory(path));
  std::string metadata_path = path;
  if (is_dir) {
    std::string meta_dir = JoinPath(path, "metadata");
    auto hint = fs.ReadFile(JoinPath(meta_dir, "version-hint.text"));
    // v<N>.metadata.json, or a compressed one: v<N>.gz.metadata.json, or the older
    // v<N>.metadata.json.gz (Java's HadoopTableOperations looks for each).
    auto versioned = [&](int64_t v) {
      const std::string stem = JoinPath(meta_dir, "v" + std::to_string(v));
      for (const char* suffix : ib::kMetadataFileSuffixes) {
        auto there = fs.Exists(stem + suffix);
        if (there.ok() && *there) return stem + suffix;
      }
      return stem + ib::kMetadataFileSuffixes[0];
    };
    int64_t hinted = -1;
    if (hint.ok()) {
      std::string v = *hint;
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
      const bool digits = !v.empty() && v.size() < 18 &&
                          std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); });
      if (digits) hinted = std::stoll(v);
    }
    // The hint is written without a sync: one that is missing, unreadable or names no file is
    // ignored (the folder is listed instead), and one that is behind is followed forward while
    // the next version exists (as Java's HadoopTableOperations does).
    auto hinted_exists = hinted < 0 ? Result<bool>(false) : fs.Exists(versioned(hinted));
    if (hinted_exists.ok() && *hinted_exists) {
      for (int steps = 0; steps < 1000; ++steps) {
        auto next = fs.Exists(versioned(hinted + 1));
        if (!next.ok() || !*next) break;
        ++hinted;
      }
      metadata_path = versioned(hinted);
    } else {
      // Catalog-style names (00001-<uuid>.metadata.json): the highest version wins.
      MEDLAKE_ASSIGN_OR_RETURN(auto entries, fs.ListDirectory(meta_dir));
      int64_t best = -1;
      for (const auto& e : entries) {
        if (ib::IsMetadataFileName(e.name)) {
          int64_t v = MetadataVersion(e.name);
          if (v > best) {
            best = v;
            metadata_path = JoinPath(meta_dir, e.name);
          }
        }
      }
      if (best < 0) return NotFound("no metadata file in " + meta_dir);
    }
  }
  MEDLAKE_ASSIGN_OR_RETURN(auto table, LakeTable::LoadMetadataFile(fs, metadata_path, id));
  MEDLAKE_RETURN_IF_ERROR(catalog.CreateTable(id, table->metadata_location()));
  return table;
}

namespace {

// Writes `bytes` to a new file in the table's metadata folder; returns its path.
Result<std::string> WriteMetadataFile(FileSystem& fs, const LakeTable& table,
                                      const std::string& name, const std::string& bytes) {
  std::string path = JoinPath(JoinPath(table.local_root(), "metadata"), name);
  // Its directory entry is made durable with the metadata file's (WriteNextMetadataFile).
  MEDLAKE_RETURN_IF_ERROR(fs.WriteFileExclusive(path, bytes, WriteSync::kDataOnly));
  return path;
}

// Writes a manifest of `entries` for snapshot `snapshot_id` (sequence number `seq`) into the
// table's metadata folder as `name`; returns its manifest-list entry.
Result<ib::ManifestFile> WriteCommitManifest(FileSystem& fs, const LakeTable& base, const ib::Schema& schema,
                                             const ib::PartitionSpec& spec, ib::ManifestContent content,
                                             int64_t snapshot_id, int64_t seq,
                                             const std::vector<ib::ManifestEntry>& entries, const std::string& name) {
  MEDLAKE_ASSIGN_OR_RETURN(ib::WrittenManifest w, ib::WriteManifest(schema, spec, content, snapshot_id, entries));
  MEDLAKE_ASSIGN_OR_RETURN(std::string path, WriteMetadataFile(fs, base, name, w.bytes));
  w.summary.manifest_path = path;
  w.summary.manifest_length = static_cast<int64_t>(w.bytes.size());
  w.summary.sequence_number = seq;
  // Entries that inherit their sequence number (added by this snapshot) have it from the list.
  if (w.summary.min_sequence_number == INT64_MAX) w.summary.min_sequence_number = seq;
  return std::move(w.summary);
}

// Rewrites the manifests `bin` (same content, same spec) as one manifest of snapshot
// `snapshot_id`: its own additions stay added (sequence numbers inherited), its own deletions stay
// deleted, older deletions are dropped and everything else becomes existing with its sequence
// numbers written out. nullopt when nothing is left.
Result<std::optional<ib::ManifestFile>> MergeBin(FileSystem& fs, const LakeTable& base, const ib::TableMetadata& m,
                                                 const std::vector<const ib::ManifestFile*>& bin,
                                                 int64_t snapshot_id, int64_t seq, const std::string& name) {
  MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec, ib::FindPartitionSpec(m, bin[0]->partition_spec_id));
  const ib::Schema* schema = SchemaForSpec(m, *spec);
  if (schema == nullptr) return DataLoss("table " + base.id().ToString() + " has no schema");
  std::vector<ib::ManifestEntry> merged;
  for (const ib::ManifestFile* mf : bin) {
    MEDLAKE_ASSIGN_OR_RETURN(auto entries,
                             ManifestEntries(fs, *mf, base.ResolvePath(mf->manifest_path), *schema, *spec));
    for (ib::ManifestEntry e : *entries) {
      const bool ours = e.snapshot_id == snapshot_id;
      if (e.status == ib::ManifestEntryStatus::kDeleted && !ours) continue;
      if (e.status == ib::ManifestEntryStatus::kAdded && ours) {
        e.sequence_number.reset();
        e.file_sequence_number.reset();
      } else if (e.status != ib::ManifestEntryStatus::kDeleted) {
        e.status = ib::ManifestEntryStatus::kExisting;
        e.file_sequence_number = e.file_sequence_number.value_or(e.sequence_number.value_or(0));
      }
      merged.push_back(std::move(e));
    }
  }
  if (merged.empty()) return std::optional<ib::ManifestFile>();
  MEDLAKE_ASSIGN_OR_RETURN(ib::ManifestFile written, WriteCommitManifest(fs, base, *schema, *spec, bin[0]->content,
                                                                         snapshot_id, seq, merged, name));
  return std::optional<ib::ManifestFile>(std::move(written));
}

// Manifest merging (ManifestMergePolicy): `manifests`, newest first, becomes the list to commit.
Status MergeManifests(FileSystem& fs, const LakeTable& base, const ib::TableMetadata& m,
                      const ManifestMergePolicy& policy, int64_t snapshot_id, int64_t seq, const std::string& tag,
                      std::vector<ib::ManifestFile>* manifests) {
  if (!policy.enabled || manifests->size() < 2) return Status::OK();
  // Groups by content and spec, in order of their newest manifest.
  std::vector<std::vector<const ib::ManifestFile*>> groups;
  std::map<std::pair<int, int32_t>, size_t> group_of;
  for (const ib::ManifestFile& mf : *manifests) {
    auto key = std::make_pair(static_cast<int>(mf.content), mf.partition_spec_id);
    auto [it, fresh] = group_of.emplace(key, groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(&mf);
  }
  std::vector<ib::ManifestFile> out;
  int written = 0;
  for (const auto& group : groups) {
    // Bins packed from the oldest manifest on, so the newest bin is the one left partly filled.
    std::vector<std::vector<const ib::ManifestFile*>> bins;
    int64_t weight = 0;
    for (auto it = group.rbegin(); it != group.rend(); ++it) {
      const int64_t length = std::max<int64_t>((*it)->manifest_length, 0);
      if (bins.empty() || weight + length > policy.target_size_bytes) {
        bins.emplace_back();
        weight = 0;
      }
      bins.back().push_back(*it);
      weight += length;
    }
    std::reverse(bins.begin(), bins.end());
    for (size_t b = 0; b < bins.size(); ++b) {
      auto& bin = bins[b];
      std::reverse(bin.begin(), bin.end());
      if (bin.size() == 1 || (b == 0 && static_cast<int64_t>(bin.size()) < policy.min_count_to_merge)) {
        for (const ib::ManifestFile* mf : bin) out.push_back(*mf);
        continue;
      }
      MEDLAKE_ASSIGN_OR_RETURN(std::optional<ib::ManifestFile> merged,
                               MergeBin(fs, base, m, bin, snapshot_id, seq,
                                        tag + "-g" + std::to_string(written++) + ".avro"));
      if (merged) out.push_back(std::move(*merged));
    }
  }
  *manifests = std::move(out);
  return Status::OK();
}

Result<std::unique_ptr<LakeTable>> ApplyOnce(Catalog& catalog, FileSystem& fs,
                                             const LakeTable& base, const TableChange& change,
                                             const Clock& clock, int attempt) {
  const ib::TableMetadata& bm = base.metadata();
  ib::TableMetadata m = bm;
  int64_t now = std::max(clock.NowMillis(), bm.last_updated_ms);
  m.last_updated_ms = now;
  for (const auto& [k, v] : change.properties) m.properties[k] = v;
  // Checked before any file is written (WriteNextMetadataFile uses it last).
  MEDLAKE_RETURN_IF_ERROR(ib::MetadataCodecOf(m.properties).status());
  if (change.new_sort_order) {
    if (change.new_sort_order->fields.empty()) {
      m.default_sort_order_id = ib::kUnsortedOrderId;
    } else {
      int32_t id = -1, next = 1;
      for (const auto& existing : m.sort_orders) {
        if (existing.order_id != ib::kUnsortedOrderId && existing.fields == change.new_sort_order->fields) {
          id = existing.order_id;
        }
        next = std::max(next, existing.order_id + 1);
      }
      if (id < 0) {
        ib::SortOrder order = *change.new_sort_order;
        order.order_id = id = next;
        m.sort_orders.push_back(std::move(order));
      }
      m.default_sort_order_id = id;
    }
  }
  if (change.new_schema) {
    ib::Schema s = *change.new_schema;
    int32_t next_id = 0;
    for (const auto& existing : m.schemas) next_id = std::max(next_id, existing.schema_id + 1);
    s.schema_id = next_id;
    MEDLAKE_RETURN_IF_ERROR(ib::ValidateSchema(s));
    m.schemas.push_back(s);
    m.current_schema_id = s.schema_id;
    m.last_column_id = std::max(m.last_column_id, ib::HighestFieldId(s));
  }
  bool files_change = !change.added_data_files.empty() || !change.added_delete_files.empty() ||
                      !change.removed_file_paths.empty();
  if (files_change) {
    MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(m));
    MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* spec, ib::DefaultPartitionSpec(m));
    MEDLAKE_ASSIGN_OR_RETURN(int64_t snapshot_id, NewSnapshotId(m));
    int64_t seq = bm.last_sequence_number + 1;
    MEDLAKE_ASSIGN_OR_RETURN(Uuid commit_uuid, Uuid::RandomV4());
    std::string tag = commit_uuid.ToString();

    // Carry the parent's manifests, rewriting those that hold removed files.
    std::vector<ib::ManifestFile> manifests;
    std::set<std::string> live_data;
    std::set<std::string> removed_found;
    int64_t deleted_files = 0, deleted_records = 0;
    if (bm.current_snapshot_id) {
      MEDLAKE_ASSIGN_OR_RETURN(const ib::Snapshot* parent, ib::CurrentSnapshot(bm));
      std::string list_path = base.ResolvePath(parent->manifest_list);
      MEDLAKE_ASSIGN_OR_RETURN(std::string list_bytes, fs.ReadFile(list_path));
      auto parent_manifests = ib::ReadManifestList(list_bytes);
      if (!parent_manifests.ok()) {
        return parent_manifests.status().WithContext("reading manifest list " + list_path);
      }
      int rewritten = 0;
      // A pure append keeps the parent's manifests as they are: only the list is read.
      const bool needs_entries = !change.removed_file_paths.empty() || !change.required_live_files.empty();
      for (const ib::ManifestFile& mf : *parent_manifests) {
        if (!needs_entries) {
          manifests.push_back(mf);
          continue;
        }
        MEDLAKE_ASSIGN_OR_RETURN(const ib::PartitionSpec* mspec,
                                 ib::FindPartitionSpec(bm, mf.partition_spec_id));
        const ib::Schema* mschema = SchemaForSpec(bm, *mspec);
        if (mschema == nullptr) return DataLoss("table " + base.id().ToString() + " has no schema");
        MEDLAKE_ASSIGN_OR_RETURN(auto entries,
                                 ManifestEntries(fs, mf, base.ResolvePath(mf.manifest_path), *mschema, *mspec));
        bool touched = false;
        for (const auto& e : *entries) {
          if (e.status == ib::ManifestEntryStatus::kDeleted) continue;
          if (e.data_file.content == ib::DataFileContent::kData) live_data.insert(e.data_file.file_path);
          if (change.removed_file_paths.count(e.data_file.file_path)) touched = true;
        }
        if (!touched) {
          manifests.push_back(mf);
          continue;
        }
        std::vector<ib::ManifestEntry> kept;
        for (auto e : *entries) {
          if (e.status == ib::ManifestEntryStatus::kDeleted) continue;
          e.file_sequence_number = e.file_sequence_number.value_or(e.sequence_number.value_or(0));
          if (change.removed_file_paths.count(e.data_file.file_path)) {
            removed_found.insert(e.data_file.file_path);
            e.status = ib::ManifestEntryStatus::kDeleted;
            e.snapshot_id = snapshot_id;
            if (e.data_file.content == ib::DataFileContent::kData) {
              ++deleted_files;
              deleted_records += e.data_file.record_count;
            }
          } else {
            e.status = ib::ManifestEntryStatus::kExisting;
          }
          kept.push_back(std::move(e));
        }
        MEDLAKE_ASSIGN_OR_RETURN(ib::ManifestFile written,
                                 WriteCommitManifest(fs, base, *mschema, *mspec, mf.content, snapshot_id, seq, kept,
                                                     tag + "-r" + std::to_string(rewritten++) + ".avro"));
        manifests.push_back(std::move(written));
      }
    }
    for (const auto& p : change.required_live_files) {
      if (!live_data.count(p)) {
        return Aborted("commit conflict on " + base.id().ToString() +
                       ": a data file this change depends on was removed by another commit");
      }
    }
    for (const auto& p : change.removed_file_paths) {
      if (!removed_found.count(p)) {
        return Aborted("commit conflict on " + base.id().ToString() +
                       ": a file to remove is no longer live");
      }
    }

    std::vector<ib::ManifestFile> added;
    auto write_new = [&](const std::vector<ib::DataFile>& files, ib::ManifestContent content,
                         const std::string& suffix) -> Status {
      if (files.empty()) return Status::OK();
      std::vector<ib::ManifestEntry> entries;
      for (const auto& f : files) {
        ib::ManifestEntry e;
        e.status = ib::ManifestEntryStatus::kAdded;
        e.data_file = f;
        entries.push_back(std::move(e));
      }
      MEDLAKE_ASSIGN_OR_RETURN(ib::ManifestFile written, WriteCommitManifest(fs, base, *schema, *spec, content,
                                                                             snapshot_id, seq, entries, tag + suffix));
      added.push_back(std::move(written));
      return Status::OK();
    };
    MEDLAKE_RETURN_IF_ERROR(write_new(change.added_data_files, ib::ManifestContent::kData, "-m0.avro"));
    MEDLAKE_RETURN_IF_ERROR(write_new(change.added_delete_files, ib::ManifestContent::kDeletes, "-m1.avro"));
    manifests.insert(manifests.begin(), added.begin(), added.end());
    MEDLAKE_ASSIGN_OR_RETURN(ManifestMergePolicy merge_policy, ManifestMergePolicyOf(m.properties));
    MEDLAKE_RETURN_IF_ERROR(MergeManifests(fs, base, m, merge_policy, snapshot_id, seq, tag, &manifests));

    MEDLAKE_ASSIGN_OR_RETURN(
        std::string list_bytes,
        ib::WriteManifestList(manifests, snapshot_id, bm.current_snapshot_id, seq));
    MEDLAKE_ASSIGN_OR_RETURN(
        std::string list_path,
        WriteMetadataFile(fs, base,
                          "snap-" + std::to_string(snapshot_id) + "-" + std::to_string(attempt) +
                              "-" + tag + ".avro",
                          list_bytes));

    // Snapshot summary (spec Appendix F keys).
    std::map<std::string, std::string> summary;
    summary["operation"] = change.operation;
    int64_t added_records = 0, added_size = 0, added_pos = 0, added_eq = 0;
    for (const auto& f : change.added_data_files) {
      added_records += f.record_count;
      added_size += f.file_size_in_bytes;
    }
    for (const auto& f : change.added_delete_files) {
      if (f.content == ib::DataFileContent::kPositionDeletes) {
        added_pos += f.record_count;
      } else {
        added_eq += f.record_count;
      }
    }
    if (!change.added_data_files.empty()) {
      summary["added-data-files"] = SummaryValue(static_cast<int64_t>(change.added_data_files.size()));
      summary["added-records"] = SummaryValue(added_records);
      summary["added-files-size"] = SummaryValue(added_size);
    }
    if (!change.added_delete_files.empty()) {
      summary["added-delete-files"] = SummaryValue(static_cast<int64_t>(change.added_delete_files.size()));
      if (added_pos) summary["added-position-deletes"] = SummaryValue(added_pos);
      if (added_eq) summary["added-equality-deletes"] = SummaryValue(added_eq);
    }
    if (deleted_files) {
      summary["deleted-data-files"] = SummaryValue(deleted_files);
      summary["deleted-records"] = SummaryValue(deleted_records);
    }
    int64_t total_records = 0, total_data = 0, total_delete_files = 0, total_pos = 0;
    for (const auto& mf : manifests) {
      if (mf.content == ib::ManifestContent::kData) {
        total_records += mf.added_rows_count + mf.existing_rows_count;
        total_data += mf.added_files_count + mf.existing_files_count;
      } else {
        total_delete_files += mf.added_files_count + mf.existing_files_count;
        total_pos += mf.added_rows_count + mf.existing_rows_count;
      }
    }
    summary["total-records"] = SummaryValue(total_records);
    summary["total-data-files"] = SummaryValue(total_data);
    summary["total-delete-files"] = SummaryValue(total_delete_files);
    summary["total-position-deletes"] = SummaryValue(total_pos);

    ib::Snapshot snap;
    snap.snapshot_id = snapshot_id;
    snap.parent_snapshot_id = bm.current_snapshot_id;
    snap.sequence_number = seq;
    snap.timestamp_ms = now;
    snap.manifest_list = list_path;
    snap.summary = std::move(summary);
    snap.schema_id = m.current_schema_id;
    m.snapshots.push_back(snap);
    m.snapshot_log.push_back(ib::SnapshotLogEntry{now, snapshot_id});
    m.current_snapshot_id = snapshot_id;
    ib::SnapshotRef main;
    main.snapshot_id = snapshot_id;
    main.type = ib::SnapshotRefType::kBranch;
    m.refs[ib::kMainBranch] = main;
    m.last_sequence_number = seq;
  }
  if (!change.expire_snapshot_ids.empty()) {
    if (m.current_snapshot_id && change.expire_snapshot_ids.count(*m.current_snapshot_id)) {
      return InvalidArgument("the current snapshot cannot be expired");
    }
    ib::RemoveSnapshots(&m, change.expire_snapshot_ids);
  }
  m.metadata_log.push_back(ib::MetadataLogEntry{bm.last_updated_ms, base.metadata_location()});
  // Keep the metadata log bounded (Iceberg's write.metadata.previous-versions-max default).
  constexpr size_t kMaxMetadataLog = 100;
  if (m.metadata_log.size() > kMaxMetadataLog) {
    m.metadata_log.erase(m.metadata_log.begin(),
                         m.metadata_log.begin() + static_cast<long>(m.metadata_log.size() - kMaxMetadataLog));
  }

  MEDLAKE_ASSIGN_OR_RETURN(std::string metadata_path,
                           WriteNextMetadataFile(fs, base.local_root(), base.metadata_location(), m));
  MEDLAKE_RETURN_IF_ERROR(
      catalog.CommitTable(base.id(), base.metadata_location(), metadata_path));
  // For file-based readers; the catalog pointer is the source of truth. Not synced: after a
  // power failure the hint may be old or empty, and readers then list the metadata folder
  // (RegisterLakeTable here, HadoopTableOperations in Java).
  (void)fs.WriteFileAtomic(JoinPath(JoinPath(base.local_root(), "metadata"), "version-hint.text"),
                           std::to_string(MetadataVersion(metadata_path)), WriteSync::kNone);
  // The next statement of this process loads the table through the catalog and finds this
  // version: it gets this metadata, with its snapshots' JSON text and compressed runs, instead
  // of reading and parsing the file (127 ms at 10,000 snapshots; bench/README.md section 3).
  // The base version it supersedes leaves the cache: at ~2 KB per snapshot of estimated cost,
  // a stream of commits on a long history would otherwise fill it with old versions and push
  // out the manifests that queries plan with.
  auto committed = std::make_shared<const ib::TableMetadata>(std::move(m));
  ParsedFileCache::Global().Erase<ib::TableMetadata>(base.metadata_location(), "");
  ParsedFileCache::Global().Put(fs, metadata_path, "", committed, ParsedMetadataCost(*committed));
  return std::make_unique<LakeTable>(base.id(), std::move(committed), metadata_path, base.local_root(), fs);
}

}  // namespace

Result<int64_t> IntegerTableProperty(const std::string& key, const std::string& value, int64_t min, int64_t max) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0 || v < min || v > max) {
    return InvalidArgument("table property " + key + " = '" + value + "' is not an integer from " +
                           std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<int64_t>(v);
}

Result<ManifestMergePolicy> ManifestMergePolicyOf(const std::map<std::string, std::string>& properties) {
  ManifestMergePolicy policy;
  auto integer = [&](const char* key, int64_t min, int64_t max, int64_t* out) -> Status {
    auto it = properties.find(key);
    if (it == properties.end()) return Status::OK();
    MEDLAKE_ASSIGN_OR_RETURN(*out, IntegerTableProperty(key, it->second, min, max));
    return Status::OK();
  };
  if (auto it = properties.find(kManifestMergeEnabled); it != properties.end()) {
    if (it->second != "true" && it->second != "false") {
      return InvalidArgument("table property " + std::string(kManifestMergeEnabled) + " is 'true' or 'false'");
    }
    policy.enabled = it->second == "true";
  }
  MEDLAKE_RETURN_IF_ERROR(integer(kManifestMinCountToMerge, 2, 100'000, &policy.min_count_to_merge));
  MEDLAKE_RETURN_IF_ERROR(integer(kManifestTargetSize, 1024, int64_t{1} << 30, &policy.target_size_bytes));
  return policy;
}

Result<std::string> WriteNextMetadataFile(FileSystem& fs, const std::string& table_root,
                                          const std::string& base_location, const ib::TableMetadata& metadata) {
  MEDLAKE_ASSIGN_OR_RETURN(ib::MetadataCodec codec, ib::MetadataCodecOf(metadata.properties));
  const std::string text = ib::SerializeMetadataFile(metadata, codec);
  const int64_t base = MetadataVersion(base_location);
  const std::string dir = JoinPath(table_root, "metadata");
  for (int64_t version = base + 1; version <= base + 16; ++version) {
    const std::string stem = JoinPath(dir, "v" + std::to_string(version));
    std::string path = stem + ib::MetadataFileSuffix(codec);
    // A version taken under another name (another codec's) is taken: file-based readers would
    // find either file.
    bool taken_otherwise = false;
    for (const char* suffix : ib::kMetadataFileSuffixes) {
      if (stem + suffix == path) continue;
      auto there = fs.Exists(stem + suffix);
      taken_otherwise = taken_otherwise || !there.ok() || *there;
    }
    if (taken_otherwise) continue;
    Status written = fs.WriteFileExclusive(path, text, WriteSync::kDataOnly);
    if (written.code() == StatusCode::kAlreadyExists) continue;  // another writer's, or a crashed one's
    MEDLAKE_RETURN_IF_ERROR(written);
    // One directory sync makes this file's entry durable, and those of the manifests and manifest
    // list the commit wrote before it into the same directory (written kDataOnly).
    MEDLAKE_RETURN_IF_ERROR(fs.SyncDirectory(dir));
    return path;
  }
  return Aborted("commit conflict: metadata versions " + std::to_string(base + 1) + " to " +
                 std::to_string(base + 16) + " under " + table_root + " were written by other writers");
}

Result<std::unique_ptr<LakeTable>> CommitTableChange(Catalog& catalog, FileSystem& fs,
                                                     const LakeTable& base,
                                                     const TableChange& change,
                                                     const Clock& clock, int max_attempts) {
  if (base.moved()) {
    return FailedPrecondition("table " + base.id().ToString() +
                              " was written at another location and is read-only here");
  }
  std::unique_ptr<LakeTable> reloaded;
  const LakeTable* current = &base;
  Status last;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    auto result = ApplyOnce(catalog, fs, *current, change, clock, attempt);
    if (result.ok()) return result;
    last = result.status();
    if (last.code() != StatusCode::kAborted || last.message().find("depends on") != std::string::npos ||
        last.message().find("no longer live") != std::string::npos) {
      return last;
    }
    // Back off with jitter so that racing writers do not collide again at once.
    MEDLAKE_ASSIGN_OR_RETURN(std::string noise, RandomBytes(1));
    int delay_ms = (1 << std::min(attempt, 6)) + static_cast<unsigned char>(noise[0]) % 10;
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    MEDLAKE_ASSIGN_OR_RETURN(reloaded, LakeTable::Load(catalog, fs, base.id()));
    current = reloaded.get();
  }
  return last;
}

Status DropLakeTable(Catalog& catalog, FileSystem& fs, const std::string& warehouse,
                     const TableIdentifier& id, bool purge) {
  std::string root;
  if (purge) {
    auto table = LakeTable::Load(catalog, fs, id);
    if (table.ok()) root = (*table)->local_root();
  }
  MEDLAKE_RETURN_IF_ERROR(catalog.DropTable(id));
  if (purge && !root.empty() && root.rfind(warehouse + "/", 0) == 0) {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
    if (ec) return IOError("removing " + root + ": " + ec.message());
  }
  return Status::OK();
}

}  // namespace medlake::storage
