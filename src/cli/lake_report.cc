#include "cli/lake_report.h"

#include "cli/sql_command.h"
#include "engine/lake_session.h"
#include "storage/lake.h"

namespace medlake::cli {

int PrintLakeReport(const std::string& lake, const storage::TableIdentifier& required,
                    const std::string& missing_note, const std::vector<std::string>& statements,
                    OutputFormat format, std::FILE* out, std::FILE* err) {
  auto opened = storage::Lake::Open(lake);
  if (!opened.ok()) {
    std::fprintf(err, "Error: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  {
    auto session = engine::LakeSession::Open(**opened);
    if (!session.ok()) {
      std::fprintf(err, "Error: %s\n", session.status().ToString().c_str());
      return 1;
    }
    auto exists = (*session)->catalog().TableExists(required);
    if (!exists.ok()) {
      std::fprintf(err, "Error: %s\n", exists.status().ToString().c_str());
      return 1;
    }
    if (!*exists) {
      std::fprintf(out, "%s\n", missing_note.c_str());
      return 0;
    }
  }
  SqlCommandOptions sql;
  sql.lake = lake;
  sql.commands = statements;
  sql.format = format;
  sql.create_lake = false;
  return RunSqlCommand(sql, nullptr, out, err);
}

}  // namespace medlake::cli
