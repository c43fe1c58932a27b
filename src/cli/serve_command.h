// cli/serve_command.h: `medlake serve --mllp PORT`: runs the MLLP listener on a lake until
// SIGINT or SIGTERM. Thin over ingest/mllp/mllp_service.h, which documents the behaviour.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace medlake::cli {

struct ServeOptions {
  std::string lake;                        // lake directory (must exist: `medlake init`)
  int mllp_port = 0;                       // 0: any free port (printed on start)
  std::string bind_address = "127.0.0.1";  // IPv4 literal
  int64_t batch_messages = 1000;           // commit a micro-batch every N messages...
  int64_t batch_millis = 1000;             // ...or every T milliseconds
};

// Opens the lake, replays the staging WAL, starts the listener and prints
// "mllp listening on <address>:<port>" to `out` (flushed, so scripts can wait for it). Blocks
// until SIGINT or SIGTERM, then stops accepting, acknowledges what was read, commits everything
// durable and returns. Must be called before the process starts other threads (it blocks the two
// signals for the threads it creates). Errors go to `err`. Returns the exit status: 0 after a
// clean stop, 2 for invalid options, 1 for any other failure (lake missing, port taken, commit).
int RunServeCommand(const ServeOptions& options, std::FILE* out, std::FILE* err);

}  // namespace medlake::cli
