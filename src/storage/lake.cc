#include "storage/lake.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "core/file_system.h"
#include "core/uuid.h"
#include "storage/sqlite_db.h"

namespace medlake::storage {
namespace {

constexpr const char* kIdentityFile = "medlake.json";
constexpr const char* kFormatMarker = "medlake-lake";

// Iceberg's JDBC catalog schema (the V1 layout with iceberg_type), so the same tables can later
// live in PostgreSQL and be read by Iceberg's own JdbcCatalog.
constexpr const char* kCatalogSchema = R"sql(
CREATE TABLE IF NOT EXISTS iceberg_tables (
  catalog_name VARCHAR(255) NOT NULL,
  table_namespace VARCHAR(255) NOT NULL,
  table_name VARCHAR(255) NOT NULL,
  metadata_location VARCHAR(1000),
  previous_metadata_location VARCHAR(1000),
  iceberg_type VARCHAR(5),
  PRIMARY KEY (catalog_name, table_namespace, table_name));
CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
  catalog_name VARCHAR(255) NOT NULL,
  namespace VARCHAR(255) NOT NULL,
  property_key VARCHAR(255),
  property_value VARCHAR(1000),
  PRIMARY KEY (catalog_name, namespace, property_key));
)sql";

}  // namespace

bool Lake::IsLake(const std::string& root) {
  auto exists = LocalFileSystem::Default().Exists(JoinPath(root, kIdentityFile));
  return exists.ok() && *exists;
}

Result<std::unique_ptr<Lake>> Lake::Create(const std::string& root_in, const Clock& clock) {
  auto& fs = LocalFileSystem::Default();
  MEDLAKE_ASSIGN_OR_RETURN(std::string root, AbsolutePath(root_in));
  if (IsLake(root)) return AlreadyExists("a lake already exists at " + root);
  MEDLAKE_ASSIGN_OR_RETURN(bool exists, fs.Exists(root));
  if (exists) {
    MEDLAKE_ASSIGN_OR_RETURN(bool is_dir, fs.IsDirectory(root));
    if (!is_dir) return FailedPrecondition(root + " is a file, not a directory");
    MEDLAKE_ASSIGN_OR_RETURN(auto entries, fs.ListDirectory(root));
    if (!entries.empty()) {
      return FailedPrecondition(root + " is a non-empty directory that is not a lake; "
                                       "choose an empty or new directory");
    }
  }
  for (const char* sub : {"warehouse", "staging", "keys"}) {
    MEDLAKE_RETURN_IF_ERROR(fs.CreateDirectories(JoinPath(root, sub)));
  }
  ::chmod(JoinPath(root, "keys").c_str(), 0700);

  {
    MEDLAKE_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(JoinPath(root, "catalog.db"), true));
    MEDLAKE_RETURN_IF_ERROR(db->Execute(kCatalogSchema));
  }

  MEDLAKE_ASSIGN_OR_RETURN(Uuid id, Uuid::RandomV4());
  int64_t now = clock.NowMicros();
  nlohmann::json identity = {{"format", kFormatMarker},
                             {"layout-version", kLakeLayoutVersion},
                             {"lake-id", id.ToString()},
                             {"created-at-micros", now}};
  // The identity file is written last: a lake whose creation was interrupted is not a lake.
  MEDLAKE_RETURN_IF_ERROR(
      fs.WriteFileExclusive(JoinPath(root, kIdentityFile), identity.dump(2) + "\n"));
  return std::make_unique<Lake>(root, id.ToString(), now);
}

Result<std::unique_ptr<Lake>> Lake::Open(const std::string& root_in) {
  auto& fs = LocalFileSystem::Default();
  MEDLAKE_ASSIGN_OR_RETURN(std::string root, AbsolutePath(root_in));
  std::string identity_path = JoinPath(root, kIdentityFile);
  auto text = fs.ReadFile(identity_path);
  if (!text.ok()) {
    if (text.status().code() != StatusCode::kNotFound) return text.status();
    MEDLAKE_ASSIGN_OR_RETURN(bool exists, fs.Exists(root));
    return NotFound((exists ? root + " is not a medlake lake" : "no lake at " + root) +
                    "; create one with: medlake --lake " + root_in + " init");
  }
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kFormatMarker ||
      !j.contains("layout-version") || !j["layout-version"].is_number_integer() ||
      !j.contains("lake-id") || !j["lake-id"].is_string()) {
    return DataLoss("corrupt lake identity file " + identity_path);
  }
  int version = j["layout-version"].get<int>();
  if (version > kLakeLayoutVersion) {
    return FailedPrecondition("lake " + root + " has layout version " + std::to_string(version) +
                              "; this medlake reads up to " + std::to_string(kLakeLayoutVersion));
  }
  int64_t created = j.value("created-at-micros", int64_t{0});
  return std::make_unique<Lake>(root, j["lake-id"].get<std::string>(), created);
}

}  // namespace medlake::storage
