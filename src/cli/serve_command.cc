#include "cli/serve_command.h"

#include <signal.h>

#include "cli/catalog_command.h"
#include "engine/lake_session.h"
#include "ingest/mllp/mllp_service.h"
#include "storage/lake.h"

namespace medlake::cli {
namespace {

void PrintError(std::FILE* err, const Status& st) {
  std::fprintf(err, "Error: %s\n", st.ToString().c_str());
}

}  // namespace

int RunServeCommand(const ServeOptions& options, std::FILE* out, std::FILE* err) {
  if (options.mllp_port < 0 || options.mllp_port > 65535 || options.batch_messages <= 0 ||
      options.batch_millis <= 0) {
    std::fprintf(err, "Error: --mllp must be 0..65535 and batch sizes positive\n");
    return 2;
  }
  // Block the stop signals before any thread exists, so that every thread inherits the mask and
  // sigwait() below is the only place they are delivered.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);

  int rc = 1;
  auto lake = storage::Lake::Open(options.lake);
  if (!lake.ok()) {
    PrintError(err, lake.status());
  } else {
    ingest::mllp::MllpServiceOptions service_options;
    service_options.bind_address = options.bind_address;
    service_options.port = options.mllp_port;
    service_options.batch_messages = options.batch_messages;
    service_options.batch_millis = options.batch_millis;
    auto service = ingest::mllp::MllpService::Start(**lake, service_options);
    if (!service.ok()) {
      PrintError(err, service.status());
    } else {
      std::fprintf(out, "mllp listening on %s:%d\n", options.bind_address.c_str(),
                   (*service)->port());
      std::fflush(out);
      int sig = 0;
      while (sigwait(&stop_signals, &sig) != 0) {
      }
      Status st = (*service)->Stop();
      if (st.ok()) {
        auto s = (*service)->server_stats();
        std::fprintf(out, "mllp stopped: %llu messages (%llu accepted, %llu rejected)\n",
                     static_cast<unsigned long long>(s.messages),
                     static_cast<unsigned long long>(s.accepted),
                     static_cast<unsigned long long>(s.rejected));
        rc = 0;
        // What arrived is classified like a CLI load: the raw tables' tags (PHI, identifiers).
        if (s.accepted + s.rejected > 0) {
          auto session = engine::LakeSession::Open(**lake);
          auto tables = session.ok() ? (*session)->catalog().ListTables("raw") : Result<std::vector<storage::TableIdentifier>>(session.status());
          auto line = tables.ok() ? ClassifyWrittenTables(**session, **lake, *tables, /*propagate=*/false)
                                  : Result<std::string>(tables.status());
          if (line.ok()) {
            std::fprintf(out, "%s\n", line->c_str());
          } else {
            std::fprintf(err, "Warning: classification: %s\n", line.status().ToString().c_str());
          }
        }
      } else {
        PrintError(err, st);
      }
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return rc;
}

}  // namespace medlake::cli
