// server/http/http_test_client_internal.h: a tiny HTTP/1.1 client and server harness over
// net::MakeMemoryStreamPair(), for this folder's tests only.
//
// TestConnection runs ServeHttpConnection() on a thread with the server end of a memory pipe; the
// test writes raw request bytes to the client end and reads responses back with ReadResponse(),
// which decodes Content-Length, chunked and close-delimited bodies and keeps the chunk sizes so
// tests can check the buffering.
//
// Thread-safety: one test thread drives the client; the server runs on its own thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "server/http/http_server.h"
#include "server/net/stream.h"

namespace medlake::server::http::testing {

struct TestResponse {
  bool ok = false;  // a status line and header section were read
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; repeated names joined ", "
  std::string body;
  std::vector<size_t> chunk_sizes;  // chunked bodies: the size of each data chunk
  bool chunked = false;
  bool complete = false;  // the body ended as its framing says (last chunk, full length)

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool HasHeader(const std::string& lower_name) const { return headers.count(lower_name) > 0; }
};

// Reads HTTP/1.1 responses from the client end of a stream.
class ResponseReader {
 public:
  explicit ResponseReader(net::Stream& stream) : stream_(stream) {}

  // Reads one response. `head`: the request was HEAD (no body follows).
  TestResponse ReadResponse(bool head = false) {
    TestResponse r;
    std::string header;
    if (!ReadUntil("\r\n\r\n", &header)) {
      return r;
    }
    size_t line_end = header.find("\r\n");
    std::string status_line = header.substr(0, line_end);
    if (status_line.size() < 12 || status_line.compare(0, 9, "HTTP/1.1 ") != 0) {
      return r;
    }
    r.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end + 2;
    while (pos < header.size()) {
      size_t end = header.find("\r\n", pos);
      std::string line = header.substr(pos, end - pos);
      pos = end + 2;
      if (line.empty()) {
        break;
      }
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') {
        value.erase(0, 1);
      }
      auto& slot = r.headers[name];
      slot = slot.empty() ? value : slot + ", " + value;
    }
    r.ok = true;
    bool no_body = head || r.status == 204 || r.status == 304 || r.status < 200;
    if (no_body) {
      r.complete = true;
      return r;
    }
    if (r.HasHeader("content-length")) {
      size_t n = std::stoul(r.Header("content-length"));
      r.complete = ReadN(n, &r.body);
      return r;
    }
    if (r.Header("transfer-encoding") == "chunked") {
      r.chunked = true;
      while (true) {
        std::string line;
        if (!ReadUntil("\r\n", &line)) {
          return r;
        }
        size_t size = std::stoul(line, nullptr, 16);
        if (size == 0) {
          std::string trailer;
          r.complete = ReadUntil("\r\n", &trailer);  // empty trailer section
          return r;
        }
        r.chunk_sizes.push_back(size);
        std::string data;
        if (!ReadN(size + 2, &data)) {
          return r;
        }
        r.body.append(data, 0, size);
      }
    }
    // Close-delimited (HTTP/1.0 streaming).
    std::string rest;
    while (Fill()) {
    }
    r.body = buf_;
    buf_.clear();
    r.complete = true;
    return r;
  }

  // True when the server closed the connection and nothing more is buffered.
  bool AtEof() { return buf_.empty() && !Fill(); }

 private:
  bool Fill() {
    char tmp[8192];
    Result<size_t> n = stream_.Read(tmp, sizeof(tmp));
    if (!n.ok() || *n == 0) {
      return false;
    }
    buf_.append(tmp, *n);
    return true;
  }
  // Moves bytes up to and including `delim` into `out`.
  bool ReadUntil(std::string_view delim, std::string* out) {
    while (true) {
      size_t at = buf_.find(delim);
      if (at != std::string::npos) {
        *out = buf_.substr(0, at + delim.size());
        buf_.erase(0, at + delim.size());
        return true;
      }
      if (!Fill()) {
        return false;
      }
    }
  }
  bool ReadN(size_t n, std::string* out) {
    while (buf_.size() < n) {
      if (!Fill()) {
        return false;
      }
    }
    *out = buf_.substr(0, n);
    buf_.erase(0, n);
    return true;
  }

  net::Stream& stream_;
  std::string buf_;
};

class TestConnection {
 public:
  TestConnection(const Router& router, HttpServerOptions options)
      : router_(router), options_(std::move(options)) {
    net::MemoryStreamPair pair = net::MakeMemoryStreamPair();
    client_ = std::move(pair.client);
    reader_ = std::make_unique<ResponseReader>(*client_);
    server_ = std::thread([this, s = std::move(pair.server)]() mutable {
      ServeHttpConnection(std::move(s), router_, options_);
    });
  }
  explicit TestConnection(const Router& router) : TestConnection(router, HttpServerOptions{}) {}
  ~TestConnection() {
    client_->Shutdown();
    server_.join();
  }
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  void Send(std::string_view bytes) { (void)client_->Write(bytes); }
  // Closes the client end (both directions) and waits for the server loop to end.
  void CloseAndJoin() {
    client_->Shutdown();
    if (server_.joinable()) {
      server_.join();
    }
    server_ = std::thread([] {});
  }
  // Waits for the server loop to end by itself (it closed the connection).
  void JoinServer() {
    server_.join();
    server_ = std::thread([] {});
  }
  TestResponse ReadResponse(bool head = false) { return reader_->ReadResponse(head); }
  bool AtEof() { return reader_->AtEof(); }

 private:
  const Router& router_;
  HttpServerOptions options_;
  std::unique_ptr<net::Stream> client_;
  std::unique_ptr<ResponseReader> reader_;
  std::thread server_;
};

}  // namespace medlake::server::http::testing
