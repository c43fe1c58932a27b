// cli/erase_command.h: `medlake erase --person ID [--dry-run]`: the right to erasure
// (pipeline/erasure.h). Admins only; writes an audit record (action "erase") either way.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "cli/user_session.h"

namespace medlake::cli {

struct EraseCommandOptions {
  std::string lake;
  int64_t person_id = 0;
  bool dry_run = false;
  UserOptions who;
  std::string command_line;
};

// Prints the receipt (JSON) to `out`. Returns 0 on success, 1 on failure.
int RunEraseCommand(const EraseCommandOptions& options, std::FILE* out, std::FILE* err);

}  // namespace medlake::cli
