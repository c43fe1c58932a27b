#include "governance/metadata_store.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "engine/iceberg_sql_types.h"
#include "engine/value.h"
#include "governance/tag_vocabulary.h"
#include "storage/iceberg/schema.h"
#include "storage/iceberg/types.h"
#include "storage/sqlite_db.h"
#include "storage/table.h"

namespace medlake::governance {

namespace ib = storage::iceberg;

// The identity of a table at one metadata version: its key and its columns' field ids.
struct MetadataStore::TableIdentity {
  storage::TableIdentifier id;
  std::string metadata_location;
  // A dropped table's metadata path comes back when a table of the same name is created (the
  // folder is purged), so the cache checks the file itself too.
  uint64_t metadata_size = 0;
  int64_t metadata_modified_micros = 0;
  std::string uuid;  // Iceberg table-uuid, or "name:<ns>.<table>" for a table without one
  struct Column {
    std::string name;  // full name ("a", "a.b", "tags.element")
    int32_t field_id = 0;
    bool top_level = false;
    std::string type;  // DuckDB type name, top-level columns only
  };
  std::vector<Column> columns;
  std::map<std::string, int32_t> id_by_name;
  std::map<int32_t, std::string> name_by_id;
};

namespace {

constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS medlake_object_metadata (
  object_key TEXT NOT NULL PRIMARY KEY,
  object_kind TEXT NOT NULL CHECK (object_kind IN ('namespace', 'table', 'column')),
  ns TEXT NOT NULL,
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  table_uuid TEXT NOT NULL,
  field_id INTEGER NOT NULL,
  description TEXT,
  owner TEXT,
  steward TEXT,
  glossary_terms TEXT NOT NULL DEFAULT '[]',
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS medlake_object_metadata_by_table ON medlake_object_metadata(table_uuid);
CREATE TABLE IF NOT EXISTS medlake_tags (
  object_key TEXT NOT NULL,
  object_kind TEXT NOT NULL CHECK (object_kind IN ('namespace', 'table', 'column')),
  ns TEXT NOT NULL,
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  table_uuid TEXT NOT NULL,
  field_id INTEGER NOT NULL,
  tag TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('manual', 'classifier', 'lineage')),
  detail TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (object_key, tag, source));
CREATE INDEX IF NOT EXISTS medlake_tags_by_table ON medlake_tags(table_uuid);
CREATE INDEX IF NOT EXISTS medlake_tags_by_tag ON medlake_tags(tag);
CREATE TABLE IF NOT EXISTS medlake_tag_suppressions (
  object_key TEXT NOT NULL,
  object_kind TEXT NOT NULL CHECK (object_kind IN ('namespace', 'table', 'column')),
  ns TEXT NOT NULL,
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  table_uuid TEXT NOT NULL,
  field_id INTEGER NOT NULL,
  tag TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (object_key, tag));
CREATE INDEX IF NOT EXISTS medlake_tag_suppressions_by_table ON medlake_tag_suppressions(table_uuid);
)sql";

// The three tables share the identity columns, bound as ?1..?7 in this order.
constexpr const char* kIdentityColumns =
    "object_key, object_kind, ns, table_name, column_name, table_uuid, field_id";
constexpr const char* kTables[] = {"medlake_object_metadata", "medlake_tags",
                                   "medlake_tag_suppressions"};

Status BindIdentity(storage::SqliteStatement& st, const ResolvedObject& o) {
  MEDLAKE_RETURN_IF_ERROR(st.BindText(1, o.key));
  MEDLAKE_RETURN_IF_ERROR(st.BindText(2, ObjectKindName(o.kind)));
  MEDLAKE_RETURN_IF_ERROR(st.BindText(3, o.current.ns));
  MEDLAKE_RETURN_IF_ERROR(st.BindText(4, o.current.table));
  MEDLAKE_RETURN_IF_ERROR(st.BindText(5, o.current.column));
  MEDLAKE_RETURN_IF_ERROR(st.BindText(6, o.table_uuid));
  return st.BindInt64(7, o.field_id);
}

Result<ObjectKind> ParseObjectKind(const std::string& s) {
  if (s == "namespace") return ObjectKind::kNamespace;
  if (s == "table") return ObjectKind::kTable;
  if (s == "column") return ObjectKind::kColumn;
  return DataLoss("catalog.db: unknown object_kind '" + s + "'");
}

Result<TagSource> ParseTagSource(const std::string& s) {
  if (s == "manual") return TagSource::kManual;
  if (s == "classifier") return TagSource::kClassifier;
  if (s == "lineage") return TagSource::kLineage;
  return DataLoss("catalog.db: unknown tag source '" + s + "'");
}

std::string Text(const storage::SqliteStatement& st, int column) {
  return st.ColumnText(column).value_or("");
}

// Glossary terms are stored as a JSON array of strings.
std::string TermsToJson(const std::vector<std::string>& terms) {
  std::string out = "[";
  for (size_t i = 0; i < terms.size(); ++i) {
    if (i) out += ",";
    engine::AppendJsonString(terms[i], &out);
  }
  return out + "]";
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Parses the JSON array of strings written by TermsToJson (RFC 8259 string escapes).
Result<std::vector<std::string>> TermsFromJson(std::string_view json) {
  auto bad = [] { return DataLoss("catalog.db: malformed glossary_terms"); };
  std::vector<std::string> out;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < json.size() &&
           (json[i] == ' ' || json[i] == '\n' || json[i] == '\t' || json[i] == '\r')) {
      ++i;
    }
  };
  auto hex4 = [&](uint32_t* v) {
    if (i + 4 > json.size()) return false;
    *v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = json[i++];
      *v <<= 4;
      if (c >= '0' && c <= '9') {
        *v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        *v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        *v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  };
  skip_ws();
  if (i >= json.size() || json[i++] != '[') return bad();
  skip_ws();
  if (i < json.size() && json[i] == ']') return out;
  while (true) {
    skip_ws();
    if (i >= json.size() || json[i++] != '"') return bad();
    std::string s;
    while (true) {
      if (i >= json.size()) return bad();
      char c = json[i++];
      if (c == '"') break;
      if (c != '\\') {
        s.push_back(c);
        continue;
      }
      if (i >= json.size()) return bad();
      char e = json[i++];
      switch (e) {
        case '"': s.push_back('"'); break;
        case '\\': s.push_back('\\'); break;
        case '/': s.push_back('/'); break;
        case 'b': s.push_back('\b'); break;
        case 'f': s.push_back('\f'); break;
        case 'n': s.push_back('\n'); break;
        case 'r': s.push_back('\r'); break;
        case 't': s.push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(&cp)) return bad();
          if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < json.size() && json[i] == '\\' &&
              json[i + 1] == 'u') {
            i += 2;
            uint32_t lo = 0;
            if (!hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF) return bad();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(cp, &s);
          break;
        }
        default: return bad();
      }
    }
    out.push_back(std::move(s));
    skip_ws();
    if (i >= json.size()) return bad();
    char c = json[i++];
    if (c == ']') break;
    if (c != ',') return bad();
  }
  skip_ws();
  if (i != json.size()) return bad();
  return out;
}

Result<std::vector<std::string>> NormalizeTerms(const std::vector<std::string>& terms) {
  std::vector<std::string> out;
  for (const auto& raw : terms) {
    std::string_view t = raw;
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (t.empty()) return InvalidArgument("empty glossary term");
    if (t.size() > 200) return InvalidArgument("glossary term longer than 200 bytes");
    for (char c : t) {
      if (static_cast<unsigned char>(c) < 0x20) {
        return InvalidArgument("glossary terms may not contain control characters");
      }
    }
    if (std::find(out.begin(), out.end(), t) == out.end()) out.emplace_back(t);
  }
  return out;
}

// Every field of `fields` with its full name, in schema order (spec Appendix C naming: struct
// fields "a.b", list elements "a.element", map parts "a.key" / "a.value").
void WalkFields(const std::vector<ib::NestedField>& fields, const std::string& prefix, bool top,
                std::vector<MetadataStore::TableIdentity::Column>* out) {
  for (const auto& f : fields) {
    MetadataStore::TableIdentity::Column c;
    c.name = prefix + f.name;
    c.field_id = f.id;
    c.top_level = top;
    if (top) {
      auto type = engine::IcebergTypeToDuckDb(ib::TypeToJson(f.type));
      c.type = type.ok() ? *type : ib::TypeToString(f.type);
    }
    out->push_back(c);
    if (f.type.is_nested()) WalkFields(f.type.fields, c.name + ".", false, out);
  }
}

// Runs the BEGIN IMMEDIATE ... COMMIT of one write; rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(storage::SqliteDb& db) : db_(db) {}
  ~Transaction() {
    if (open_ && !committed_) (void)db_.Execute("ROLLBACK");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status Begin() {
    MEDLAKE_RETURN_IF_ERROR(db_.Execute("BEGIN IMMEDIATE"));
    open_ = true;
    return Status::OK();
  }
  Status Commit() {
    MEDLAKE_RETURN_IF_ERROR(db_.Execute("COMMIT"));
    committed_ = true;
    return Status::OK();
  }

 private:
  storage::SqliteDb& db_;
  bool open_ = false;
  bool committed_ = false;
};

}  // namespace

std::string_view ObjectKindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kNamespace: return "namespace";
    case ObjectKind::kTable: return "table";
    case ObjectKind::kColumn: return "column";
  }
  return "?";
}

std::string_view TagSourceName(TagSource source) {
  switch (source) {
    case TagSource::kManual: return "manual";
    case TagSource::kClassifier: return "classifier";
    case TagSource::kLineage: return "lineage";
  }
  return "?";
}

std::string ObjectRef::ToString() const {
  std::string out = ns;
  if (!table.empty()) out += "." + table;
  if (!column.empty()) out += "." + column;
  return out;
}

Result<ObjectRef> ParseObjectRef(std::string_view text) {
  ObjectRef ref;
  size_t dot1 = text.find('.');
  ref.ns = std::string(text.substr(0, dot1));
  if (dot1 != std::string_view::npos) {
    size_t dot2 = text.find('.', dot1 + 1);
    ref.table = std::string(text.substr(
        dot1 + 1, dot2 == std::string_view::npos ? std::string_view::npos : dot2 - dot1 - 1));
    if (dot2 != std::string_view::npos) ref.column = std::string(text.substr(dot2 + 1));
    if (ref.table.empty() || (dot2 != std::string_view::npos && ref.column.empty())) {
      return InvalidArgument(
          "expected namespace, namespace.table or namespace.table.column, got '" +
          std::string(text) + "'");
    }
  }
  if (ref.ns.empty()) {
    return InvalidArgument("expected namespace, namespace.table or namespace.table.column, got '" +
                           std::string(text) + "'");
  }
  return ref;
}

std::vector<std::string> ObjectCatalogEntry::TagNames() const {
  std::vector<std::string> out;
  for (const auto& t : tags) {
    if (out.empty() || out.back() != t.tag) out.push_back(t.tag);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

MetadataStore::MetadataStore(std::unique_ptr<storage::SqliteDb> db,
                             std::unique_ptr<storage::Catalog> catalog, FileSystem& fs,
                             const Clock& clock, std::unique_ptr<FileSystem> owned_fs)
    : owned_fs_(std::move(owned_fs)),
      db_(std::move(db)),
      catalog_(std::move(catalog)),
      fs_(fs),
      clock_(clock) {}

MetadataStore::~MetadataStore() = default;

namespace {

Result<std::pair<std::unique_ptr<storage::SqliteDb>, std::unique_ptr<storage::Catalog>>>
OpenCatalogDb(const std::string& catalog_path) {
  MEDLAKE_ASSIGN_OR_RETURN(auto db, storage::SqliteDb::Open(catalog_path, /*create=*/false));
  Status created = db->Execute(kSchemaSql);
  if (!created.ok()) return created.WithContext("creating the catalog metadata tables");
  MEDLAKE_ASSIGN_OR_RETURN(auto catalog, storage::Catalog::Open(catalog_path));
  return std::make_pair(std::move(db), std::move(catalog));
}

}  // namespace

Result<std::unique_ptr<MetadataStore>> MetadataStore::Open(const storage::Lake& lake,
                                                           FileSystem& fs, const Clock& clock) {
  MEDLAKE_ASSIGN_OR_RETURN(auto opened, OpenCatalogDb(lake.catalog_path()));
  return std::make_unique<MetadataStore>(std::move(opened.first), std::move(opened.second), fs,
                                         clock);
}

Result<std::unique_ptr<MetadataStore>> MetadataStore::OpenCatalog(const std::string& catalog_path,
                                                                  const Clock& clock) {
  MEDLAKE_ASSIGN_OR_RETURN(auto opened, OpenCatalogDb(catalog_path));
  auto fs = std::make_unique<LocalFileSystem>();
  FileSystem& fs_ref = *fs;
  return std::make_unique<MetadataStore>(std::move(opened.first), std::move(opened.second), fs_ref,
                                         clock, std::move(fs));
}

// ---- Identity ----

Result<const MetadataStore::TableIdentity*> MetadataStore::LoadIdentity(
    const storage::TableIdentifier& id) {
  MEDLAKE_ASSIGN_OR_RETURN(storage::CatalogTableEntry entry, catalog_->LoadTable(id));
  const std::string& location = entry.metadata_location;
  MEDLAKE_ASSIGN_OR_RETURN(uint64_t size, fs_.FileSize(location));
  MEDLAKE_ASSIGN_OR_RETURN(int64_t modified, fs_.ModifiedMicros(location));
  auto& slot = identities_[id.ToString()];
  if (slot != nullptr && slot->metadata_location == location && slot->metadata_size == size &&
      slot->metadata_modified_micros == modified) {
    return slot.get();
  }
  MEDLAKE_ASSIGN_OR_RETURN(auto table, storage::LakeTable::LoadMetadataFile(fs_, location, id));
  MEDLAKE_ASSIGN_OR_RETURN(const ib::Schema* schema, ib::CurrentSchema(table->metadata()));
  auto identity = std::make_unique<TableIdentity>();
  identity->id = id;
  identity->metadata_location = location;
  identity->metadata_size = size;
  identity->metadata_modified_micros = modified;
  identity->uuid =
      table->metadata().table_uuid.empty() ? "name:" + id.ToString() : table->metadata().table_uuid;
  WalkFields(schema->fields, "", true, &identity->columns);
  for (const auto& c : identity->columns) {
    identity->id_by_name[c.name] = c.field_id;
    identity->name_by_id[c.field_id] = c.name;
  }
  slot = std::move(identity);
  return slot.get();
}

Result<ResolvedObject> MetadataStore::Resolve(const ObjectRef& object) {
  ResolvedObject out;
  out.kind = object.kind();
  out.current = object;
  if (object.ns.empty()) return InvalidArgument("empty namespace name");
  if (out.kind == ObjectKind::kNamespace) {
    MEDLAKE_ASSIGN_OR_RETURN(bool exists, catalog_->NamespaceExists(object.ns));
    if (!exists) return NotFound("namespace " + object.ns + " does not exist");
    out.key = "n:" + object.ns;
    return out;
  }
  MEDLAKE_ASSIGN_OR_RETURN(const TableIdentity* t, LoadIdentity({object.ns, object.table}));
  out.table_uuid = t->uuid;
  out.table_key = "t:" + t->uuid;
  if (out.kind == ObjectKind::kTable) {
    out.key = out.table_key;
    return out;
  }
  auto it = t->id_by_name.find(object.column);
  if (it == t->id_by_name.end()) {
    return NotFound("column " + object.column + " does not exist in table " + object.ns + "." +
                    object.table);
  }
  out.field_id = it->second;
  out.key = "c:" + t->uuid + ":" + std::to_string(it->second);
  return out;
}

Status MetadataStore::RefreshNames(const ResolvedObject& object) {
  if (object.kind == ObjectKind::kNamespace) return Status::OK();
  for (const char* table : kTables) {
    MEDLAKE_ASSIGN_OR_RETURN(auto st,
                             db_->Prepare(std::string("UPDATE ") + table +
                                          " SET ns = ?1, table_name = ?2 WHERE table_uuid = ?3 AND "
                                          "(ns <> ?1 OR table_name <> ?2)"));
    MEDLAKE_RETURN_IF_ERROR(st->BindText(1, object.current.ns));
    MEDLAKE_RETURN_IF_ERROR(st->BindText(2, object.current.table));
    MEDLAKE_RETURN_IF_ERROR(st->BindText(3, object.table_uuid));
    MEDLAKE_RETURN_IF_ERROR(st->Run());
    if (object.kind == ObjectKind::kColumn) {
      MEDLAKE_ASSIGN_OR_RETURN(
          auto col,
          db_->Prepare(std::string("UPDATE ") + table +
                       " SET column_name = ?1 WHERE object_key = ?2 AND column_name <> ?1"));
      MEDLAKE_RETURN_IF_ERROR(col->BindText(1, object.current.column));
      MEDLAKE_RETURN_IF_ERROR(col->BindText(2, object.key));
      MEDLAKE_RETURN_IF_ERROR(col->Run());
    }
  }
  return Status::OK();
}

// ---- Descriptive metadata ----

Status MetadataStore::SetField(const ObjectRef& object, std::string_view column,
                               const std::optional<std::string>& value, const std::string& actor) {
  MEDLAKE_ASSIGN_OR_RETURN(ResolvedObject o, Resolve(object));
  Transaction tx(*db_);
  MEDLAKE_RETURN_IF_ERROR(tx.Begin());
  MEDLAKE_RETURN_IF_ERROR(RefreshNames(o));
  std::string field(column);
  MEDLAKE_ASSIGN_OR_RETURN(
      auto st,
      db_->Prepare("INSERT INTO medlake_object_metadata (" + std::string(kIdentityColumns) + ", " +
                   field +
                   ", updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                   "ON CONFLICT (object_key) DO UPDATE SET " +
                   field + " = excluded." + field +
                   ", ns = excluded.ns, table_name = excluded.table_name, column_name = "
                   "excluded.column_name, updated_at = excluded.updated_at, updated_by = "
                   "excluded.updated_by"));
  MEDLAKE_RETURN_IF_ERROR(BindIdentity(*st, o));
  MEDLAKE_RETURN_IF_ERROR(value ? st->BindText(8, *value) : st->BindNull(8));
  MEDLAKE_RETURN_IF_ERROR(st->BindInt64(9, clock_.NowMicros()));
  MEDLAKE_RETURN_IF_ERROR(st->BindText(10, actor));
  MEDLAKE_RETURN_IF_ERROR(st->Run());
  // A row with nothing left in it is removed, so "never set" and "cleared" look the same.
  MEDLAKE_ASSIGN_OR_RETURN(
      auto empty, db_->Prepare("DELETE FROM medlake_object_metadata WHERE object_key = ?1 AND "
                               "description IS NULL AND owner IS NULL AND steward IS NULL AND "
                               "glossary_terms = '[]'"));
  MEDLAKE_RETURN_IF_ERROR(empty->BindText(1, o.key));
  MEDLAKE_RETURN_IF_ERROR(empty->Run());
  return tx.Commit();
}

Status MetadataStore::SetDescription(const ObjectRef& object,
                                     const std::optional<std::string>& text,
                                     const std::string& actor) {
  return SetField(object, "description", text, actor);
}

Status MetadataStore::SetOwner(const ObjectRef& object, const std::optional<std::string>& owner,
                               const std::string& actor) {
  return SetField(object, "owner", owner, actor);
}

Status MetadataStore::SetSteward(const ObjectRef& object, const std::optional<std::string>& steward,
                                 const std::string& actor) {
  return SetField(object, "steward", steward, actor);
}

Status MetadataStore::SetGlossaryTerms(const ObjectRef& object,
                                       const std::vector<std::string>& terms,
                                       const std::string& actor) {
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<std::string> normalized, NormalizeTerms(terms));
  return SetField(object, "glossary_terms", TermsToJson(normalized), actor);
}

Result<ObjectMetadata> MetadataStore::GetMetadata(const ObjectRef& object) {
  MEDLAKE_ASSIGN_OR_RETURN(ResolvedObject o, Resolve(object));
  MEDLAKE_ASSIGN_OR_RETURN(ObjectCatalogEntry entry, DescribeResolved(o));
  return entry.metadata;
}

// ---- Tags ----

Status MetadataStore::AddTag(const ObjectRef& object, std::string_view tag,
                             const std::string& actor) {
  MEDLAKE_RETURN_IF_ERROR(ValidateTagName(tag));
  MEDLAKE_ASSIGN_OR_RETURN(ResolvedObject o, Resolve(object));
  Transaction tx(*db_);
  MEDLAKE_RETURN_IF_ERROR(tx.Begin());
  MEDLAKE_RETURN_IF_ERROR(RefreshNames(o));
  MEDLAKE_ASSIGN_OR_RETURN(
      auto ins, db_->Prepare("INSERT INTO medlake_tags (" + std::string(kIdentityColumns) +
                             ", tag, source, detail, created_at, created_by) VALUES "
                             "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'manual', '', ?9, ?10) "
                             "ON CONFLICT (object_key, tag, source) DO NOTHING"));
  MEDLAKE_RETURN_IF_ERROR(BindIdentity(*ins, o));
  MEDLAKE_RETURN_IF_ERROR(ins->BindText(8, tag));
  MEDLAKE_RETURN_IF_ERROR(ins->BindInt64(9, clock_.NowMicros()));
  MEDLAKE_RETURN_IF_ERROR(ins->BindText(10, actor));
  MEDLAKE_RETURN_IF_ERROR(ins->Run());
  MEDLAKE_ASSIGN_OR_RETURN(
      auto del,
      db_->Prepare("DELETE FROM medlake_tag_suppressions WHERE object_key = ?1 AND tag = ?2"));
  MEDLAKE_RETURN_IF_ERROR(del->BindText(1, o.key));
  MEDLAKE_RETURN_IF_ERROR(del->BindText(2, tag));
  MEDLAKE_RETURN_IF_ERROR(del->Run());
  return tx.Commit();
}

Status MetadataStore::RemoveTag(const ObjectRef& object, std::string_view tag,
                                const std::string& actor) {
  MEDLAKE_RETURN_IF_ERROR(ValidateTagName(tag));
  MEDLAKE_ASSIGN_OR_RETURN(ResolvedObject o, Resolve(object));
  Transaction tx(*db_);
  MEDLAKE_RETURN_IF_ERROR(tx.Begin());
  MEDLAKE_RETURN_IF_ERROR(RefreshNames(o));
  MEDLAKE_ASSIGN_OR_RETURN(
      auto del, db_->Prepare("DELETE FROM medlake_tags WHERE object_key = ?1 AND tag = ?2"));
  MEDLAKE_RETURN_IF_ERROR(del->BindText(1, o.key));
  MEDLAKE_RETURN_IF_ERROR(del->BindText(2, tag));
  MEDLAKE_RETURN_IF_ERROR(del->Run());
  MEDLAKE_ASSIGN_OR_RETURN(
      auto ins,
      db_->Prepare("INSERT INTO medlake_tag_suppressions (" + std::string(kIdentityColumns) +
                   ", tag, created_at, created_by) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                   "ON CONFLICT (object_key, tag) DO UPDATE SET created_at = "
                   "excluded.created_at, created_by = excluded.created_by"));
  MEDLAKE_RETURN_IF_ERROR(BindIdentity(*ins, o));
  MEDLAKE_RETURN_IF_ERROR(ins->BindText(8, tag));
  MEDLAKE_RETURN_IF_ERROR(ins->BindInt64(9, clock_.NowMicros()));
  MEDLAKE_RETURN_IF_ERROR(ins->BindText(10, actor));
  MEDLAKE_RETURN_IF_ERROR(ins->Run());
  return tx.Commit();
}

Result<std::vector<TagAssignment>> MetadataStore::ReadTagRows(std::string_view where,
                                                              const std::string& arg) {
  MEDLAKE_ASSIGN_OR_RETURN(
      auto st, db_->Prepare("SELECT tag, source, detail, created_at, created_by, ns, table_name, "
                            "column_name FROM medlake_tags WHERE " +
                            std::string(where) + " ORDER BY tag, source"));
  MEDLAKE_RETURN_IF_ERROR(st->BindText(1, arg));
  std::vector<TagAssignment> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    TagAssignment t;
    t.tag = Text(*st, 0);
    MEDLAKE_ASSIGN_OR_RETURN(t.source, ParseTagSource(Text(*st, 1)));
    t.detail = Text(*st, 2);
    t.created_at_micros = st->ColumnInt64(3);
    t.created_by = Text(*st, 4);
    t.object = ObjectRef{Text(*st, 5), Text(*st, 6), Text(*st, 7)};
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::set<std::string>> MetadataStore::ObjectTags(const ObjectRef& object) {
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<TagAssignment> rows, ObjectTagAssignments(object));
  std::set<std::string> out;
  for (const auto& r : rows) out.insert(r.tag);
  return out;
}

Result<std::vector<TagAssignment>> MetadataStore::ObjectTagAssignments(const ObjectRef& object) {
  MEDLAKE_ASSIGN_OR_RETURN(ResolvedObject o, Resolve(object));
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<TagAssignment> rows, ReadTagRows("object_key = ?1", o.key));
  for (auto& r : rows) r.object = o.current;
  return rows;
}

Result<std::set<std::string>> MetadataStore::SuppressedTags(const ObjectRef& object) {
  MEDLAKE_ASSIGN_OR_RETURN(ResolvedObject o, Resolve(object));
  MEDLAKE_ASSIGN_OR_RETURN(
      auto st, db_->Prepare("SELECT tag FROM medlake_tag_suppressions WHERE object_key = ?1"));
  MEDLAKE_RETURN_IF_ERROR(st->BindText(1, o.key));
  std::set<std::string> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.insert(Text(*st, 0));
  }
  return out;
}

Result<std::map<std::string, std::set<std::string>>> MetadataStore::TableAndColumnTags(
    const std::string& ns, const std::string& table) {
  MEDLAKE_ASSIGN_OR_RETURN(const TableIdentity* t, LoadIdentity({ns, table}));
  MEDLAKE_ASSIGN_OR_RETURN(auto st,
                           db_->Prepare("SELECT object_kind, field_id, tag FROM medlake_tags WHERE "
                                        "table_uuid = ?1 OR object_key = ?2"));
  MEDLAKE_RETURN_IF_ERROR(st->BindText(1, t->uuid));
  MEDLAKE_RETURN_IF_ERROR(st->BindText(2, "n:" + ns));
  std::map<std::string, std::set<std::string>> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    if (Text(*st, 0) != "column") {
      out[""].insert(Text(*st, 2));
      continue;
    }
    // A field id no longer in the schema belongs to a dropped column.
    auto it = t->name_by_id.find(static_cast<int32_t>(st->ColumnInt64(1)));
    if (it != t->name_by_id.end()) out[it->second].insert(Text(*st, 2));
  }
  return out;
}

Result<std::map<std::string, std::set<std::string>>> MetadataStore::ColumnTags(
    const std::string& ns, const std::string& table) {
  MEDLAKE_ASSIGN_OR_RETURN(auto all, TableAndColumnTags(ns, table));
  all.erase("");
  return all;
}

Result<std::set<std::string>> MetadataStore::TableTags(const std::string& ns,
                                                       const std::string& table) {
  return ObjectTags(ObjectRef::Table(ns, table));
}

Result<std::set<std::string>> MetadataStore::NamespaceTags(const std::string& ns) {
  return ObjectTags(ObjectRef::Namespace(ns));
}

Result<std::vector<TagAssignment>> MetadataStore::TagsInNamespace(const std::string& ns) {
  MEDLAKE_ASSIGN_OR_RETURN(ResolvedObject n, Resolve(ObjectRef::Namespace(ns)));
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<TagAssignment> out, ReadTagRows("object_key = ?1", n.key));
  for (auto& r : out) r.object = n.current;
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<storage::TableIdentifier> tables, catalog_->ListTables(ns));
  for (const auto& id : tables) {
    MEDLAKE_ASSIGN_OR_RETURN(TableCatalogEntry entry, DescribeTable(id));
    for (const auto& t : entry.table.tags) out.push_back(t);
    for (const auto& c : entry.columns) {
      for (const auto& t : c.tags) out.push_back(t);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const TagAssignment& a, const TagAssignment& b) {
    return std::tie(a.object, a.tag) < std::tie(b.object, b.tag);
  });
  return out;
}

Result<std::vector<ObjectRef>> MetadataStore::ObjectsWithTag(std::string_view tag) {
  MEDLAKE_ASSIGN_OR_RETURN(
      auto st, db_->Prepare("SELECT DISTINCT object_kind, ns, table_name, table_uuid, field_id "
                            "FROM medlake_tags WHERE tag = ?1"));
  MEDLAKE_RETURN_IF_ERROR(st->BindText(1, tag));
  struct Row {
    ObjectKind kind;
    std::string ns, table, uuid;
    int32_t field_id;
  };
  std::vector<Row> rows;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    MEDLAKE_ASSIGN_OR_RETURN(ObjectKind kind, ParseObjectKind(Text(*st, 0)));
    rows.push_back(Row{kind, Text(*st, 1), Text(*st, 2), Text(*st, 3),
                       static_cast<int32_t>(st->ColumnInt64(4))});
  }
  std::set<ObjectRef> out;
  // uuid -> identity of every table, built only when a stored name is stale (a renamed table).
  std::optional<std::map<std::string, const TableIdentity*>> by_uuid;
  for (const auto& r : rows) {
    if (r.kind == ObjectKind::kNamespace) {
      MEDLAKE_ASSIGN_OR_RETURN(bool exists, catalog_->NamespaceExists(r.ns));
      if (exists) out.insert(ObjectRef::Namespace(r.ns));
      continue;
    }
    const TableIdentity* t = nullptr;
    auto loaded = LoadIdentity({r.ns, r.table});
    if (loaded.ok() && (*loaded)->uuid == r.uuid) {
      t = *loaded;
    } else if (loaded.ok() || loaded.status().code() == StatusCode::kNotFound) {
      if (!by_uuid) {
        by_uuid.emplace();
        MEDLAKE_ASSIGN_OR_RETURN(std::vector<std::string> namespaces, catalog_->ListNamespaces());
        for (const auto& ns : namespaces) {
          MEDLAKE_ASSIGN_OR_RETURN(std::vector<storage::TableIdentifier> ids,
                                   catalog_->ListTables(ns));
          for (const auto& id : ids) {
            auto identity = LoadIdentity(id);
            if (identity.ok()) (*by_uuid)[(*identity)->uuid] = *identity;
          }
        }
      }
      auto it = by_uuid->find(r.uuid);
      if (it != by_uuid->end()) t = it->second;
    } else {
      return loaded.status();
    }
    if (t == nullptr) continue;  // dropped table
    if (r.kind == ObjectKind::kTable) {
      out.insert(ObjectRef::Table(t->id.ns, t->id.name));
    } else {
      auto name = t->name_by_id.find(r.field_id);
      if (name != t->name_by_id.end()) {
        out.insert(ObjectRef::Column(t->id.ns, t->id.name, name->second));
      }
    }
  }
  return std::vector<ObjectRef>(out.begin(), out.end());
}

// ---- Listings ----

Result<ObjectCatalogEntry> MetadataStore::DescribeResolved(const ResolvedObject& o) {
  ObjectCatalogEntry entry;
  entry.metadata.object = o.current;
  entry.field_id = o.field_id;
  MEDLAKE_ASSIGN_OR_RETURN(
      auto st, db_->Prepare("SELECT description, owner, steward, glossary_terms, updated_at, "
                            "updated_by FROM medlake_object_metadata WHERE object_key = ?1"));
  MEDLAKE_RETURN_IF_ERROR(st->BindText(1, o.key));
  MEDLAKE_ASSIGN_OR_RETURN(bool row, st->Step());
  if (row) {
    entry.metadata.description = st->ColumnText(0);
    entry.metadata.owner = st->ColumnText(1);
    entry.metadata.steward = st->ColumnText(2);
    MEDLAKE_ASSIGN_OR_RETURN(entry.metadata.glossary_terms, TermsFromJson(Text(*st, 3)));
    entry.metadata.updated_at_micros = st->ColumnInt64(4);
    entry.metadata.updated_by = Text(*st, 5);
  }
  MEDLAKE_ASSIGN_OR_RETURN(entry.tags, ReadTagRows("object_key = ?1", o.key));
  for (auto& t : entry.tags) t.object = o.current;
  MEDLAKE_ASSIGN_OR_RETURN(
      auto sup, db_->Prepare("SELECT tag FROM medlake_tag_suppressions WHERE object_key = ?1 "
                             "ORDER BY tag"));
  MEDLAKE_RETURN_IF_ERROR(sup->BindText(1, o.key));
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool more, sup->Step());
    if (!more) break;
    entry.suppressed.push_back(Text(*sup, 0));
  }
  return entry;
}

Result<ObjectCatalogEntry> MetadataStore::DescribeNamespace(const std::string& ns) {
  MEDLAKE_ASSIGN_OR_RETURN(ResolvedObject o, Resolve(ObjectRef::Namespace(ns)));
  return DescribeResolved(o);
}

Result<TableCatalogEntry> MetadataStore::DescribeTable(const storage::TableIdentifier& id) {
  MEDLAKE_ASSIGN_OR_RETURN(ResolvedObject table, Resolve(ObjectRef::Table(id.ns, id.name)));
  TableCatalogEntry out;
  out.id = id;
  out.table_uuid = table.table_uuid;
  MEDLAKE_ASSIGN_OR_RETURN(out.table, DescribeResolved(table));
  MEDLAKE_ASSIGN_OR_RETURN(const TableIdentity* t, LoadIdentity(id));

  // The columns' rows in three indexed queries rather than three per column.
  std::map<int32_t, ObjectCatalogEntry> by_id;
  MEDLAKE_ASSIGN_OR_RETURN(
      auto meta, db_->Prepare("SELECT field_id, description, owner, steward, glossary_terms, "
                              "updated_at, updated_by FROM medlake_object_metadata WHERE "
                              "table_uuid = ?1 AND object_kind = 'column'"));
  MEDLAKE_RETURN_IF_ERROR(meta->BindText(1, t->uuid));
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, meta->Step());
    if (!row) break;
    ObjectMetadata& m = by_id[static_cast<int32_t>(meta->ColumnInt64(0))].metadata;
    m.description = meta->ColumnText(1);
    m.owner = meta->ColumnText(2);
    m.steward = meta->ColumnText(3);
    MEDLAKE_ASSIGN_OR_RETURN(m.glossary_terms, TermsFromJson(Text(*meta, 4)));
    m.updated_at_micros = meta->ColumnInt64(5);
    m.updated_by = Text(*meta, 6);
  }
  MEDLAKE_ASSIGN_OR_RETURN(
      auto tags, db_->Prepare("SELECT field_id, tag, source, detail, created_at, created_by FROM "
                              "medlake_tags WHERE table_uuid = ?1 AND object_kind = 'column' "
                              "ORDER BY tag, source"));
  MEDLAKE_RETURN_IF_ERROR(tags->BindText(1, t->uuid));
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, tags->Step());
    if (!row) break;
    TagAssignment a;
    a.tag = Text(*tags, 1);
    MEDLAKE_ASSIGN_OR_RETURN(a.source, ParseTagSource(Text(*tags, 2)));
    a.detail = Text(*tags, 3);
    a.created_at_micros = tags->ColumnInt64(4);
    a.created_by = Text(*tags, 5);
    by_id[static_cast<int32_t>(tags->ColumnInt64(0))].tags.push_back(std::move(a));
  }
  MEDLAKE_ASSIGN_OR_RETURN(auto sup,
                           db_->Prepare("SELECT field_id, tag FROM medlake_tag_suppressions WHERE "
                                        "table_uuid = ?1 AND object_kind = 'column' ORDER BY tag"));
  MEDLAKE_RETURN_IF_ERROR(sup->BindText(1, t->uuid));
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, sup->Step());
    if (!row) break;
    by_id[static_cast<int32_t>(sup->ColumnInt64(0))].suppressed.push_back(Text(*sup, 1));
  }

  for (const auto& c : t->columns) {
    if (!c.top_level) continue;
    ObjectCatalogEntry entry;
    auto it = by_id.find(c.field_id);
    if (it != by_id.end()) entry = std::move(it->second);
    ObjectRef ref = ObjectRef::Column(id.ns, id.name, c.name);
    entry.metadata.object = ref;
    for (auto& tag : entry.tags) tag.object = ref;
    entry.field_id = c.field_id;
    entry.type = c.type;
    out.columns.push_back(std::move(entry));
  }
  return out;
}

// ---- Derived tags ----

namespace {

struct DerivedRow {
  ResolvedObject object;
  std::string tag;
  std::string detail;
};

Result<std::map<std::pair<std::string, std::string>, std::string>> ReadDerivedRows(
    storage::SqliteDb& db, std::string_view source, const std::optional<std::string>& table_uuid) {
  std::string sql = "SELECT object_key, tag, detail FROM medlake_tags WHERE source = ?1";
  if (table_uuid) sql += " AND table_uuid = ?2";
  MEDLAKE_ASSIGN_OR_RETURN(auto st, db.Prepare(sql));
  MEDLAKE_RETURN_IF_ERROR(st->BindText(1, source));
  if (table_uuid) MEDLAKE_RETURN_IF_ERROR(st->BindText(2, *table_uuid));
  std::map<std::pair<std::string, std::string>, std::string> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out[{Text(*st, 0), Text(*st, 1)}] = Text(*st, 2);
  }
  return out;
}

// Writes `desired` as the rows of `source`, given the rows `existing` of that source in scope.
Status ApplyDerivedRows(storage::SqliteDb& db, std::string_view source,
                        const std::map<std::pair<std::string, std::string>, DerivedRow>& desired,
                        const std::map<std::pair<std::string, std::string>, std::string>& existing,
                        int64_t now, const std::string& actor, DerivedTagWrite* write) {
  MEDLAKE_ASSIGN_OR_RETURN(
      auto del,
      db.Prepare("DELETE FROM medlake_tags WHERE object_key = ?1 AND tag = ?2 AND source = ?3"));
  for (const auto& [key, detail] : existing) {
    if (desired.count(key)) continue;
    MEDLAKE_RETURN_IF_ERROR(del->Reset());
    MEDLAKE_RETURN_IF_ERROR(del->BindText(1, key.first));
    MEDLAKE_RETURN_IF_ERROR(del->BindText(2, key.second));
    MEDLAKE_RETURN_IF_ERROR(del->BindText(3, source));
    MEDLAKE_RETURN_IF_ERROR(del->Run());
    ++write->removed;
  }
  MEDLAKE_ASSIGN_OR_RETURN(
      auto ins,
      db.Prepare("INSERT INTO medlake_tags (" + std::string(kIdentityColumns) +
                 ", tag, source, detail, created_at, created_by) VALUES "
                 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
                 "ON CONFLICT (object_key, tag, source) DO UPDATE SET detail = excluded.detail"));
  for (const auto& [key, row] : desired) {
    auto it = existing.find(key);
    if (it != existing.end() && it->second == row.detail) {
      ++write->kept;
      continue;
    }
    MEDLAKE_RETURN_IF_ERROR(ins->Reset());
    MEDLAKE_RETURN_IF_ERROR(BindIdentity(*ins, row.object));
    MEDLAKE_RETURN_IF_ERROR(ins->BindText(8, row.tag));
    MEDLAKE_RETURN_IF_ERROR(ins->BindText(9, source));
    MEDLAKE_RETURN_IF_ERROR(ins->BindText(10, row.detail));
    MEDLAKE_RETURN_IF_ERROR(ins->BindInt64(11, now));
    MEDLAKE_RETURN_IF_ERROR(ins->BindText(12, actor));
    MEDLAKE_RETURN_IF_ERROR(ins->Run());
    // A changed detail (a new reason, another upstream column) counts as kept, not added.
    if (it != existing.end()) {
      ++write->kept;
    } else {
      ++write->added;
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::map<std::string, std::set<std::string>>> MetadataStore::SuppressionsByKey() {
  MEDLAKE_ASSIGN_OR_RETURN(auto st,
                           db_->Prepare("SELECT object_key, tag FROM medlake_tag_suppressions"));
  std::map<std::string, std::set<std::string>> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out[Text(*st, 0)].insert(Text(*st, 1));
  }
  return out;
}

Result<std::map<std::string, std::set<std::string>>> MetadataStore::TagsByKey(
    bool include_lineage) {
  std::string sql = "SELECT object_key, tag FROM medlake_tags";
  if (!include_lineage) sql += " WHERE source <> 'lineage'";
  MEDLAKE_ASSIGN_OR_RETURN(auto st, db_->Prepare(sql));
  std::map<std::string, std::set<std::string>> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out[Text(*st, 0)].insert(Text(*st, 1));
  }
  return out;
}

Result<DerivedTagWrite> MetadataStore::ReplaceClassifierTags(const storage::TableIdentifier& table,
                                                             const std::vector<DerivedTag>& tags,
                                                             const std::string& actor) {
  MEDLAKE_ASSIGN_OR_RETURN(ResolvedObject t, Resolve(ObjectRef::Table(table.ns, table.name)));
  std::map<std::pair<std::string, std::string>, DerivedRow> desired;
  DerivedTagWrite write;
  MEDLAKE_ASSIGN_OR_RETURN(auto suppressed, SuppressionsByKey());
  for (const auto& d : tags) {
    MEDLAKE_RETURN_IF_ERROR(ValidateTagName(d.tag));
    if (d.object.ns != table.ns || d.object.table != table.name) {
      return InvalidArgument("classifier tag for " + d.object.ToString() + " is not on table " +
                             table.ToString());
    }
    MEDLAKE_ASSIGN_OR_RETURN(ResolvedObject o, Resolve(d.object));
    auto sup = suppressed.find(o.key);
    if (sup != suppressed.end() && sup->second.count(d.tag)) {
      write.suppressed.push_back(d);
      continue;
    }
    desired.emplace(std::make_pair(o.key, d.tag), DerivedRow{o, d.tag, d.detail});
  }
  Transaction tx(*db_);
  MEDLAKE_RETURN_IF_ERROR(tx.Begin());
  MEDLAKE_RETURN_IF_ERROR(RefreshNames(t));
  MEDLAKE_ASSIGN_OR_RETURN(auto existing, ReadDerivedRows(*db_, "classifier", t.table_uuid));
  MEDLAKE_RETURN_IF_ERROR(
      ApplyDerivedRows(*db_, "classifier", desired, existing, clock_.NowMicros(), actor, &write));
  MEDLAKE_RETURN_IF_ERROR(tx.Commit());
  return write;
}

Result<DerivedTagWrite> MetadataStore::ReplaceLineageTags(const std::vector<DerivedTag>& tags,
                                                          const std::string& actor) {
  std::map<std::pair<std::string, std::string>, DerivedRow> desired;
  DerivedTagWrite write;
  MEDLAKE_ASSIGN_OR_RETURN(auto suppressed, SuppressionsByKey());
  for (const auto& d : tags) {
    MEDLAKE_RETURN_IF_ERROR(ValidateTagName(d.tag));
    auto o = Resolve(d.object);
    if (!o.ok()) {
      if (o.status().code() == StatusCode::kNotFound) continue;  // dropped meanwhile
      return o.status();
    }
    auto sup = suppressed.find(o->key);
    if (sup != suppressed.end() && sup->second.count(d.tag)) {
      write.suppressed.push_back(d);
      continue;
    }
    desired.emplace(std::make_pair(o->key, d.tag), DerivedRow{*o, d.tag, d.detail});
  }
  Transaction tx(*db_);
  MEDLAKE_RETURN_IF_ERROR(tx.Begin());
  MEDLAKE_ASSIGN_OR_RETURN(auto existing, ReadDerivedRows(*db_, "lineage", std::nullopt));
  MEDLAKE_RETURN_IF_ERROR(
      ApplyDerivedRows(*db_, "lineage", desired, existing, clock_.NowMicros(), actor, &write));
  MEDLAKE_RETURN_IF_ERROR(tx.Commit());
  return write;
}

// ---- Reconcile ----

Result<ReconcileReport> MetadataStore::Reconcile() {
  std::set<std::string> namespaces;
  std::map<std::string, const TableIdentity*> by_uuid;
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<std::string> ns_list, catalog_->ListNamespaces());
  for (const auto& ns : ns_list) {
    namespaces.insert(ns);
    MEDLAKE_ASSIGN_OR_RETURN(std::vector<storage::TableIdentifier> ids, catalog_->ListTables(ns));
    for (const auto& id : ids) {
      // A table whose metadata cannot be read stops the run: its rows must not look dropped.
      auto identity = LoadIdentity(id);
      if (!identity.ok()) return identity.status().WithContext("reconciling " + id.ToString());
      by_uuid[(*identity)->uuid] = *identity;
    }
  }
  ReconcileReport report;
  Transaction tx(*db_);
  MEDLAKE_RETURN_IF_ERROR(tx.Begin());
  for (const char* table : kTables) {
    MEDLAKE_ASSIGN_OR_RETURN(
        auto st,
        db_->Prepare(std::string("SELECT DISTINCT object_key, object_kind, ns, table_name, "
                                 "column_name, table_uuid, field_id FROM ") +
                     table));
    struct Row {
      std::string key;
      ObjectKind kind;
      ObjectRef stored;
      std::string uuid;
      int32_t field_id;
    };
    std::vector<Row> rows;
    while (true) {
      MEDLAKE_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      MEDLAKE_ASSIGN_OR_RETURN(ObjectKind kind, ParseObjectKind(Text(*st, 1)));
      rows.push_back(Row{Text(*st, 0), kind, ObjectRef{Text(*st, 2), Text(*st, 3), Text(*st, 4)},
                         Text(*st, 5), static_cast<int32_t>(st->ColumnInt64(6))});
    }
    MEDLAKE_ASSIGN_OR_RETURN(
        auto del, db_->Prepare(std::string("DELETE FROM ") + table + " WHERE object_key = ?1"));
    MEDLAKE_ASSIGN_OR_RETURN(
        auto upd,
        db_->Prepare(std::string("UPDATE ") + table +
                     " SET ns = ?2, table_name = ?3, column_name = ?4 WHERE object_key = ?1"));
    for (const auto& r : rows) {
      std::optional<ObjectRef> now;
      if (r.kind == ObjectKind::kNamespace) {
        if (namespaces.count(r.stored.ns)) now = r.stored;
      } else if (auto it = by_uuid.find(r.uuid); it != by_uuid.end()) {
        const TableIdentity& t = *it->second;
        if (r.kind == ObjectKind::kTable) {
          now = ObjectRef::Table(t.id.ns, t.id.name);
        } else if (auto c = t.name_by_id.find(r.field_id); c != t.name_by_id.end()) {
          now = ObjectRef::Column(t.id.ns, t.id.name, c->second);
        }
      }
      if (!now) {
        MEDLAKE_RETURN_IF_ERROR(del->Reset());
        MEDLAKE_RETURN_IF_ERROR(del->BindText(1, r.key));
        MEDLAKE_RETURN_IF_ERROR(del->Run());
        report.removed += db_->Changes();
      } else if (!(*now == r.stored)) {
        MEDLAKE_RETURN_IF_ERROR(upd->Reset());
        MEDLAKE_RETURN_IF_ERROR(upd->BindText(1, r.key));
        MEDLAKE_RETURN_IF_ERROR(upd->BindText(2, now->ns));
        MEDLAKE_RETURN_IF_ERROR(upd->BindText(3, now->table));
        MEDLAKE_RETURN_IF_ERROR(upd->BindText(4, now->column));
        MEDLAKE_RETURN_IF_ERROR(upd->Run());
        report.renamed += db_->Changes();
      }
    }
  }
  MEDLAKE_RETURN_IF_ERROR(tx.Commit());
  return report;
}

}  // namespace medlake::governance
