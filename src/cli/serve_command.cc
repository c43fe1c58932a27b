#include "cli/serve_command.h"

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/catalog_command.h"
#include "core/tls.h"
#include "engine/lake_session.h"
#include "ingest/mllp/mllp_service.h"
#include "server/server.h"
#include "storage/lake.h"

namespace medlake::cli {
namespace {

void PrintError(std::FILE* err, const Status& st) {
  std::fprintf(err, "Error: %s\n", st.ToString().c_str());
}

// Settings from the JSON config file fill what the command line left at its default.
Status ApplyConfigFile(ServeOptions* o) {
  if (o->config_file.empty()) return Status::OK();
  std::ifstream in(o->config_file);
  if (!in) return InvalidArgument("cannot read config file " + o->config_file);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("config file " + o->config_file + " is not a JSON object");
  const ServeOptions d;
  static const std::set<std::string> kKnown = {"bind", "pg", "http", "mllp", "tls", "require_tls", "max_connections",
                                               "session", "mllp_batch_messages", "mllp_batch_millis",
                                               "max_failed_logins", "failed_login_window_s", "audit"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!kKnown.count(it.key())) return InvalidArgument("config file " + o->config_file + ": unknown key '" + it.key() + "'");
  }
  auto get_int = [&](const nlohmann::json& obj, const char* key, auto* field, auto def) -> Status {
    if (!obj.contains(key)) return Status::OK();
    if (!obj[key].is_number_integer()) return InvalidArgument(std::string("config file: '") + key + "' must be an integer");
    if (*field == def) *field = obj[key].get<std::remove_pointer_t<decltype(field)>>();
    return Status::OK();
  };
  auto get_str = [&](const nlohmann::json& obj, const char* key, std::string* field, const std::string& def) -> Status {
    if (!obj.contains(key)) return Status::OK();
    if (!obj[key].is_string()) return InvalidArgument(std::string("config file: '") + key + "' must be a string");
    if (*field == def) *field = obj[key].get<std::string>();
    return Status::OK();
  };
  MEDLAKE_RETURN_IF_ERROR(get_str(j, "bind", &o->bind_address, d.bind_address));
  MEDLAKE_RETURN_IF_ERROR(get_int(j, "pg", &o->pg_port, d.pg_port));
  MEDLAKE_RETURN_IF_ERROR(get_int(j, "http", &o->http_port, d.http_port));
  MEDLAKE_RETURN_IF_ERROR(get_int(j, "mllp", &o->mllp_port, d.mllp_port));
  MEDLAKE_RETURN_IF_ERROR(get_int(j, "max_connections", &o->max_connections, d.max_connections));
  MEDLAKE_RETURN_IF_ERROR(get_int(j, "max_failed_logins", &o->max_failed_logins, d.max_failed_logins));
  MEDLAKE_RETURN_IF_ERROR(get_int(j, "failed_login_window_s", &o->failed_login_window_s, d.failed_login_window_s));
  if (o->max_failed_logins < 1 || o->failed_login_window_s < 1) {
    return InvalidArgument("config file: 'max_failed_logins' and 'failed_login_window_s' must be at least 1");
  }
  MEDLAKE_RETURN_IF_ERROR(get_int(j, "mllp_batch_messages", &o->batch_messages, d.batch_messages));
  MEDLAKE_RETURN_IF_ERROR(get_int(j, "mllp_batch_millis", &o->batch_millis, d.batch_millis));
  if (j.contains("require_tls")) {
    if (!j["require_tls"].is_boolean()) return InvalidArgument("config file: 'require_tls' must be true or false");
    o->require_tls = o->require_tls || j["require_tls"].get<bool>();
  }
  if (j.contains("tls")) {
    const auto& t = j["tls"];
    if (!t.is_object()) return InvalidArgument("config file: 'tls' must be an object");
    MEDLAKE_RETURN_IF_ERROR(get_str(t, "cert", &o->tls_cert, d.tls_cert));
    MEDLAKE_RETURN_IF_ERROR(get_str(t, "key", &o->tls_key, d.tls_key));
    if (t.contains("self_signed")) o->tls_self_signed = o->tls_self_signed || t["self_signed"].get<bool>();
  }
  if (j.contains("audit")) {
    const auto& a = j["audit"];
    if (!a.is_object()) return InvalidArgument("config file: 'audit' must be an object");
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (it.key() != "sync" && it.key() != "sync_ms") return InvalidArgument("config file: unknown key 'audit." + it.key() + "'");
    }
    MEDLAKE_RETURN_IF_ERROR(get_str(a, "sync", &o->audit_sync, d.audit_sync));
    MEDLAKE_RETURN_IF_ERROR(get_int(a, "sync_ms", &o->audit_sync_ms, d.audit_sync_ms));
  }
  if (j.contains("session")) {
    const auto& s = j["session"];
    if (!s.is_object()) return InvalidArgument("config file: 'session' must be an object");
    MEDLAKE_RETURN_IF_ERROR(get_int(s, "threads", &o->session_threads, d.session_threads));
    MEDLAKE_RETURN_IF_ERROR(get_str(s, "memory", &o->session_memory, d.session_memory));
  }
  return Status::OK();
}

Result<std::shared_ptr<TlsServerContext>> LoadTls(const ServeOptions& o, const storage::Lake& lake, std::FILE* out) {
  std::string cert = o.tls_cert;
  std::string key = o.tls_key;
  if (o.tls_self_signed && cert.empty() && key.empty()) {
    cert = lake.root() + "/keys/server.crt";
    key = lake.root() + "/keys/server.key";
    struct stat st {};
    if (::stat(cert.c_str(), &st) != 0 || ::stat(key.c_str(), &st) != 0) {
      MEDLAKE_RETURN_IF_ERROR(GenerateSelfSignedCertificate(cert, key, "localhost"));
      std::fprintf(out, "generated a self-signed TLS certificate: %s\n", cert.c_str());
    }
  }
  if (cert.empty() && key.empty()) return std::shared_ptr<TlsServerContext>();
  if (cert.empty() || key.empty()) return InvalidArgument("--tls-cert and --tls-key go together");
  return TlsServerContext::FromFiles(cert, key);
}

}  // namespace

int RunServeCommand(const ServeOptions& given, std::FILE* out, std::FILE* err) {
  ServeOptions options = given;
  if (Status st = ApplyConfigFile(&options); !st.ok()) {
    PrintError(err, st);
    return 2;
  }
  if (options.audit_sync != "interval" && options.audit_sync != "statement") {
    std::fprintf(err, "Error: --audit-sync must be 'interval' or 'statement', not '%s'\n", options.audit_sync.c_str());
    return 2;
  }
  if (options.audit_sync_ms < 1 || options.audit_sync_ms > 1000) {
    std::fprintf(err, "Error: --audit-sync-ms must be between 1 and 1000\n");
    return 2;
  }
  if (options.batch_messages <= 0 || options.batch_millis <= 0) {
    std::fprintf(err, "Error: batch sizes must be positive\n");
    return 2;
  }
  if (options.pg_port < 0 && options.http_port < 0 && options.mllp_port < 0) {
    std::fprintf(err, "Error: nothing to serve: give --pg PORT, --http PORT and/or --mllp PORT\n");
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
  struct RestoreMask {
    sigset_t* previous;
    ~RestoreMask() { pthread_sigmask(SIG_SETMASK, previous, nullptr); }
  } restore{&previous};
  // Every socket write already avoids SIGPIPE (MSG_NOSIGNAL, also under TLS); ignoring it as well
  // keeps one vanished client from ending the server through any other path, as database servers do.
  ::signal(SIGPIPE, SIG_IGN);

  auto lake = storage::Lake::Open(options.lake);
  if (!lake.ok()) {
    PrintError(err, lake.status());
    return 1;
  }
  auto tls = LoadTls(options, **lake, out);
  if (!tls.ok()) {
    PrintError(err, tls.status());
    return 1;
  }
  std::unique_ptr<server::Server> front_ends;
  std::unique_ptr<ingest::mllp::MllpService> mllp;
  if (options.pg_port >= 0 || options.http_port >= 0) {
    server::ServerOptions so;
    so.bind_address = options.bind_address;
    so.pg_port = options.pg_port;
    so.http_port = options.http_port;
    so.tls = *tls;
    so.require_tls = options.require_tls;
    so.max_connections = static_cast<size_t>(options.max_connections);
    so.max_failed_logins = options.max_failed_logins;
    so.failed_login_window_s = options.failed_login_window_s;
    so.audit_sync_interval_ms = options.audit_sync == "statement" ? 0 : options.audit_sync_ms;
    so.session.threads = options.session_threads;
    so.session.memory_limit = options.session_memory;
    so.version = options.version;
    auto started = server::Server::Start(**lake, so);
    if (!started.ok()) {
      PrintError(err, started.status());
      return 1;
    }
    front_ends = std::move(*started);
    if (front_ends->pg_port() >= 0) {
      std::fprintf(out, "pgwire listening on %s:%d%s\n", options.bind_address.c_str(), front_ends->pg_port(),
                   *tls ? " (TLS available)" : "");
    }
    if (front_ends->http_port() >= 0) {
      std::fprintf(out, "http listening on %s:%d%s\n", options.bind_address.c_str(), front_ends->http_port(),
                   *tls ? " (TLS)" : "");
    }
  }
  if (options.mllp_port >= 0) {
    ingest::mllp::MllpServiceOptions service_options;
    service_options.bind_address = options.bind_address;
    service_options.port = options.mllp_port;
    service_options.batch_messages = options.batch_messages;
    service_options.batch_millis = options.batch_millis;
    auto service = ingest::mllp::MllpService::Start(**lake, service_options);
    if (!service.ok()) {
      PrintError(err, service.status());
      return 1;
    }
    mllp = std::move(*service);
    std::fprintf(out, "mllp listening on %s:%d\n", options.bind_address.c_str(), mllp->port());
  }
  std::fflush(out);

  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  int rc = 0;
  if (front_ends) {
    front_ends->Stop();
    std::fprintf(out, "%s", front_ends->Summary().c_str());
  }
  if (mllp) {
    Status st = mllp->Stop();
    if (!st.ok()) {
      PrintError(err, st);
      rc = 1;
    } else {
      auto s = mllp->server_stats();
      std::fprintf(out, "mllp stopped: %llu messages (%llu accepted, %llu rejected)\n",
                   static_cast<unsigned long long>(s.messages), static_cast<unsigned long long>(s.accepted),
                   static_cast<unsigned long long>(s.rejected));
      // What arrived is classified like a CLI load: the raw tables' tags (PHI, identifiers).
      if (s.accepted + s.rejected > 0) {
        auto session = engine::LakeSession::Open(**lake);
        auto tables = session.ok() ? (*session)->catalog().ListTables("raw")
                                   : Result<std::vector<storage::TableIdentifier>>(session.status());
        auto line = tables.ok() ? ClassifyWrittenTables(**session, **lake, *tables, /*propagate=*/false)
                                : Result<std::string>(tables.status());
        if (line.ok()) {
          std::fprintf(out, "%s\n", line->c_str());
        } else {
          std::fprintf(err, "Warning: classification: %s\n", line.status().ToString().c_str());
        }
      }
    }
  }
  return rc;
}

}  // namespace medlake::cli
