#include "core/tls.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <thread>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"

namespace medlake {
namespace {

using ::testing::HasSubstr;

// A server context on a fresh self-signed certificate.
std::shared_ptr<TlsServerContext> MakeContext(const TempDir& dir) {
  std::string cert = dir.Join("server.crt");
  std::string key = dir.Join("server.key");
  EXPECT_THAT(GenerateSelfSignedCertificate(cert, key, "localhost"), IsOk());
  auto context = TlsServerContext::FromFiles(cert, key);
  EXPECT_THAT(context.status(), IsOk());
  return context.ok() ? *context : nullptr;
}

// One TLS connection over a socket pair: the server side is a TlsConnection, the client side a
// plain OpenSSL client (no certificate check: only the transport is under test here).
class TlsPairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    context_ = MakeContext(dir_);
    ASSERT_NE(context_, nullptr);
    client_ctx_ = SSL_CTX_new(TLS_client_method());
    ASSERT_NE(client_ctx_, nullptr);
    client_ = SSL_new(client_ctx_);
    ASSERT_NE(client_, nullptr);
    ASSERT_EQ(SSL_set_fd(client_, fds_[1]), 1);
    int connected = 0;
    std::thread client([&] { connected = SSL_connect(client_); });
    auto accepted = TlsConnection::Accept(*context_, fds_[0]);
    client.join();
    ASSERT_THAT(accepted.status(), IsOk());
    ASSERT_EQ(connected, 1);
    server_ = std::move(*accepted);
  }
  void TearDown() override {
    server_.reset();
    if (client_) SSL_free(client_);
    if (client_ctx_) SSL_CTX_free(client_ctx_);
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  // Closes the client's socket without any TLS goodbye, as a killed client would.
  void DropClient() {
    ::close(fds_[1]);
    fds_[1] = -1;
  }

  TempDir dir_;
  int fds_[2] = {-1, -1};
  std::shared_ptr<TlsServerContext> context_;
  SSL_CTX* client_ctx_ = nullptr;
  SSL* client_ = nullptr;
  std::unique_ptr<TlsConnection> server_;
};

TEST_F(TlsPairTest, BytesCrossBothWays) {
  std::thread client([&] {
    char buf[5];
    size_t got = 0;
    ASSERT_EQ(SSL_read_ex(client_, buf, sizeof buf, &got), 1);
    std::string reply = "pong:" + std::string(buf, got);
    size_t written = 0;
    ASSERT_EQ(SSL_write_ex(client_, reply.data(), reply.size(), &written), 1);
  });
  ASSERT_THAT(server_->Write("ping!"), IsOk());
  std::string received;
  while (received.size() < 10) {
    char buf[64];
    auto n = server_->Read(buf, sizeof buf);
    ASSERT_THAT(n.status(), IsOk());
    ASSERT_GT(*n, 0u);
    received.append(buf, *n);
  }
  client.join();
  EXPECT_EQ(received, "pong:ping!");
  EXPECT_THAT(server_->protocol(), HasSubstr("TLSv1."));
}

// A client that vanishes while the server is still sending must cost the server one connection,
// never the process: the default action of SIGPIPE would end it. The test keeps SIGPIPE at its
// default, so before the fix this test died instead of failing.
TEST_F(TlsPairTest, PeerGoneMidWriteIsAnErrorNotASignal) {
  ASSERT_EQ(std::signal(SIGPIPE, SIG_DFL), SIG_DFL);
  DropClient();
  std::string chunk(64 * 1024, 'x');
  Status last;
  for (int i = 0; i < 64 && last.ok(); ++i) last = server_->Write(chunk);
  EXPECT_THAT(last, StatusIs(StatusCode::kIOError, "TLS write failed"));
  server_->Close();  // close_notify to nobody: also no signal
  SUCCEED() << "the process survived";
}

TEST_F(TlsPairTest, CloseNotifyAfterThePeerLeftRaisesNoSignal) {
  ASSERT_EQ(std::signal(SIGPIPE, SIG_DFL), SIG_DFL);
  DropClient();
  server_->Close();
  char buf[16];
  auto n = server_->Read(buf, sizeof buf);
  // The peer went without its own close_notify: either a clean end or an error, never bytes.
  if (n.ok()) {
    EXPECT_EQ(*n, 0u);
  }
}

TEST_F(TlsPairTest, ReceiveTimeoutIsNamed) {
  timeval tv{};
  tv.tv_usec = 50 * 1000;
  ASSERT_EQ(::setsockopt(fds_[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  char buf[16];
  auto n = server_->Read(buf, sizeof buf);
  EXPECT_THAT(n.status(), StatusIs(StatusCode::kIOError, "timed out"));
}

TEST_F(TlsPairTest, ClientGoodbyeIsEndOfStream) {
  ASSERT_EQ(SSL_shutdown(client_), 0);  // sends close_notify, does not wait for ours
  char buf[16];
  auto n = server_->Read(buf, sizeof buf);
  ASSERT_THAT(n.status(), IsOk());
  EXPECT_EQ(*n, 0u);
}

TEST(TlsHandshakeTest, PlainTextClientFailsTheHandshakeWithoutHangingOrSignal) {
  TempDir dir;
  auto context = MakeContext(dir);
  ASSERT_NE(context, nullptr);
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::write(fds[1], junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  ::close(fds[1]);  // the alert the server sends back goes to a closed socket
  ASSERT_EQ(std::signal(SIGPIPE, SIG_DFL), SIG_DFL);
  auto accepted = TlsConnection::Accept(*context, fds[0]);
  EXPECT_THAT(accepted.status(), StatusIs(StatusCode::kIOError, "TLS handshake failed"));
  ::close(fds[0]);
}

}  // namespace
}  // namespace medlake
