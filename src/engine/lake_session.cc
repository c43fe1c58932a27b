#include "engine/lake_session.h"

namespace medlake::engine {

Result<std::unique_ptr<LakeSession>> LakeSession::Open(const storage::Lake& lake,
                                                       const LakeSessionOptions& options) {
  DatabaseOptions db_options;
  if (options.threads > 0) db_options.config["threads"] = std::to_string(options.threads);
  if (!options.memory_limit.empty()) db_options.config["memory_limit"] = options.memory_limit;
  // Spill files of large sorts and joins go inside the lake, not to the working directory.
  db_options.config["temp_directory"] = lake.root() + "/staging/duckdb-tmp";
  MEDLAKE_ASSIGN_OR_RETURN(auto db, Database::Open(db_options));
  MEDLAKE_ASSIGN_OR_RETURN(auto conn, db->Connect());
  return std::make_unique<LakeSession>(lake, std::move(db), std::move(conn));
}

Status LakeSession::Run(std::string_view sql, const ResultCallback& on_result) {
  MEDLAKE_ASSIGN_OR_RETURN(auto statements, connection_->Split(sql));
  const bool many = statements->size() > 1;
  for (size_t i = 0; i < statements->size(); ++i) {
    auto context = [&](const Status& s) {
      return many ? s.WithContext("statement " + std::to_string(i + 1)) : s;
    };
    auto prepared = statements->Prepare(i);
    if (!prepared.ok()) return context(prepared.status());
    auto result = (*prepared)->Execute(/*streaming=*/true);
    if (!result.ok()) return context(result.status());
    Status st = on_result(i, **result);
    if (!st.ok()) return context(st);
  }
  return Status::OK();
}

}  // namespace medlake::engine
