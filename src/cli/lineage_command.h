// cli/lineage_command.h: `medlake lineage TABLE[.COLUMN] [--upstream|--downstream] [--depth N]`.
#pragma once

#include <cstdio>
#include <string>

#include "cli/result_writer.h"
#include "core/status.h"

namespace medlake::cli {

struct LineageCommandOptions {
  std::string lake;
  std::string target;       // ns.table or ns.table.column
  bool downstream = false;  // default: upstream (where it comes from)
  int depth = 20;           // maximum number of hops
  OutputFormat format = OutputFormat::kTable;
};

// The recursive query over lineage.edges for `options` (one row per edge reached: depth, from,
// to). InvalidArgument for a target that is not ns.table[.column] or a depth outside 1..100.
Result<std::string> LineageSql(const LineageCommandOptions& options);

// Prints the edges. Exit status 0, 1 when the lake cannot be read, 2 for a bad target.
int RunLineageCommand(const LineageCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace medlake::cli
