#include "storage/catalog.h"

#include "storage/lake.h"
#include "storage/sqlite_db.h"

namespace medlake::storage {

Result<TableIdentifier> ParseTableIdentifier(const std::string& text) {
  size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= text.size() ||
      text.find('.', dot + 1) != std::string::npos) {
    return InvalidArgument("expected a table name of the form namespace.table, got '" + text + "'");
  }
  return TableIdentifier{text.substr(0, dot), text.substr(dot + 1)};
}

Catalog::Catalog(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
Catalog::~Catalog() = default;

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path) {
  MEDLAKE_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, /*create=*/false));
  return std::make_unique<Catalog>(std::move(db));
}

Status Catalog::ValidateName(const std::string& what, const std::string& name) const {
  if (name.empty()) return InvalidArgument(what + " name is empty");
  if (name.size() > 255) return InvalidArgument(what + " name is longer than 255 bytes");
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '/' || c == '\\') {
      return InvalidArgument(what + " name '" + name + "' holds a control character or a slash");
    }
  }
  if (name == "." || name == "..") return InvalidArgument(what + " name '" + name + "' is reserved");
  return Status::OK();
}

Status Catalog::CreateNamespace(const std::string& ns,
                                const std::map<std::string, std::string>& properties) {
  MEDLAKE_RETURN_IF_ERROR(ValidateName("namespace", ns));
  if (ns.find('.') != std::string::npos) {
    return InvalidArgument("nested namespaces are not supported: '" + ns + "'");
  }
  MEDLAKE_RETURN_IF_ERROR(db_->Execute("BEGIN IMMEDIATE"));
  auto rollback = [this](Status s) {
    (void)db_->Execute("ROLLBACK");
    return s;
  };
  auto exists = NamespaceExists(ns);
  if (!exists.ok()) return rollback(exists.status());
  if (*exists) return rollback(AlreadyExists("namespace " + ns + " already exists"));
  auto props = properties;
  props["exists"] = "true";
  auto stmt = db_->Prepare(
      "INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, "
      "property_value) VALUES (?, ?, ?, ?)");
  if (!stmt.ok()) return rollback(stmt.status());
  for (const auto& [k, v] : props) {
    Status st = (*stmt)->BindText(1, kCatalogName);
    if (st.ok()) st = (*stmt)->BindText(2, ns);
    if (st.ok()) st = (*stmt)->BindText(3, k);
    if (st.ok()) st = (*stmt)->BindText(4, v);
    if (st.ok()) st = (*stmt)->Run();
    if (st.ok()) st = (*stmt)->Reset();
    if (!st.ok()) return rollback(st);
  }
  stmt->reset();
  return db_->Execute("COMMIT");
}

Result<bool> Catalog::NamespaceExists(const std::string& ns) {
  MEDLAKE_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare("SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? "
                              "AND namespace = ? LIMIT 1"));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(1, kCatalogName));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(2, ns));
  return stmt->Step();
}

Result<std::vector<std::string>> Catalog::ListNamespaces() {
  MEDLAKE_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare("SELECT DISTINCT namespace FROM iceberg_namespace_properties WHERE "
                              "catalog_name = ? ORDER BY namespace"));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(1, kCatalogName));
  std::vector<std::string> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.push_back(stmt->ColumnText(0).value_or(""));
  }
  return out;
}

Result<std::map<std::string, std::string>> Catalog::NamespaceProperties(const std::string& ns) {
  MEDLAKE_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare("SELECT property_key, property_value FROM "
                              "iceberg_namespace_properties WHERE catalog_name = ? AND "
                              "namespace = ?"));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(1, kCatalogName));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(2, ns));
  std::map<std::string, std::string> out;
  bool any = false;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    any = true;
    out[stmt->ColumnText(0).value_or("")] = stmt->ColumnText(1).value_or("");
  }
  if (!any) return NotFound("namespace " + ns + " does not exist");
  return out;
}

Status Catalog::DropNamespace(const std::string& ns) {
  MEDLAKE_RETURN_IF_ERROR(db_->Execute("BEGIN IMMEDIATE"));
  auto finish = [this](Status s) {
    (void)db_->Execute(s.ok() ? "COMMIT" : "ROLLBACK");
    return s;
  };
  auto exists = NamespaceExists(ns);
  if (!exists.ok()) return finish(exists.status());
  if (!*exists) return finish(NotFound("namespace " + ns + " does not exist"));
  auto tables = ListTables(ns);
  if (!tables.ok()) return finish(tables.status());
  if (!tables->empty()) {
    return finish(FailedPrecondition("namespace " + ns + " still holds " +
                                     std::to_string(tables->size()) + " table(s)"));
  }
  auto stmt = db_->Prepare(
      "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?");
  if (!stmt.ok()) return finish(stmt.status());
  Status st = (*stmt)->BindText(1, kCatalogName);
  if (st.ok()) st = (*stmt)->BindText(2, ns);
  if (st.ok()) st = (*stmt)->Run();
  stmt->reset();
  return finish(st);
}

Status Catalog::CreateTable(const TableIdentifier& id, const std::string& metadata_location) {
  MEDLAKE_RETURN_IF_ERROR(ValidateName("table", id.name));
  MEDLAKE_ASSIGN_OR_RETURN(bool ns_exists, NamespaceExists(id.ns));
  if (!ns_exists) return NotFound("namespace " + id.ns + " does not exist");
  MEDLAKE_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare("INSERT INTO iceberg_tables (catalog_name, table_namespace, "
                              "table_name, metadata_location, previous_metadata_location, "
                              "iceberg_type) VALUES (?, ?, ?, ?, NULL, 'TABLE')"));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(1, kCatalogName));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(2, id.ns));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(3, id.name));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(4, metadata_location));
  Status st = stmt->Run();
  if (st.code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("table " + id.ToString() + " already exists");
  }
  return st;
}

Result<CatalogTableEntry> Catalog::LoadTable(const TableIdentifier& id) {
  MEDLAKE_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare("SELECT metadata_location, previous_metadata_location FROM "
                              "iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND "
                              "table_name = ?"));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(1, kCatalogName));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(2, id.ns));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(3, id.name));
  MEDLAKE_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return NotFound("table " + id.ToString() + " does not exist");
  CatalogTableEntry entry;
  entry.id = id;
  entry.metadata_location = stmt->ColumnText(0).value_or("");
  entry.previous_metadata_location = stmt->ColumnText(1);
  return entry;
}

Result<bool> Catalog::TableExists(const TableIdentifier& id) {
  auto entry = LoadTable(id);
  if (entry.ok()) return true;
  if (entry.status().code() == StatusCode::kNotFound) return false;
  return entry.status();
}

Result<std::vector<TableIdentifier>> Catalog::ListTables(const std::string& ns) {
  MEDLAKE_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare("SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND "
                              "table_namespace = ? ORDER BY table_name"));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(1, kCatalogName));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(2, ns));
  std::vector<TableIdentifier> out;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.push_back(TableIdentifier{ns, stmt->ColumnText(0).value_or("")});
  }
  return out;
}

Status Catalog::CommitTable(const TableIdentifier& id, const std::string& expected_location,
                            const std::string& new_location) {
  MEDLAKE_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare("UPDATE iceberg_tables SET metadata_location = ?, "
                              "previous_metadata_location = ? WHERE catalog_name = ? AND "
                              "table_namespace = ? AND table_name = ? AND metadata_location = ?"));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(1, new_location));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(2, expected_location));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(3, kCatalogName));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(4, id.ns));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(5, id.name));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(6, expected_location));
  MEDLAKE_RETURN_IF_ERROR(stmt->Run());
  if (db_->Changes() == 1) return Status::OK();
  MEDLAKE_ASSIGN_OR_RETURN(bool exists, TableExists(id));
  if (!exists) return NotFound("table " + id.ToString() + " was dropped");
  return Aborted("commit conflict on " + id.ToString() +
                 ": another writer committed first; retry on the new snapshot");
}

Status Catalog::DropTable(const TableIdentifier& id) {
  MEDLAKE_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare("DELETE FROM iceberg_tables WHERE catalog_name = ? AND "
                              "table_namespace = ? AND table_name = ?"));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(1, kCatalogName));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(2, id.ns));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(3, id.name));
  MEDLAKE_RETURN_IF_ERROR(stmt->Run());
  if (db_->Changes() == 0) return NotFound("table " + id.ToString() + " does not exist");
  return Status::OK();
}

Status Catalog::RenameTable(const TableIdentifier& from, const TableIdentifier& to) {
  MEDLAKE_RETURN_IF_ERROR(ValidateName("table", to.name));
  MEDLAKE_ASSIGN_OR_RETURN(bool ns_exists, NamespaceExists(to.ns));
  if (!ns_exists) return NotFound("namespace " + to.ns + " does not exist");
  MEDLAKE_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare("UPDATE iceberg_tables SET table_namespace = ?, table_name = ? "
                              "WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?"));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(1, to.ns));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(2, to.name));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(3, kCatalogName));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(4, from.ns));
  MEDLAKE_RETURN_IF_ERROR(stmt->BindText(5, from.name));
  Status st = stmt->Run();
  if (st.code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("table " + to.ToString() + " already exists");
  }
  MEDLAKE_RETURN_IF_ERROR(st);
  if (db_->Changes() == 0) return NotFound("table " + from.ToString() + " does not exist");
  return Status::OK();
}

}  // namespace medlake::storage
