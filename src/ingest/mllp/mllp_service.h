// ingest/mllp/mllp_service.h: the MLLP listener wired up: WAL + committer + TCP server.
//
// Part of ingest/mllp (see README.md). Start() opens a LakeSession for the committer, creates the
// raw tables when missing, opens the staging WAL in <lake>/staging/mllp, replays (commits) what a
// previous run left after the checkpoint, then starts the committer thread and the server.
// Stop() stops accepting, lets connections finish what they read, and commits everything durable.
// `medlake serve --mllp PORT` (cli/serve_command.h) is a thin shell over this class.
//
// Thread-safety: port() from any thread; Start/Stop from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "engine/lake_session.h"
#include "ingest/mllp/mllp_committer.h"
#include "ingest/mllp/mllp_server.h"
#include "ingest/mllp/staging_wal.h"
#include "storage/lake.h"

namespace medlake::ingest::mllp {

struct MllpServiceOptions {
  std::string bind_address = "127.0.0.1";
  int port = 0;
  int64_t batch_messages = 1000;
  int64_t batch_millis = 1000;
  size_t max_connections = 256;
  int duckdb_threads = 1;  // the committer's DuckDB threads
};

class MllpService {
 public:
  // `lake` must outlive the service. Errors of opening the session, the raw tables, the WAL, the
  // replay commit (the service does not start on a lake it cannot write) or binding the port.
  static Result<std::unique_ptr<MllpService>> Start(const storage::Lake& lake,
                                                    const MllpServiceOptions& options);
  ~MllpService();  // Stop(), ignoring its status

  int port() const { return server_->port(); }
  // The WAL directory: <lake>/staging/mllp.
  static std::string WalDir(const storage::Lake& lake);

  // Stops the server (in-flight messages are acknowledged), then commits every durable record.
  // Returns the final commit's error, if any (the records stay in the WAL for the next start).
  Status Stop();

  MllpServerStats server_stats() const { return server_->stats(); }
  MllpCommitStats commit_stats() const { return committer_->stats(); }

  MllpService(std::unique_ptr<engine::LakeSession> session, std::unique_ptr<StagingWal> wal,
              std::unique_ptr<MllpCommitter> committer);

 private:
  // Declaration order is destruction order in reverse: the server goes first, the session last.
  std::unique_ptr<engine::LakeSession> session_;
  std::unique_ptr<StagingWal> wal_;
  std::unique_ptr<MllpCommitter> committer_;
  std::unique_ptr<MllpServer> server_;
  bool stopped_ = false;
};

}  // namespace medlake::ingest::mllp
