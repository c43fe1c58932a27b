// cli/serve_command.h: `medlake serve [--pg PORT] [--http PORT] [--mllp PORT]`: runs the network
// front ends on a lake until SIGINT or SIGTERM. Thin over server/ (pgwire, HTTP) and
// ingest/mllp/mllp_service.h, which document the behaviour.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace medlake::cli {

struct ServeOptions {
  std::string lake;                        // lake directory (must exist: `medlake init`)
  std::string config_file;                 // JSON settings (docs/serve.md); flags win over it
  int mllp_port = -1;                      // -1: off; 0: any free port (printed on start)
  int pg_port = -1;                        // PostgreSQL wire protocol; -1 off, 0 any free port
  int http_port = -1;                      // HTTP (REST, FHIR, Iceberg REST, health, metrics)
  std::string bind_address = "127.0.0.1";  // IPv4 literal
  std::string tls_cert, tls_key;           // PEM files; both or neither
  bool tls_self_signed = false;            // make <lake>/keys/server.{crt,key} if missing, use them
  bool require_tls = false;                // pgwire: refuse clients that do not start TLS
  int max_connections = 256;               // per listener
  int max_failed_logins = 20;              // per client address within the window
  int failed_login_window_s = 600;
  std::string audit_sync = "interval";     // "interval": records synced in the background; "statement": before each result
  int audit_sync_ms = 10;                  // the background sync's interval
  int session_threads = 1;                 // DuckDB threads per SQL session (1: no hand-offs between threads)
  std::string session_memory = "4GB";      // DuckDB memory limit per SQL session
  std::string version;                     // medlake's version (REST index, metrics)
  int64_t batch_messages = 1000;           // commit a micro-batch every N messages...
  int64_t batch_millis = 1000;             // ...or every T milliseconds
};

// Opens the lake, starts the listeners asked for (at least one) and prints
// "<name> listening on <address>:<port>" per listener to `out` (flushed, so scripts can wait for
// it); the MLLP listener replays the staging WAL first. Blocks
// until SIGINT or SIGTERM, then stops accepting, acknowledges what was read, commits everything
// durable and returns. Must be called before the process starts other threads (it blocks the two
// signals for the threads it creates). Errors go to `err`. Returns the exit status: 0 after a
// clean stop, 2 for invalid options, 1 for any other failure (lake missing, port taken, commit).
int RunServeCommand(const ServeOptions& options, std::FILE* out, std::FILE* err);

}  // namespace medlake::cli
