// ingest/mllp/mllp_server.h: the MLLP listener (TCP) that stages HL7 v2 messages durably.
//
// Part of ingest/mllp (see README.md). Accepts connections on a TCP address (127.0.0.1 by
// default; port 0 picks a free port, see port()), decodes MLLP frames (mllp_framing.h), triages
// each message (mllp_triage.h), appends it to the StagingWal and replies with its ACK only after
// the append returned, i.e. after fdatasync: an AA/CA on the wire means the message survives a
// crash. All frames completed by one read() are appended with one WAL call, and appends from
// concurrent connections share fsyncs (group commit). ACKs go back in the order of the messages.
//
// Model: blocking POSIX sockets, one accept thread plus one thread per connection, capped at
// `max_connections` (further connections are accepted and closed at once). MLLP peers are few
// and long-lived (interface engines), and durability needs a blocked appender per in-flight
// message anyway; see README.md for the trade-off.
//
// Thread-safety: Start/Stop/port/stats are safe from any thread; Stop() is idempotent.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/status.h"
#include "ingest/mllp/mllp_framing.h"
#include "ingest/mllp/mllp_sync_internal.h"
#include "ingest/mllp/staging_wal.h"

namespace medlake::ingest::mllp {

struct MllpServerOptions {
  std::string bind_address = "127.0.0.1";  // IPv4 literal
  int port = 0;                            // 0: any free port
  size_t max_connections = 256;
  size_t max_frame_bytes = kDefaultMaxFrameBytes;
  // Called (from connection threads) after records were made durable, with their count; the
  // committer uses it to batch by message count. May be empty.
  std::function<void(size_t records)> on_durable;
};

struct MllpServerStats {
  uint64_t connections = 0;
  uint64_t messages = 0;
  uint64_t accepted = 0;  // AA/CA sent (or due, for NE senders)
  uint64_t rejected = 0;  // AE/AR (CE/CR)
  uint64_t storage_failures = 0;
  uint64_t garbage_bytes = 0;
  uint64_t oversized_frames = 0;
};

class MllpServer {
 public:
  // Binds, listens and starts the accept thread. `wal` and `clock` must outlive the server.
  // IOError if the address cannot be bound (message names address and port);
  // InvalidArgument for a bad bind address.
  static Result<std::unique_ptr<MllpServer>> Start(const MllpServerOptions& options,
                                                   StagingWal& wal,
                                                   const Clock& clock = SystemClock::Default());
  ~MllpServer();  // Stop()
  MllpServer(const MllpServer&) = delete;
  MllpServer& operator=(const MllpServer&) = delete;

  // The bound port (the real one when options.port was 0).
  int port() const { return port_; }

  // Stops accepting, lets every connection finish the messages it has already read (appended
  // and acknowledged), closes the connections and joins all threads. Idempotent.
  void Stop() MEDLAKE_EXCLUDES(mu_);

  MllpServerStats stats() const MEDLAKE_EXCLUDES(mu_);

  MllpServer(const MllpServerOptions& options, StagingWal& wal, const Clock& clock, int listen_fd,
             int port, std::string instance);

 private:
  struct Connection {
    int fd = -1;
    std::string peer;
    std::thread thread;
    bool done = false;
  };
  void AcceptLoop();
  void Serve(uint64_t id) MEDLAKE_EXCLUDES(mu_);
  // Appends the messages of one read and sends their ACKs; false when the connection must close.
  bool HandleFrames(int fd, const std::string& peer, std::vector<MllpEvent>& events)
      MEDLAKE_EXCLUDES(mu_);
  void ReapFinished() MEDLAKE_EXCLUDES(mu_);

  const MllpServerOptions options_;
  StagingWal& wal_;
  const Clock& clock_;
  const int listen_fd_;
  const int port_;
  const std::string instance_;  // random prefix of the ACK control ids
  int wake_pipe_[2] = {-1, -1};
  std::thread accept_thread_;
  std::atomic<uint64_t> ack_counter_{0};
  std::atomic<bool> stopping_{false};

  mutable internal::Mutex mu_;
  std::map<uint64_t, Connection> connections_ MEDLAKE_GUARDED_BY(mu_);
  uint64_t next_connection_id_ MEDLAKE_GUARDED_BY(mu_) = 0;
  bool stopped_ MEDLAKE_GUARDED_BY(mu_) = false;
  MllpServerStats stats_ MEDLAKE_GUARDED_BY(mu_);
};

}  // namespace medlake::ingest::mllp
