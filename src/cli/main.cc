// medlake: the command-line entry point. Thin: parses arguments with CLI11 and calls the
// libraries. Exit status 0 on success, 1 when the command failed, 2 for usage errors.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/sql_command.h"
#include "engine/database.h"
#include "storage/lake.h"

#ifndef MEDLAKE_VERSION
#define MEDLAKE_VERSION "0.0.0"
#endif

namespace {

std::string DefaultLake() {
  const char* env = std::getenv("MEDLAKE_LAKE");
  return env && *env ? env : "./medlake-lake";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace medlake;
  CLI::App app{"medlake: a healthcare data lakehouse (Iceberg tables, DuckDB engine)", "medlake"};
  app.require_subcommand(1);
  std::string lake = DefaultLake();
  app.add_option("--lake", lake, "lake directory (default: $MEDLAKE_LAKE, else ./medlake-lake)");

  auto* version = app.add_subcommand("version", "print medlake's and DuckDB's versions");
  auto* init = app.add_subcommand("init", "create a new lake in --lake");

  cli::SqlCommandOptions sql_options;
  std::string format = "table";
  auto* sql = app.add_subcommand(
      "sql",
      "run SQL statements (from -c, -f, or standard input); creates the lake if --lake does not "
      "exist yet");
  sql->add_option("-c,--command", sql_options.commands, "SQL text to run (repeatable)");
  sql->add_option("-f,--file", sql_options.files, "file of SQL statements to run (repeatable)")
      ->check(CLI::ExistingFile);
  sql->add_option("--format", format, "output format: table, csv, json, ndjson")
      ->check(CLI::IsMember({"table", "csv", "json", "ndjson"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (version->parsed()) {
    std::printf("medlake %s (DuckDB %s)\n", MEDLAKE_VERSION,
                engine::Database::LibraryVersion().c_str());
    return 0;
  }
  if (init->parsed()) {
    auto created = storage::Lake::Create(lake);
    if (!created.ok()) {
      std::fprintf(stderr, "Error: %s\n", created.status().ToString().c_str());
      return 1;
    }
    std::printf("created lake %s at %s\n", (*created)->lake_id().c_str(),
                (*created)->root().c_str());
    return 0;
  }
  if (sql->parsed()) {
    sql_options.lake = lake;
    auto parsed = cli::ParseOutputFormat(format);
    if (!parsed.ok()) {
      std::fprintf(stderr, "Error: %s\n", parsed.status().ToString().c_str());
      return 2;
    }
    sql_options.format = *parsed;
    return cli::RunSqlCommand(sql_options, stdin, stdout, stderr);
  }
  return 2;
}
