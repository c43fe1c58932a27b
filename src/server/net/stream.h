// server/net/stream.h: a connected byte stream (plain TCP or TLS) that front ends read and write.
//
// Part of server/net (see README.md). The HTTP and pgwire front ends are written against this
// interface only, so they run the same over a socket, over TLS, and over an in-memory pipe in
// tests (MemoryStream below).
//
// Thread-safety: Read and Write from the connection's own thread; Shutdown() from any thread
// (it wakes a blocked Read, which then returns 0 or an error).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace medlake::server::net {

class Stream {
 public:
  virtual ~Stream() = default;
  // Reads at most `n` bytes into `buf`, blocking until at least one byte arrives. 0 means the
  // peer closed the stream. IOError when the connection failed (reset, TLS error, timeout).
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
  // Writes every byte of `data` (blocking). IOError when the peer is gone.
  virtual Status Write(std::string_view data) = 0;
  // Stops both directions; a Read blocked in another thread returns. Idempotent.
  virtual void Shutdown() = 0;
  virtual bool is_tls() const = 0;
  // "ip:port" of the peer (for logs and audit; never contains user data).
  virtual std::string peer() const = 0;
};

// Reads exactly `n` bytes. IOError "connection closed" if the peer closes first.
Status ReadExactly(Stream& stream, char* buf, size_t n);

// Reads ahead from `target` (not owned; must outlive it): one Read of up to `capacity` bytes
// serves the small reads after it, so a client's batch of messages that arrived together costs
// one system call, not two per message. A read of `capacity` bytes or more with nothing buffered
// goes straight to `target`. Writes, Shutdown and the rest forward to `target`.
class BufferedReader final : public Stream {
 public:
  explicit BufferedReader(Stream& target, size_t capacity = 8192);
  Result<size_t> Read(char* buf, size_t n) override;
  Status Write(std::string_view data) override { return target_.Write(data); }
  void Shutdown() override { target_.Shutdown(); }
  bool is_tls() const override { return target_.is_tls(); }
  std::string peer() const override { return target_.peer(); }
  // Bytes read from `target` and not yet handed out (e.g. sent by a client before a TLS
  // handshake it asked for: they must not be taken as coming from inside TLS).
  size_t buffered() const { return end_ - begin_; }

 private:
  Stream& target_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

// A Stream that forwards to `target` without owning it (for APIs that take ownership of a
// stream the listener owns). `target` must outlive the result.
std::unique_ptr<Stream> Borrow(Stream& target);

// An in-memory stream pair for tests: bytes written on one end are read on the other.
// Pair()[0] is the client end, [1] the server end.
struct MemoryStreamPair {
  std::unique_ptr<Stream> client;
  std::unique_ptr<Stream> server;
};
MemoryStreamPair MakeMemoryStreamPair();

}  // namespace medlake::server::net
