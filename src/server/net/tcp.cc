#include "server/net/tcp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <vector>

namespace medlake::server::net {

TcpStream::TcpStream(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {
  int one = 1;
  // Protocol messages are small and answered at once: no Nagle delay.
  (void)::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

TcpStream::~TcpStream() {
  if (tls_ && !shut_.load()) tls_->Close();
  tls_.reset();
  ::close(fd_);
}

Result<size_t> TcpStream::Read(char* buf, size_t n) {
  if (deadline_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0) return IOError("read timed out");
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(left.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((left.count() % 1000) * 1000);
    (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  if (tls_) return tls_->Read(buf, n);
  while (true) {
    ssize_t k = ::recv(fd_, buf, n, 0);
    if (k >= 0) return static_cast<size_t>(k);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IOError("read timed out");
    if (errno == ECONNRESET || shut_.load()) return size_t{0};
    return IOError(std::string("read failed: ") + std::strerror(errno));
  }
}

Status TcpStream::Write(std::string_view data) {
  if (tls_) return tls_->Write(data);
  while (!data.empty()) {
    ssize_t k = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (k < 0) {
      if (errno == EINTR) continue;
      return IOError(std::string("connection closed: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(k));
  }
  return Status::OK();
}

void TcpStream::Shutdown() {
  shut_.store(true);
  ::shutdown(fd_, SHUT_RDWR);
}

Status TcpStream::StartTls(TlsServerContext& context) {
  if (tls_) return FailedPrecondition("TLS already started");
  MEDLAKE_ASSIGN_OR_RETURN(tls_, TlsConnection::Accept(context, fd_));
  return Status::OK();
}

void TcpStream::SetDeadline(std::optional<std::chrono::steady_clock::time_point> deadline) {
  deadline_ = deadline;
  if (!deadline) SetReadTimeout(timeout_);
}

void TcpStream::SetReadTimeout(std::chrono::milliseconds timeout) {
  timeout_ = timeout;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

TcpListener::TcpListener(const ListenerOptions& options, int listen_fd, int port, Handler handler,
                         Handler on_overflow)
    : options_(options),
      listen_fd_(listen_fd),
      port_(port),
      handler_(std::move(handler)),
      on_overflow_(std::move(on_overflow)) {}

Result<std::unique_ptr<TcpListener>> TcpListener::Start(const ListenerOptions& options, Handler handler,
                                                        Handler on_overflow) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  if (options.port < 0 || options.port > 65535) {
    return InvalidArgument(options.name + " port out of range: " + std::to_string(options.port));
  }
  if (::inet_pton(AF_INET, options.bind_address.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument(options.name + " bind address is not an IPv4 address: " + options.bind_address);
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IOError(options.name + ": creating a socket: " + std::strerror(errno));
  int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 512) != 0) {
    int err = errno;
    ::close(fd);
    return IOError(options.name + ": cannot listen on " + options.bind_address + ":" +
                   std::to_string(options.port) + ": " + std::strerror(err));
  }
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    return IOError(options.name + ": reading the bound port: " + std::strerror(err));
  }
  auto listener = std::make_unique<TcpListener>(options, fd, ntohs(addr.sin_port), std::move(handler),
                                                std::move(on_overflow));
  listener->accept_thread_ = std::thread([l = listener.get()] { l->AcceptLoop(); });
  return listener;
}

TcpListener::~TcpListener() { Stop(); }

ListenerStats TcpListener::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  ListenerStats s = stats_;
  s.active = 0;
  for (const auto& [id, c] : connections_) s.active += c.done || c.refusal ? 0 : 1;
  return s;
}

void TcpListener::ReapFinished() {
  std::vector<std::thread> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->second.done) {
        finished.push_back(std::move(it->second.thread));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& t : finished) t.join();
}

void TcpListener::AcceptLoop() {
  while (!stopping()) {
    pollfd p{listen_fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, 200);  // wakes up to notice Stop() and to reap finished threads
    ReapFinished();
    if (ready <= 0) continue;
    sockaddr_in peer{};
    socklen_t len = sizeof(peer);
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of file descriptors: the pending connection stays queued and poll() would wake at
      // once; wait a little instead of spinning.
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    char ip[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
    auto stream = std::make_unique<TcpStream>(fd, std::string(ip) + ":" + std::to_string(ntohs(peer.sin_port)));
    std::unique_lock<std::mutex> lock(mu_);
    size_t active = 0;
    size_t refusing = 0;
    for (const auto& [id, c] : connections_) {
      if (c.done) continue;
      (c.refusal ? refusing : active) += 1;
    }
    const bool refuse = active >= options_.max_connections || stopping();
    if (refuse) {
      ++stats_.refused;
      // Too many refusals in flight (or no polite answer to give): just close.
      if (!on_overflow_ || refusing >= options_.max_refusing || stopping()) continue;
    } else {
      ++stats_.accepted;
    }
    uint64_t id = next_id_++;
    Connection& c = connections_[id];
    c.stream = stream.get();
    c.refusal = refuse;
    c.thread = std::thread([this, id, refuse, s = std::move(stream)]() mutable {
      (refuse ? on_overflow_ : handler_)(*s);
      {
        // Unpublished under the lock first, so Stop() never shuts down a destroyed stream.
        std::lock_guard<std::mutex> l(mu_);
        connections_[id].done = true;
        connections_[id].stream = nullptr;
        all_done_.notify_all();
      }
      s.reset();
    });
  }
}

void TcpListener::Stop() {
  std::call_once(stop_once_, [this] {
    stopping_.store(true, std::memory_order_release);
    if (accept_thread_.joinable()) accept_thread_.join();
    ::close(listen_fd_);
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto all_finished = [&] {
        for (const auto& [id, c] : connections_) {
          if (!c.done) return false;
        }
        return true;
      };
      all_done_.wait_for(lock, options_.grace, all_finished);
      // Whoever is still here is idle in a read or stuck on a slow client: cut them off.
      for (auto& [id, c] : connections_) {
        if (!c.done && c.stream) c.stream->Shutdown();
      }
      all_done_.wait(lock, all_finished);
    }
    ReapFinished();
  });
}

}  // namespace medlake::server::net
