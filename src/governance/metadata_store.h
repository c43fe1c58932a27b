// governance/metadata_store.h: catalog metadata of a lake (issue 7): descriptions, owners,
// stewards, glossary terms and tags on namespaces, tables and columns.
//
// The metadata lives in the lake's catalog.db (storage::Lake::catalog_path()) next to the
// Iceberg catalog, in three tables created on first use (docs/formats/catalog_metadata.md):
//   medlake_object_metadata    description, owner, steward, glossary terms of one object
//   medlake_tags               one row per (object, tag, source): manual, classifier or lineage
//   medlake_tag_suppressions   tags a person removed by hand: classifier and lineage skip them
//
// Identity. Objects are named by ObjectRef (ns, ns.table, ns.table.column), but stored by
// identity: a table by its Iceberg table-uuid, a column by table-uuid and Iceberg field id, a
// namespace by its name. So metadata follows a table through RENAME TO and a column through
// RENAME COLUMN, and it does not attach to a new table created under the name of a dropped one
// (or to a new column re-added under a dropped column's name). The names are kept in the rows for
// display and refreshed on writes; Reconcile() refreshes all of them and deletes the rows of
// dropped objects.
//
// Tag sources. A tag is effective on an object when at least one row carries it (any source).
//   - manual: AddTag/RemoveTag (CLI, SQL). Removing a tag by hand deletes it from every source
//     and records a suppression; re-adding it by hand lifts the suppression.
//   - classifier: ReplaceClassifierTags replaces the classifier rows of one table. It never
//     touches manual rows and skips suppressed tags.
//   - lineage: ReplaceLineageTags replaces all lineage rows, skipping suppressed tags.
//
// Errors: NotFound when a named namespace, table or column does not exist (the message names
// the object); InvalidArgument for a bad tag name or glossary term; Aborted when catalog.db is
// busy beyond SQLite's timeout; IOError/DataLoss from the catalog file; DataLoss for a corrupt
// table metadata file.
//
// Thread-safety: a MetadataStore is used by one thread at a time (it holds SQLite connections and
// a cache). Any number of stores in any number of processes may work on the same lake.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/file_system.h"
#include "core/status.h"
#include "storage/catalog.h"
#include "storage/lake.h"

namespace medlake::storage {
class SqliteDb;
}

namespace medlake::governance {

enum class ObjectKind { kNamespace, kTable, kColumn };
// "namespace", "table", "column".
std::string_view ObjectKindName(ObjectKind kind);

// A namespace (table and column empty), a table (column empty) or a column, by name.
struct ObjectRef {
  std::string ns;
  std::string table;
  std::string column;  // top-level column, or a nested one as "a.b" (Iceberg full name)

  static ObjectRef Namespace(std::string ns) { return {std::move(ns), "", ""}; }
  static ObjectRef Table(std::string ns, std::string table) {
    return {std::move(ns), std::move(table), ""};
  }
  static ObjectRef Column(std::string ns, std::string table, std::string column) {
    return {std::move(ns), std::move(table), std::move(column)};
  }
  ObjectKind kind() const {
    return table.empty() ? ObjectKind::kNamespace
                         : (column.empty() ? ObjectKind::kTable : ObjectKind::kColumn);
  }
  // "ns", "ns.table" or "ns.table.column".
  std::string ToString() const;
  bool operator==(const ObjectRef& o) const {
    return ns == o.ns && table == o.table && column == o.column;
  }
  bool operator<(const ObjectRef& o) const {
    return ns != o.ns ? ns < o.ns : (table != o.table ? table < o.table : column < o.column);
  }
};

// Parses "ns", "ns.table" or "ns.table.column" (everything after the second dot is the column,
// so nested "ns.t.a.b" names column "a.b"). InvalidArgument for empty parts.
Result<ObjectRef> ParseObjectRef(std::string_view text);

enum class TagSource { kManual, kClassifier, kLineage };
// "manual", "classifier", "lineage".
std::string_view TagSourceName(TagSource source);

// One row of medlake_tags.
struct TagAssignment {
  ObjectRef object;  // current names
  std::string tag;
  TagSource source = TagSource::kManual;
  std::string detail;  // classifier: why; lineage: the upstream column "ns.table.column"
  int64_t created_at_micros = 0;
  std::string created_by;
};

// The descriptive metadata of one object. Absent fields are nullopt / empty.
struct ObjectMetadata {
  ObjectRef object;
  std::optional<std::string> description;
  std::optional<std::string> owner;
  std::optional<std::string> steward;
  std::vector<std::string> glossary_terms;
  int64_t updated_at_micros = 0;  // 0 when nothing was ever set
  std::string updated_by;
};

// Everything the catalog knows about one object, for `medlake catalog show` and catalog.* views.
struct ObjectCatalogEntry {
  ObjectMetadata metadata;
  std::vector<TagAssignment> tags;      // every source, sorted by tag then source
  std::vector<std::string> suppressed;  // tags removed by hand (sorted)
  // Columns only: the Iceberg field id and the DuckDB type name ("VARCHAR", "DATE", ...).
  int32_t field_id = 0;
  std::string type;

  // The distinct effective tag names, sorted.
  std::vector<std::string> TagNames() const;
};

struct TableCatalogEntry {
  storage::TableIdentifier id;
  std::string table_uuid;
  ObjectCatalogEntry table;
  std::vector<ObjectCatalogEntry> columns;  // top-level columns in schema order
};

// A tag that the classifier or lineage derived for an object.
struct DerivedTag {
  ObjectRef object;
  std::string tag;
  std::string detail;
};

// What ReplaceClassifierTags / ReplaceLineageTags changed.
struct DerivedTagWrite {
  int64_t added = 0;                   // rows inserted
  int64_t removed = 0;                 // rows deleted (no longer derived)
  int64_t kept = 0;                    // rows already present
  std::vector<DerivedTag> suppressed;  // derived tags not written because of a suppression
};

// The stored identity of an object (see the file comment).
struct ResolvedObject {
  ObjectKind kind = ObjectKind::kNamespace;
  std::string key;        // "n:<ns>", "t:<table-uuid>", "c:<table-uuid>:<field-id>"
  std::string table_key;  // the key of the object's table ("" for a namespace)
  ObjectRef current;      // the names now
  std::string table_uuid;
  int32_t field_id = 0;
};

struct ReconcileReport {
  int64_t renamed = 0;  // rows whose names were refreshed
  int64_t removed = 0;  // rows of dropped namespaces, tables and columns deleted
};

class MetadataStore {
 public:
  ~MetadataStore();
  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;

  // Opens the metadata of `lake`, creating the medlake_* tables if missing. `fs` reads table
  // metadata files; `fs` and `clock` must outlive the store. IOError/DataLoss/Aborted from
  // catalog.db.
  static Result<std::unique_ptr<MetadataStore>> Open(const storage::Lake& lake, FileSystem& fs,
                                                     const Clock& clock = SystemClock::Default());
  // The same for the lake whose catalog is `catalog_path` (<root>/catalog.db), reading table
  // metadata through a LocalFileSystem the store owns (for front ends that hold a path only).
  static Result<std::unique_ptr<MetadataStore>> OpenCatalog(
      const std::string& catalog_path, const Clock& clock = SystemClock::Default());

  // ---- Descriptive metadata. `actor` is recorded as updated_by. ----

  // Sets (or, with nullopt, clears) the description / owner / steward of `object`.
  Status SetDescription(const ObjectRef& object, const std::optional<std::string>& text,
                        const std::string& actor);
  Status SetOwner(const ObjectRef& object, const std::optional<std::string>& owner,
                  const std::string& actor);
  Status SetSteward(const ObjectRef& object, const std::optional<std::string>& steward,
                    const std::string& actor);
  // Replaces the glossary terms (an empty list clears them). Terms are trimmed and de-duplicated
  // keeping order; InvalidArgument for an empty term, one over 200 bytes or with control
  // characters.
  Status SetGlossaryTerms(const ObjectRef& object, const std::vector<std::string>& terms,
                          const std::string& actor);
  // The metadata of `object` (fields absent when never set).
  Result<ObjectMetadata> GetMetadata(const ObjectRef& object);

  // ---- Tags ----

  // Adds a manual tag (idempotent) and lifts a suppression of it. InvalidArgument for a bad name.
  Status AddTag(const ObjectRef& object, std::string_view tag, const std::string& actor);
  // Removes `tag` from `object` whatever its source and records a suppression, so neither the
  // classifier nor lineage puts it back. Also when the object did not carry it.
  Status RemoveTag(const ObjectRef& object, std::string_view tag, const std::string& actor);

  // The effective tag names of one object.
  Result<std::set<std::string>> ObjectTags(const ObjectRef& object);
  // Every tag row of one object (all sources), sorted by tag then source.
  Result<std::vector<TagAssignment>> ObjectTagAssignments(const ObjectRef& object);
  // The suppressed tags of one object.
  Result<std::set<std::string>> SuppressedTags(const ObjectRef& object);

  // Column name -> effective tags, for the columns of `ns.table` that carry any (current column
  // names, nested ones as "a.b"). The security module binds masking policies with this, so it is
  // cheap: one catalog lookup, one indexed query, and a re-read of the table metadata only when
  // the table changed since the last call. NotFound if the table does not exist.
  Result<std::map<std::string, std::set<std::string>>> ColumnTags(const std::string& ns,
                                                                  const std::string& table);
  // ColumnTags plus, under the key "", the tags of the table itself and of its namespace (a
  // namespace's tags hold for every table in it): the shape of security::TagLookup. Same cost as
  // ColumnTags (the namespace rows come from the same query). NotFound if the table is missing.
  Result<std::map<std::string, std::set<std::string>>> TableAndColumnTags(const std::string& ns,
                                                                          const std::string& table);
  // The table's own tags (not its columns'). NotFound if the table does not exist.
  Result<std::set<std::string>> TableTags(const std::string& ns, const std::string& table);
  // The namespace's own tags. NotFound if the namespace does not exist.
  Result<std::set<std::string>> NamespaceTags(const std::string& ns);
  // Every tag row of the namespace and of the tables and columns in it (current names), sorted by
  // object then tag. Rows of dropped objects are left out. NotFound if the namespace is missing.
  Result<std::vector<TagAssignment>> TagsInNamespace(const std::string& ns);
  // The objects that carry `tag` (any source), sorted, current names; dropped ones left out.
  Result<std::vector<ObjectRef>> ObjectsWithTag(std::string_view tag);

  // ---- Listings ----

  // The metadata, tags and suppressions of a namespace.
  Result<ObjectCatalogEntry> DescribeNamespace(const std::string& ns);
  // The metadata, tags and suppressions of a table and of each of its top-level columns.
  Result<TableCatalogEntry> DescribeTable(const storage::TableIdentifier& id);

  // ---- Derived tags (classifier, lineage). `actor` is recorded as created_by. ----

  // Replaces the classifier rows of `table` and its columns by `tags` (objects must be the table
  // or its columns: InvalidArgument otherwise). Manual rows are untouched; suppressed tags are
  // skipped and returned. One transaction.
  Result<DerivedTagWrite> ReplaceClassifierTags(const storage::TableIdentifier& table,
                                                const std::vector<DerivedTag>& tags,
                                                const std::string& actor);
  // Replaces every lineage row of the lake by `tags`: rows not in `tags` are deleted, new ones
  // inserted, equal ones kept (so a second call with the same tags changes nothing). Objects that
  // no longer exist are skipped. One transaction.
  Result<DerivedTagWrite> ReplaceLineageTags(const std::vector<DerivedTag>& tags,
                                             const std::string& actor);

  // ---- Identity (for lineage propagation) ----

  // The stored identity of `object`. NotFound if it does not exist.
  Result<ResolvedObject> Resolve(const ObjectRef& object);
  // Effective tags by object key, from manual and classifier rows only (`include_lineage` adds
  // lineage rows). Rows of dropped objects may be included (their keys resolve to nothing).
  Result<std::map<std::string, std::set<std::string>>> TagsByKey(bool include_lineage);
  // Suppressed tags by object key.
  Result<std::map<std::string, std::set<std::string>>> SuppressionsByKey();

  // Refreshes the names stored in every row from the catalog (renamed tables and columns) and
  // deletes the rows of namespaces, tables and columns that no longer exist. Loads every table's
  // metadata: meant for `medlake catalog classify`, not for hot paths.
  Result<ReconcileReport> Reconcile();

  // The store's own connection to the Iceberg catalog.
  storage::Catalog& catalog() { return *catalog_; }

  struct TableIdentity;
  MetadataStore(std::unique_ptr<storage::SqliteDb> db, std::unique_ptr<storage::Catalog> catalog,
                FileSystem& fs, const Clock& clock, std::unique_ptr<FileSystem> owned_fs = nullptr);

 private:
  Result<const TableIdentity*> LoadIdentity(const storage::TableIdentifier& id);
  Status SetField(const ObjectRef& object, std::string_view column,
                  const std::optional<std::string>& value, const std::string& actor);
  Status RefreshNames(const ResolvedObject& object);
  Result<std::vector<TagAssignment>> ReadTagRows(std::string_view where, const std::string& arg);
  Result<ObjectCatalogEntry> DescribeResolved(const ResolvedObject& object);

  std::unique_ptr<FileSystem> owned_fs_;  // set by OpenCatalog; fs_ refers to it
  std::unique_ptr<storage::SqliteDb> db_;
  std::unique_ptr<storage::Catalog> catalog_;
  FileSystem& fs_;
  const Clock& clock_;
  // ns.table -> identity at a metadata location (re-read when the catalog pointer moved).
  std::map<std::string, std::unique_ptr<TableIdentity>> identities_;
};

}  // namespace medlake::governance
