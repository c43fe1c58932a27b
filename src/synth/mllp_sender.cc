#include "synth/mllp_sender.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/file_system.h"

namespace medlake::synth {
namespace {

constexpr char kStart = 0x0B;
constexpr char kEnd1 = 0x1C;
constexpr char kEnd2 = 0x0D;

Status SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOError(std::string("sending to the MLLP listener: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

// Reads one framed reply into *ack (without the framing).
Status ReadAck(int fd, int timeout_ms, std::string* pending, std::string* ack) {
  while (true) {
    size_t start = pending->find(kStart);
    if (start != std::string::npos) {
      size_t end = pending->find(std::string{kEnd1, kEnd2}, start);
      if (end != std::string::npos) {
        *ack = pending->substr(start + 1, end - start - 1);
        pending->erase(0, end + 2);
        return Status::OK();
      }
    }
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r == 0) return IOError("no acknowledgment within " + std::to_string(timeout_ms) + " ms");
    if (r < 0) {
      if (errno == EINTR) continue;
      return IOError(std::string("waiting for an acknowledgment: ") + std::strerror(errno));
    }
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return IOError("the MLLP listener closed the connection");
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOError(std::string("reading an acknowledgment: ") + std::strerror(errno));
    }
    pending->append(buf, static_cast<size_t>(n));
  }
}

// MSA-1 of an ACK ("AA", "CA", ...); empty when there is no MSA segment.
std::string AckCode(const std::string& ack) {
  size_t pos = ack.find("MSA");
  if (pos == std::string::npos || pos + 4 > ack.size()) return "";
  char sep = ack[pos + 3];
  size_t end = ack.find_first_of(std::string{sep, '\r', '\n'}, pos + 4);
  return ack.substr(pos + 4, (end == std::string::npos ? ack.size() : end) - pos - 4);
}

}  // namespace

Status ParseHostPort(const std::string& text, std::string* host, int* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) {
    return InvalidArgument("expected HOST:PORT, got '" + text + "'");
  }
  *host = text.substr(0, colon);
  char* end = nullptr;
  long p = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || p <= 0 || p > 65535) return InvalidArgument("bad port in '" + text + "'");
  *port = static_cast<int>(p);
  return Status::OK();
}

Result<MllpSendSummary> SendHl7Folder(const std::string& folder, const std::string& host, int port,
                                      int timeout_ms) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(folder, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".hl7") files.push_back(it->path().string());
  }
  if (ec) return IOError("listing " + folder + ": " + ec.message());
  std::sort(files.begin(), files.end());

  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addr = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addr) != 0 || addr == nullptr) {
    return IOError("cannot resolve " + host);
  }
  int fd = ::socket(addr->ai_family, addr->ai_socktype, addr->ai_protocol);
  if (fd < 0 || ::connect(fd, addr->ai_addr, addr->ai_addrlen) != 0) {
    int err = errno;
    ::freeaddrinfo(addr);
    if (fd >= 0) ::close(fd);
    return IOError("cannot connect to " + host + ":" + std::to_string(port) + ": " + std::strerror(err));
  }
  ::freeaddrinfo(addr);

  MllpSendSummary summary;
  std::string pending, ack;
  Status status;
  for (const auto& file : files) {
    auto text = LocalFileSystem::Default().ReadFile(file);
    if (!text.ok()) {
      status = text.status();
      break;
    }
    // Messages start at "MSH" at the beginning of the file or of a segment.
    std::vector<size_t> starts;
    for (size_t pos = text->find("MSH"); pos != std::string::npos; pos = text->find("MSH", pos + 3)) {
      if (pos == 0 || (*text)[pos - 1] == '\r' || (*text)[pos - 1] == '\n') starts.push_back(pos);
    }
    for (size_t i = 0; i < starts.size() && status.ok(); ++i) {
      size_t end = i + 1 < starts.size() ? starts[i + 1] : text->size();
      std::string_view message(text->data() + starts[i], end - starts[i]);
      while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
      std::string frame;
      frame.reserve(message.size() + 3);
      frame += kStart;
      frame += message;
      frame += kEnd1;
      frame += kEnd2;
      status = SendAll(fd, frame);
      if (status.ok()) status = ReadAck(fd, timeout_ms, &pending, &ack);
      if (!status.ok()) break;
      ++summary.sent;
      std::string code = AckCode(ack);
      if (code == "AA" || code == "CA") {
        ++summary.accepted;
      } else if (code == "AE" || code == "CE") {
        ++summary.errors;
      } else {
        ++summary.rejected;
      }
    }
    if (!status.ok()) break;
  }
  ::close(fd);
  if (!status.ok()) return status;
  return summary;
}

}  // namespace medlake::synth
