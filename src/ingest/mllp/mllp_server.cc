#include "ingest/mllp/mllp_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/crypto.h"
#include "core/logging.h"
#include "ingest/mllp/mllp_triage.h"

namespace medlake::ingest::mllp {
namespace {

std::string PeerName(const sockaddr_in& addr) {
  char ip[INET_ADDRSTRLEN] = {0};
  ::inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
  return std::string(ip) + ":" + std::to_string(ntohs(addr.sin_port));
}

// Writes all of `data`; false if the peer went away.
bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

MllpServer::MllpServer(const MllpServerOptions& options, StagingWal& wal, const Clock& clock,
                       int listen_fd, int port, std::string instance)
    : options_(options),
      wal_(wal),
      clock_(clock),
      listen_fd_(listen_fd),
      port_(port),
      instance_(std::move(instance)) {}

Result<std::unique_ptr<MllpServer>> MllpServer::Start(const MllpServerOptions& options,
                                                      StagingWal& wal, const Clock& clock) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (options.port < 0 || options.port > 65535) {
    return InvalidArgument("MLLP port out of range: " + std::to_string(options.port));
  }
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  if (::inet_pton(AF_INET, options.bind_address.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("MLLP bind address is not an IPv4 address: " + options.bind_address);
  }
  MEDLAKE_ASSIGN_OR_RETURN(std::string instance, RandomHex(4));
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return IOError(std::string("creating MLLP socket: ") + std::strerror(errno));
  int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 128) != 0) {
    int err = errno;
    ::close(fd);
    return IOError("binding MLLP listener to " + options.bind_address + ":" +
                   std::to_string(options.port) + ": " + std::strerror(err));
  }
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    return IOError(std::string("reading the MLLP listener's port: ") + std::strerror(err));
  }
  auto server = std::make_unique<MllpServer>(options, wal, clock, fd, ntohs(addr.sin_port),
                                             std::move(instance));
  if (::pipe2(server->wake_pipe_, O_CLOEXEC) != 0) {
    return IOError(std::string("creating MLLP wake pipe: ") + std::strerror(errno));
  }
  server->accept_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  Log(LogLevel::kInfo, "mllp_listening",
      {{"address", LogId(options.bind_address)}, {"port", server->port_}});
  return server;
}

MllpServer::~MllpServer() {
  Stop();
  if (listen_fd_ >= 0)
    ::close(listen_fd_);
  for (int fd : wake_pipe_) {
    if (fd >= 0)
      ::close(fd);
  }
}

void MllpServer::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    int rc = ::poll(fds, 2, -1);
    if (rc < 0) {
      if (errno == EINTR)
        continue;
      Log(LogLevel::kError, "mllp_poll_failed", {{"errno", errno}});
      return;
    }
    if (fds[1].revents != 0 || stopping_.load())
      return;
    if ((fds[0].revents & POLLIN) == 0)
      continue;
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      // ECONNABORTED, EMFILE and friends: keep serving the connections we have.
      Log(LogLevel::kWarn, "mllp_accept_failed", {{"errno", errno}});
      continue;
    }
    ReapFinished();
    std::string peer = PeerName(addr);
    internal::MutexLock lock(&mu_);
    if (stopped_ || connections_.size() >= options_.max_connections) {
      Log(LogLevel::kWarn, "mllp_connection_refused",
          {{"peer", LogId(peer)}, {"connections", static_cast<uint64_t>(connections_.size())}});
      ::close(fd);
      continue;
    }
    const uint64_t id = next_connection_id_++;
    Connection& c = connections_[id];
    c.fd = fd;
    c.peer = std::move(peer);
    ++stats_.connections;
    c.thread = std::thread([this, id] { Serve(id); });
  }
}

void MllpServer::ReapFinished() {
  std::vector<std::thread> finished;
  {
    internal::MutexLock lock(&mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->second.done) {
        finished.push_back(std::move(it->second.thread));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& t : finished)
    t.join();
}

void MllpServer::Serve(uint64_t id) {
  int fd = -1;
  std::string peer;
  {
    internal::MutexLock lock(&mu_);
    fd = connections_[id].fd;
    peer = connections_[id].peer;
  }
  Log(LogLevel::kDebug, "mllp_connection_opened", {{"peer", LogId(peer)}});
  MllpFrameDecoder decoder(options_.max_frame_bytes);
  std::vector<MllpEvent> events;
  std::string buffer(64 * 1024, '\0');
  for (;;) {
    ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    events.clear();
    decoder.Feed(std::string_view(buffer.data(), static_cast<size_t>(n)), &events);
    if (!events.empty() && !HandleFrames(fd, peer, events))
      break;
  }
  events.clear();
  decoder.Finish(&events);
  uint64_t leftover = events.empty() ? 0 : events[0].size;
  Log(LogLevel::kDebug, "mllp_connection_closed",
      {{"peer", LogId(peer)}, {"unfinished_bytes", leftover}});
  internal::MutexLock lock(&mu_);
  stats_.garbage_bytes += leftover;
  Connection& c = connections_[id];
  ::close(c.fd);
  c.fd = -1;
  c.done = true;
}

bool MllpServer::HandleFrames(int fd, const std::string& peer, std::vector<MllpEvent>& events) {
  std::vector<TriageResult> triaged;
  uint64_t garbage = 0;
  bool oversized = false;
  bool ok = true;
  for (auto& e : events) {
    switch (e.kind) {
      case MllpEventKind::kFrame: {
        const uint64_t n = ack_counter_.fetch_add(1) + 1;
        auto t = TriageMessage(std::move(e.payload), peer, clock_.NowMicros(),
                               "ML" + instance_ + std::to_string(n));
        if (!t.ok()) {
          Log(LogLevel::kError, "mllp_triage_failed",
              {LogField::Error("error", t.status().ToString())});
          ok = false;
          break;
        }
        triaged.push_back(std::move(*t));
        break;
      }
      case MllpEventKind::kGarbage:
        // Newlines between frames are common and harmless; anything else is worth a warning.
        if (!e.whitespace_only) {
          Log(LogLevel::kWarn, "mllp_garbage_skipped",
              {{"peer", LogId(peer)}, {"bytes", static_cast<uint64_t>(e.size)}});
        }
        garbage += e.size;
        break;
      case MllpEventKind::kOversized:
        Log(LogLevel::kWarn, "mllp_frame_too_large",
            {{"peer", LogId(peer)}, {"limit_bytes", static_cast<uint64_t>(e.size)}});
        oversized = true;
        break;
    }
    if (!ok || oversized)
      break;  // later frames of this read are not acknowledged
  }
  std::string replies;
  bool durable = true;
  if (!triaged.empty()) {
    std::vector<WalRecord> records;
    records.reserve(triaged.size());
    for (auto& t : triaged)
      records.push_back(std::move(t.record));
    auto appended = wal_.Append(records);
    durable = appended.ok();
    if (!durable) {
      Log(LogLevel::kError, "mllp_wal_append_failed",
          {{"peer", LogId(peer)},
           {"messages", static_cast<uint64_t>(triaged.size())},
           LogField::Error("error", appended.status().ToString())});
    } else if (options_.on_durable) {
      options_.on_durable(triaged.size());
    }
    for (auto& t : triaged) {
      if (!durable) {
        replies += EncodeMllpFrame(t.ack_on_storage_failure);
      } else if (t.ack_when_durable) {
        replies += EncodeMllpFrame(*t.ack_when_durable);
      }
      Log(LogLevel::kDebug, "mllp_message",
          {{"peer", LogId(peer)},
           {"control_id", LogId(t.control_id)},
           {"outcome", static_cast<int>(t.outcome)},
           {"durable", durable}});
    }
  }
  {
    internal::MutexLock lock(&mu_);
    stats_.messages += triaged.size();
    stats_.garbage_bytes += garbage;
    if (oversized)
      ++stats_.oversized_frames;
    for (const auto& t : triaged) {
      if (!durable) {
        ++stats_.storage_failures;
      } else if (t.outcome == hl7v2::Hl7Outcome::kAccepted) {
        ++stats_.accepted;
      } else {
        ++stats_.rejected;
      }
    }
  }
  if (!replies.empty() && !SendAll(fd, replies))
    return false;
  // An oversized frame cannot be acknowledged (no header to answer) nor stored within limits;
  // closing tells the sender something is wrong instead of letting it wait for an ACK.
  return ok && durable && !oversized;
}

void MllpServer::Stop() {
  {
    internal::MutexLock lock(&mu_);
    if (stopped_)
      return;
    stopped_ = true;
  }
  stopping_.store(true);
  char byte = 1;
  (void)!::write(wake_pipe_[1], &byte, 1);
  if (accept_thread_.joinable())
    accept_thread_.join();
  std::vector<std::thread> threads;
  {
    internal::MutexLock lock(&mu_);
    // Half-close for reading: blocked recv() returns 0, while a thread that is appending still
    // sends its ACKs before it notices.
    for (auto& [id, c] : connections_) {
      if (c.fd >= 0)
        ::shutdown(c.fd, SHUT_RD);
    }
    for (auto& [id, c] : connections_)
      threads.push_back(std::move(c.thread));
  }
  for (auto& t : threads) {
    if (t.joinable())
      t.join();
  }
  internal::MutexLock lock(&mu_);
  connections_.clear();
  Log(LogLevel::kInfo, "mllp_stopped",
      {{"messages", stats_.messages},
       {"accepted", stats_.accepted},
       {"rejected", stats_.rejected}});
}

MllpServerStats MllpServer::stats() const {
  internal::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace medlake::ingest::mllp
