// server/net/tcp.h: TCP streams (optionally upgraded to TLS) and the listener the front ends share.
//
// Part of server/net (see README.md). Model: one accept thread per listener and one thread per
// connection, as the MLLP listener does. A SQL session is a blocking DuckDB call chain, so a
// thread per session is the natural shape; it caps at `max_connections` (default 256), above which
// `on_overflow` gets the connection to refuse it politely (pgwire: SQLSTATE 53300) before it is closed.
//
// Graceful stop: Stop() closes the listening socket, raises stopping() for handlers to finish what
// they are doing (the current query or response), waits up to `grace` for them, then shuts every
// remaining socket down (their blocked reads return) and joins all threads.
//
// Thread-safety: Start/Stop/port/stats from any thread; handlers run on their connection's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/status.h"
#include "core/tls.h"
#include "server/net/stream.h"

namespace medlake::server::net {

// A connected TCP socket; starts plain, may switch to TLS (pgwire's SSLRequest, or HTTPS at once).
class TcpStream final : public Stream {
 public:
  TcpStream(int fd, std::string peer);
  ~TcpStream() override;  // closes the socket
  Result<size_t> Read(char* buf, size_t n) override;
  Status Write(std::string_view data) override;
  void Shutdown() override;
  bool is_tls() const override { return tls_ != nullptr; }
  std::string peer() const override { return peer_; }

  // Runs the TLS handshake; afterwards Read/Write go through TLS.
  Status StartTls(TlsServerContext& context);
  // Read timeout (SO_RCVTIMEO): a Read that waits longer fails with IOError "timed out".
  // 0 disables it (the default).
  void SetReadTimeout(std::chrono::milliseconds timeout);
  // A deadline for every Read from now on (a client trickling bytes cannot stretch it); nullopt
  // removes it. Reads after the deadline fail with IOError "timed out".
  void SetDeadline(std::optional<std::chrono::steady_clock::time_point> deadline);
  int fd() const { return fd_; }

 private:
  int fd_;
  std::string peer_;
  std::unique_ptr<TlsConnection> tls_;
  std::atomic<bool> shut_{false};
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::chrono::milliseconds timeout_{0};
};

struct ListenerOptions {
  std::string name = "tcp";                // for messages: "pgwire", "http"
  std::string bind_address = "127.0.0.1";  // IPv4 literal; 0.0.0.0 for every interface
  int port = 0;                            // 0: any free port (see port())
  size_t max_connections = 256;
  // Connections over the cap are refused on threads of their own (so a slow client cannot stall
  // the accept loop), at most this many at a time; beyond, they are closed at once.
  size_t max_refusing = 16;
  std::chrono::milliseconds grace{5000};
};

struct ListenerStats {
  uint64_t accepted = 0;
  uint64_t refused = 0;  // over max_connections
  uint64_t active = 0;
};

class TcpListener {
 public:
  using Handler = std::function<void(TcpStream& stream)>;

  // Binds and starts accepting. `handler` runs on a new thread per connection; the listener owns
  // the stream and closes it when the handler returns. `on_overflow` (may be empty) runs on the
  // accept thread for a connection over the cap, before it is closed.
  static Result<std::unique_ptr<TcpListener>> Start(const ListenerOptions& options, Handler handler,
                                                    Handler on_overflow = {});
  ~TcpListener();  // Stop()
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  int port() const { return port_; }
  const ListenerOptions& options() const { return options_; }
  // True once Stop() began: handlers finish their current work and return.
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void Stop();
  ListenerStats stats() const;

  TcpListener(const ListenerOptions& options, int listen_fd, int port, Handler handler, Handler on_overflow);

 private:
  struct Connection {
    std::thread thread;
    TcpStream* stream = nullptr;  // valid while !done
    bool done = false;
    bool refusal = false;  // an over-the-cap connection being refused
  };
  void AcceptLoop();
  void ReapFinished();  // joins threads of finished connections; caller holds no lock

  ListenerOptions options_;
  int listen_fd_;
  int port_;
  Handler handler_;
  Handler on_overflow_;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::condition_variable all_done_;
  std::map<uint64_t, Connection> connections_;  // guarded by mu_
  uint64_t next_id_ = 0;
  ListenerStats stats_;  // guarded by mu_
  std::once_flag stop_once_;
};

}  // namespace medlake::server::net
