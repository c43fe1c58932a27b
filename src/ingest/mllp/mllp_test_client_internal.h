// ingest/mllp/mllp_test_client_internal.h: a blocking MLLP client and message builder for the
// module's tests (test-only; private to ingest/mllp).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "core/status.h"
#include "ingest/mllp/mllp_framing.h"

namespace medlake::ingest::mllp::testing {

// A synthetic ADT^A01 (no real patient data). Segments end with CR.
inline std::string TestMessage(const std::string& control_id, const std::string& app = "SENDAPP",
                               const std::string& facility = "SENDFAC",
                               const std::string& msh15 = "", const std::string& msh16 = "") {
  return "MSH|^~\\&|" + app + "|" + facility +
         "|MEDLAKE|LAKE|20240101120000+0000||ADT^A01^ADT_A01|" + control_id + "|P|2.5.1|||" +
         msh15 + "|" + msh16 + "\r" +
         "EVN|A01|20240101120000+0000\r"
         "PID|1||TST" +
         control_id + "^^^TESTHOSP^MR||TEST^PATIENT||19700101|U\r";
}

// The MSA-1 code of an ACK ("AA", "CE", ...), or "" if there is no MSA segment.
inline std::string AckCode(const std::string& ack) {
  size_t msa = ack.find("\rMSA|");
  if (msa == std::string::npos)
    return "";
  return ack.substr(msa + 5, 2);
}
// MSA-2 of an ACK.
inline std::string AckedControlId(const std::string& ack) {
  size_t msa = ack.find("\rMSA|");
  if (msa == std::string::npos)
    return "";
  size_t start = msa + 8;
  size_t end = ack.find_first_of("|\r", start);
  return ack.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

class MllpTestClient {
 public:
  ~MllpTestClient() { Close(); }
  Status Connect(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      return IOError("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      Close();
      return IOError("connect");
    }
    return Status::OK();
  }
  void Close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }
  Status SendRaw(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return IOError("send");
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return Status::OK();
  }
  Status Send(const std::string& message) { return SendRaw(EncodeMllpFrame(message)); }
  // Waits up to `timeout_ms` for the next ACK frame. IOError when the connection closed.
  Result<std::string> ReadAck(int timeout_ms = 10000) {
    while (true) {
      for (size_t i = 0; i < events_.size(); ++i) {
        if (events_[i].kind == MllpEventKind::kFrame) {
          std::string p = std::move(events_[i].payload);
          events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
          return p;
        }
      }
      events_.clear();
      pollfd p{fd_, POLLIN, 0};
      int rc = ::poll(&p, 1, timeout_ms);
      if (rc == 0)
        return Aborted("timeout waiting for ACK");
      if (rc < 0) {
        if (errno == EINTR)
          continue;
        return IOError("poll");
      }
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return IOError("connection closed");
      decoder_.Feed(std::string_view(buf, static_cast<size_t>(n)), &events_);
    }
  }

 private:
  int fd_ = -1;
  MllpFrameDecoder decoder_;
  std::vector<MllpEvent> events_;
};

}  // namespace medlake::ingest::mllp::testing
