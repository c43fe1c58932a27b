// core/tls.h: TLS for the servers (server side only), backed by OpenSSL.
//
// Like crypto.h, this header stands for OpenSSL so that no other module includes its headers.
// A TlsServerContext holds the certificate chain and private key (PEM files); a TlsConnection is
// one accepted connection on an already-connected socket: the pgwire front end starts TLS after
// its plain-text SSLRequest, the HTTP front end right after accept.
// Protocols: TLS 1.2 and 1.3 only; OpenSSL's default cipher lists for those.
//
// Thread-safety: a context is shared by all connections (OpenSSL's SSL_CTX is thread-safe once
// set up). A TlsConnection is used by one thread, except Shutdown() which may come from any.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace medlake {

class TlsServerContext {
 public:
  // Loads a PEM certificate chain and its PEM private key. InvalidArgument naming the file when
  // either cannot be read or they do not match.
  static Result<std::shared_ptr<TlsServerContext>> FromFiles(const std::string& certificate_path,
                                                             const std::string& private_key_path);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  struct Impl;
  explicit TlsServerContext(std::unique_ptr<Impl> impl);
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

class TlsConnection {
 public:
  // Runs the server side of the handshake on `fd` (which stays owned by the caller and must
  // outlive the connection). IOError with OpenSSL's reason when the handshake fails.
  static Result<std::unique_ptr<TlsConnection>> Accept(TlsServerContext& context, int fd);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // Up to `n` decrypted bytes; 0 when the peer closed. IOError on failure.
  Result<size_t> Read(char* buf, size_t n);
  // Encrypts and sends all of `data`.
  Status Write(std::string_view data);
  // Sends close_notify (best effort). The caller shuts the socket down afterwards.
  void Close();
  // "TLSv1.3" etc.
  std::string protocol() const;

  struct Impl;
  explicit TlsConnection(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// Writes a new self-signed certificate (ECDSA P-256, SHA-256, subjectAltName DNS:localhost,
// IP:127.0.0.1 and `common_name`) and its private key (mode 0600) as PEM files; for demos and
// tests, never for production.
Status GenerateSelfSignedCertificate(const std::string& certificate_path, const std::string& private_key_path,
                                     const std::string& common_name, int valid_days = 365);

}  // namespace medlake
