#include "server/net/stream.h"

#include <condition_variable>
#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>

namespace medlake::server::net {

Status ReadExactly(Stream& stream, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    MEDLAKE_ASSIGN_OR_RETURN(size_t k, stream.Read(buf + got, n - got));
    if (k == 0) return IOError("connection closed by the peer");
    got += k;
  }
  return Status::OK();
}

BufferedReader::BufferedReader(Stream& target, size_t capacity)
    : target_(target), buffer_(new char[capacity]), capacity_(capacity) {}

Result<size_t> BufferedReader::Read(char* buf, size_t n) {
  if (n == 0) return size_t{0};
  if (begin_ == end_) {
    if (n >= capacity_) return target_.Read(buf, n);
    MEDLAKE_ASSIGN_OR_RETURN(size_t k, target_.Read(buffer_.get(), capacity_));
    if (k == 0) return size_t{0};
    begin_ = 0;
    end_ = k;
  }
  const size_t k = std::min(n, end_ - begin_);
  std::memcpy(buf, buffer_.get() + begin_, k);
  begin_ += k;
  return k;
}

namespace {

// One direction of a memory pipe.
struct Pipe {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<char> bytes;
  bool closed = false;
};

class MemoryStream final : public Stream {
 public:
  MemoryStream(std::shared_ptr<Pipe> in, std::shared_ptr<Pipe> out, std::string name)
      : in_(std::move(in)), out_(std::move(out)), name_(std::move(name)) {}
  ~MemoryStream() override { Shutdown(); }

  Result<size_t> Read(char* buf, size_t n) override {
    if (n == 0) return size_t{0};
    std::unique_lock<std::mutex> lock(in_->mu);
    in_->cv.wait(lock, [&] { return !in_->bytes.empty() || in_->closed; });
    if (in_->bytes.empty()) return size_t{0};
    size_t k = std::min(n, in_->bytes.size());
    std::copy_n(in_->bytes.begin(), k, buf);
    in_->bytes.erase(in_->bytes.begin(), in_->bytes.begin() + static_cast<std::ptrdiff_t>(k));
    return k;
  }
  Status Write(std::string_view data) override {
    std::lock_guard<std::mutex> lock(out_->mu);
    if (out_->closed) return IOError("connection closed by the peer");
    out_->bytes.insert(out_->bytes.end(), data.begin(), data.end());
    out_->cv.notify_all();
    return Status::OK();
  }
  void Shutdown() override {
    for (auto* p : {in_.get(), out_.get()}) {
      std::lock_guard<std::mutex> lock(p->mu);
      p->closed = true;
      p->cv.notify_all();
    }
  }
  bool is_tls() const override { return false; }
  std::string peer() const override { return name_; }

 private:
  std::shared_ptr<Pipe> in_;
  std::shared_ptr<Pipe> out_;
  std::string name_;
};

class BorrowedStream final : public Stream {
 public:
  explicit BorrowedStream(Stream& target) : target_(target) {}
  Result<size_t> Read(char* buf, size_t n) override { return target_.Read(buf, n); }
  Status Write(std::string_view data) override { return target_.Write(data); }
  void Shutdown() override { target_.Shutdown(); }
  bool is_tls() const override { return target_.is_tls(); }
  std::string peer() const override { return target_.peer(); }

 private:
  Stream& target_;
};

}  // namespace

std::unique_ptr<Stream> Borrow(Stream& target) { return std::make_unique<BorrowedStream>(target); }

MemoryStreamPair MakeMemoryStreamPair() {
  auto a = std::make_shared<Pipe>();
  auto b = std::make_shared<Pipe>();
  MemoryStreamPair pair;
  pair.client = std::make_unique<MemoryStream>(b, a, "memory:server");
  pair.server = std::make_unique<MemoryStream>(a, b, "memory:client");
  return pair;
}

}  // namespace medlake::server::net
