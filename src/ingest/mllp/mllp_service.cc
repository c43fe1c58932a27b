#include "ingest/mllp/mllp_service.h"

#include "core/file_system.h"
#include "ingest/raw_tables.h"

namespace medlake::ingest::mllp {

MllpService::MllpService(std::unique_ptr<engine::LakeSession> session,
                         std::unique_ptr<StagingWal> wal, std::unique_ptr<MllpCommitter> committer)
    : session_(std::move(session)), wal_(std::move(wal)), committer_(std::move(committer)) {}

MllpService::~MllpService() { (void)Stop(); }

std::string MllpService::WalDir(const storage::Lake& lake) {
  return JoinPath(lake.staging_path(), "mllp");
}

Result<std::unique_ptr<MllpService>> MllpService::Start(const storage::Lake& lake,
                                                        const MllpServiceOptions& options) {
  engine::LakeSessionOptions session_options;
  session_options.threads = options.duckdb_threads;
  MEDLAKE_ASSIGN_OR_RETURN(auto session, engine::LakeSession::Open(lake, session_options));
  MEDLAKE_RETURN_IF_ERROR(EnsureRawTables(*session));
  MEDLAKE_ASSIGN_OR_RETURN(auto wal, StagingWal::Open(WalDir(lake)));
  MllpCommitterOptions committer_options;
  committer_options.batch_messages = options.batch_messages;
  committer_options.batch_millis = options.batch_millis;
  MEDLAKE_ASSIGN_OR_RETURN(auto committer, MllpCommitter::Make(*session, *wal, committer_options));
  // Replay: what the previous run made durable but did not commit goes in before new traffic.
  MEDLAKE_RETURN_IF_ERROR(committer->CommitPending());
  auto service =
      std::make_unique<MllpService>(std::move(session), std::move(wal), std::move(committer));
  MEDLAKE_RETURN_IF_ERROR(service->committer_->Start());
  MllpServerOptions server_options;
  server_options.bind_address = options.bind_address;
  server_options.port = options.port;
  server_options.max_connections = options.max_connections;
  MllpCommitter* committer_ptr = service->committer_.get();
  server_options.on_durable = [committer_ptr](size_t n) { committer_ptr->Notify(n); };
  MEDLAKE_ASSIGN_OR_RETURN(service->server_, MllpServer::Start(server_options, *service->wal_));
  return service;
}

Status MllpService::Stop() {
  if (stopped_)
    return Status::OK();
  stopped_ = true;
  if (server_)
    server_->Stop();
  return committer_->Stop();
}

}  // namespace medlake::ingest::mllp
