// storage/lake.h: a lake directory and its layout (docs/formats/lake_layout.md).
//
//   <root>/medlake.json   identity: format marker, layout version, lake id, creation time
//   <root>/catalog.db     SQLite: Iceberg JDBC-catalog tables (+ governance/security later)
//   <root>/warehouse/     Iceberg tables: warehouse/<namespace>/<table>/{metadata,data}
//   <root>/staging/       write-ahead log of received messages not yet committed
//   <root>/keys/          secret keys, mode 0700
//
// Thread-safety: a Lake object is immutable after Open/Create and safe to share.
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/status.h"

namespace medlake::storage {

inline constexpr int kLakeLayoutVersion = 1;
// The catalog name used in the JDBC-catalog tables of this lake.
inline constexpr const char* kCatalogName = "medlake";

class Lake {
 public:
  // Creates a new lake at `root` (the directory may exist if empty).
  // AlreadyExists if `root` is a lake already; FailedPrecondition if `root` is a non-empty
  // directory that is not a lake, or a file; IOError on file system failures.
  static Result<std::unique_ptr<Lake>> Create(const std::string& root,
                                              const Clock& clock = SystemClock::Default());
  // Opens an existing lake. NotFound if `root` does not exist or is not a lake (the message says
  // how to create one); FailedPrecondition for a newer layout version; DataLoss if the identity
  // file is corrupt.
  static Result<std::unique_ptr<Lake>> Open(const std::string& root);
  // True if `root` holds a lake identity file.
  static bool IsLake(const std::string& root);

  const std::string& root() const { return root_; }
  const std::string& lake_id() const { return lake_id_; }
  int64_t created_micros() const { return created_micros_; }
  std::string catalog_path() const { return root_ + "/catalog.db"; }
  std::string warehouse_path() const { return root_ + "/warehouse"; }
  std::string staging_path() const { return root_ + "/staging"; }
  std::string keys_path() const { return root_ + "/keys"; }

  Lake(std::string root, std::string lake_id, int64_t created_micros)
      : root_(std::move(root)), lake_id_(std::move(lake_id)), created_micros_(created_micros) {}

 private:
  std::string root_;
  std::string lake_id_;
  int64_t created_micros_;
};

}  // namespace medlake::storage
