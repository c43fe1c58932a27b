// cli/sql_command.h: `medlake sql`: runs SQL from -c strings, files or standard input against a
// lake and prints results.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "cli/result_writer.h"
#include "cli/user_session.h"
#include "storage/lake.h"

namespace medlake::cli {

struct SqlCommandOptions {
  std::string lake;                   // lake directory (created if it does not exist)
  std::vector<std::string> commands;  // -c texts, run in order
  std::vector<std::string> files;     // -f files, run after the -c texts
  OutputFormat format = OutputFormat::kTable;
  // Create the lake when --lake names a new or empty directory (`sql` does; `table` does not).
  bool create_lake = true;
  UserOptions who;  // the session's user and purpose (default: the owner, no purpose)
};

// Runs the command; returns the process exit status (0 ok, 1 a statement or lake error).
// Results go to `out`, errors and notes to `err`.
int RunSqlCommand(const SqlCommandOptions& options, std::FILE* in, std::FILE* out, std::FILE* err);

// Opens the lake at `root`, creating it when `root` does not exist or is an empty directory
// (the documented behaviour of `medlake sql`). Writes a note to `err` when it creates one.
Result<std::unique_ptr<storage::Lake>> OpenOrCreateLake(const std::string& root, std::FILE* err);

}  // namespace medlake::cli
