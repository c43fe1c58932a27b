// storage/catalog.h: the lake's Iceberg catalog, kept in SQLite (catalog.db) in the table layout
// of Apache Iceberg's JDBC catalog, so that the same rows can later live in PostgreSQL.
//
// A namespace exists when it has at least one row in iceberg_namespace_properties (the JDBC
// catalog writes an "exists" property for that purpose). A table is a row of iceberg_tables whose
// metadata_location points at its current metadata JSON file. A commit is a compare-and-swap of
// that pointer: it succeeds only if the pointer still holds the location the writer started
// from; otherwise the writer gets Aborted and must retry on the new metadata.
//
// Names: namespaces and tables are compared exactly (case-sensitive), as stored.
// Thread-safety: a Catalog object is used by one thread at a time; any number of Catalog objects
// in any number of processes may work on the same catalog.db (SQLite serializes writers).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace medlake::storage {

class SqliteDb;

struct TableIdentifier {
  std::string ns;    // namespace, e.g. "raw"
  std::string name;  // table name, e.g. "hl7_messages"
  std::string ToString() const { return ns + "." + name; }
  bool operator==(const TableIdentifier& o) const { return ns == o.ns && name == o.name; }
};

// Parses "ns.table" (exactly one dot). InvalidArgument otherwise.
Result<TableIdentifier> ParseTableIdentifier(const std::string& text);

struct CatalogTableEntry {
  TableIdentifier id;
  std::string metadata_location;
  std::optional<std::string> previous_metadata_location;
};

class Catalog {
 public:
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Opens the catalog database at `path` (created by Lake::Create). IOError/DataLoss on failure.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& path);

  // AlreadyExists if the namespace exists; InvalidArgument for an empty or malformed name.
  Status CreateNamespace(const std::string& ns,
                         const std::map<std::string, std::string>& properties = {});
  Result<bool> NamespaceExists(const std::string& ns);
  Result<std::vector<std::string>> ListNamespaces();
  Result<std::map<std::string, std::string>> NamespaceProperties(const std::string& ns);
  // NotFound if missing; FailedPrecondition if it still holds tables.
  Status DropNamespace(const std::string& ns);

  // Registers a table pointing at `metadata_location`. NotFound if the namespace is missing,
  // AlreadyExists if the table exists.
  Status CreateTable(const TableIdentifier& id, const std::string& metadata_location);
  // NotFound if the table is missing.
  Result<CatalogTableEntry> LoadTable(const TableIdentifier& id);
  Result<bool> TableExists(const TableIdentifier& id);
  Result<std::vector<TableIdentifier>> ListTables(const std::string& ns);
  // Swaps the pointer from `expected_location` to `new_location`. Aborted when the table's
  // pointer is no longer `expected_location` (another writer committed first); NotFound if the
  // table was dropped.
  Status CommitTable(const TableIdentifier& id, const std::string& expected_location,
                     const std::string& new_location);
  // NotFound if missing.
  Status DropTable(const TableIdentifier& id);
  // NotFound if `from` is missing or `to`'s namespace is missing; AlreadyExists if `to` exists.
  Status RenameTable(const TableIdentifier& from, const TableIdentifier& to);

  explicit Catalog(std::unique_ptr<SqliteDb> db);

  // InvalidArgument for a namespace or table name that cannot be a directory name (empty, too
  // long, control characters, slashes, "." or ".."); `what` names it in the message.
  Status ValidateName(const std::string& what, const std::string& name) const;

 private:
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace medlake::storage
