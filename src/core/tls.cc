#include "core/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>

namespace medlake {
namespace {

// The oldest queued OpenSSL error as text (and the queue emptied), for messages.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  std::string text;
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    text = buf;
  }
  ERR_clear_error();
  return text.empty() ? "unknown TLS error" : text;
}

// OpenSSL's own socket BIO sends with write(2), which raises SIGPIPE when the peer has already
// gone (a client that closes while a result or close_notify is on its way), and SIGPIPE's default
// action ends the whole server. This BIO is the socket BIO's twin that sends with MSG_NOSIGNAL, so
// a vanished peer is an EPIPE error on one connection, whatever the process's signal settings.
// The file descriptor is the BIO's data; end of input is the socket BIO's IN_EOF flag, which the
// TLS layer asks about through BIO_CTRL_EOF.
int SocketOf(BIO* bio) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio))); }

bool RetryableErrno(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

int NoSigpipeWrite(BIO* bio, const char* data, size_t n, size_t* written) {
  BIO_clear_retry_flags(bio);
  ssize_t k = ::send(SocketOf(bio), data, n, MSG_NOSIGNAL);
  if (k >= 0) {
    *written = static_cast<size_t>(k);
    return 1;
  }
  *written = 0;
  if (RetryableErrno(errno)) BIO_set_retry_write(bio);
  return 0;
}

int NoSigpipeRead(BIO* bio, char* data, size_t n, size_t* read) {
  BIO_clear_retry_flags(bio);
  *read = 0;
  ssize_t k = ::recv(SocketOf(bio), data, n, 0);
  if (k > 0) {
    *read = static_cast<size_t>(k);
    return 1;
  }
  if (k == 0) {
    BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
  } else if (RetryableErrno(errno)) {
    BIO_set_retry_read(bio);
  }
  return 0;
}

long NoSigpipeCtrl(BIO* bio, int cmd, long /*num*/, void* ptr) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:
      return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    case BIO_C_GET_FD:
      if (ptr != nullptr) *static_cast<int*>(ptr) = SocketOf(bio);
      return SocketOf(bio);
    default:
      return 0;
  }
}

int NoSigpipeCreate(BIO* bio) {
  BIO_set_data(bio, reinterpret_cast<void*>(intptr_t{-1}));
  BIO_set_init(bio, 0);
  return 1;
}

// Built once; OpenSSL keeps no reference that outlives the process, so the method is never freed.
const BIO_METHOD* NoSigpipeSocketMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "medlake socket (MSG_NOSIGNAL)");
    if (m == nullptr) return m;
    BIO_meth_set_write_ex(m, NoSigpipeWrite);
    BIO_meth_set_read_ex(m, NoSigpipeRead);
    BIO_meth_set_ctrl(m, NoSigpipeCtrl);
    BIO_meth_set_create(m, NoSigpipeCreate);
    return m;
  }();
  return method;
}

// A BIO over `fd` (not closed by the BIO), or null with OpenSSL's error queued.
BIO* NewNoSigpipeSocketBio(int fd) {
  const BIO_METHOD* method = NoSigpipeSocketMethod();
  if (method == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio == nullptr) return nullptr;
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  BIO_set_init(bio, 1);
  return bio;
}

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};

}  // namespace

struct TlsServerContext::Impl {
  SSL_CTX* ctx = nullptr;
  ~Impl() {
    if (ctx) SSL_CTX_free(ctx);
  }
};

TlsServerContext::TlsServerContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsServerContext::~TlsServerContext() = default;

Result<std::shared_ptr<TlsServerContext>> TlsServerContext::FromFiles(const std::string& certificate_path,
                                                                      const std::string& private_key_path) {
  auto impl = std::make_unique<Impl>();
  impl->ctx = SSL_CTX_new(TLS_server_method());
  if (!impl->ctx) return Internal("TLS: cannot create a context: " + OpenSslError());
  SSL_CTX_set_min_proto_version(impl->ctx, TLS1_2_VERSION);
  // Sessions are not resumed across connections: one less piece of shared state to reason about.
  SSL_CTX_set_session_cache_mode(impl->ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(impl->ctx, SSL_MODE_AUTO_RETRY);
  if (SSL_CTX_use_certificate_chain_file(impl->ctx, certificate_path.c_str()) != 1) {
    return InvalidArgument("TLS: cannot load certificate " + certificate_path + ": " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(impl->ctx, private_key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
    return InvalidArgument("TLS: cannot load private key " + private_key_path + ": " + OpenSslError());
  }
  if (SSL_CTX_check_private_key(impl->ctx) != 1) {
    return InvalidArgument("TLS: private key " + private_key_path + " does not match certificate " +
                           certificate_path);
  }
  return std::make_shared<TlsServerContext>(std::move(impl));
}

struct TlsConnection::Impl {
  SSL* ssl = nullptr;
  ~Impl() {
    if (ssl) SSL_free(ssl);
  }
};

TlsConnection::TlsConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsConnection::~TlsConnection() = default;

Result<std::unique_ptr<TlsConnection>> TlsConnection::Accept(TlsServerContext& context, int fd) {
  ERR_clear_error();
  auto impl = std::make_unique<Impl>();
  impl->ssl = SSL_new(context.impl().ctx);
  if (!impl->ssl) return Internal("TLS: cannot create a connection: " + OpenSslError());
  BIO* bio = NewNoSigpipeSocketBio(fd);
  if (bio == nullptr) return Internal("TLS: cannot create a socket BIO: " + OpenSslError());
  SSL_set_bio(impl->ssl, bio, bio);  // the SSL owns the BIO from here (one reference for both ways)
  int rc = SSL_accept(impl->ssl);
  if (rc != 1) {
    int err = SSL_get_error(impl->ssl, rc);
    std::string why = err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN ? "connection closed"
                                                                                : OpenSslError();
    ERR_clear_error();
    return IOError("TLS handshake failed: " + why);
  }
  return std::make_unique<TlsConnection>(std::move(impl));
}

Result<size_t> TlsConnection::Read(char* buf, size_t n) {
  if (n == 0) return size_t{0};
  size_t got = 0;
  int rc = SSL_read_ex(impl_->ssl, buf, n, &got);
  if (rc == 1) return got;
  int err = SSL_get_error(impl_->ssl, rc);
  if (err == SSL_ERROR_ZERO_RETURN) return size_t{0};
  if (err == SSL_ERROR_SYSCALL) {
    ERR_clear_error();
    return size_t{0};  // the socket was closed under us (peer gone or Shutdown)
  }
  if (err == SSL_ERROR_WANT_READ) {
    ERR_clear_error();
    return IOError("TLS read timed out");  // the socket's receive timeout, as for plain reads
  }
  return IOError("TLS read failed: " + OpenSslError());
}

Status TlsConnection::Write(std::string_view data) {
  while (!data.empty()) {
    size_t written = 0;
    int rc = SSL_write_ex(impl_->ssl, data.data(), data.size(), &written);
    if (rc != 1) {
      int err = SSL_get_error(impl_->ssl, rc);
      std::string why = err == SSL_ERROR_SYSCALL ? "connection closed" : OpenSslError();
      ERR_clear_error();
      return IOError("TLS write failed: " + why);
    }
    data.remove_prefix(written);
  }
  return Status::OK();
}

void TlsConnection::Close() {
  SSL_shutdown(impl_->ssl);
  ERR_clear_error();
}

std::string TlsConnection::protocol() const { return SSL_get_version(impl_->ssl); }

Status GenerateSelfSignedCertificate(const std::string& certificate_path, const std::string& private_key_path,
                                     const std::string& common_name, int valid_days) {
  ERR_clear_error();
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) return Internal("TLS: cannot generate a key: " + OpenSslError());
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_owner(key, EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!cert) return Internal("TLS: " + OpenSslError());
  X509_set_version(cert.get(), 2);  // v3
  // A random 64-bit serial: browsers refuse two certificates of one issuer with one serial.
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(BN_new(), BN_free);
  BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(valid_days) * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("medlake (self-signed)"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::string san = "DNS:localhost,IP:127.0.0.1";
  if (!common_name.empty() && common_name != "localhost") san += ",DNS:" + common_name;
  for (auto [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                            {NID_basic_constraints, "critical,CA:FALSE"},
                            {NID_ext_key_usage, "serverAuth"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    if (!ext) return Internal("TLS: certificate extension: " + OpenSslError());
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) return Internal("TLS: signing: " + OpenSslError());

  // The key file is created 0600 before anything is written to it.
  {
    mode_t old = umask(077);
    std::unique_ptr<std::FILE, FileCloser> f(std::fopen(private_key_path.c_str(), "w"));
    umask(old);
    if (!f) return IOError("cannot write " + private_key_path);
    if (PEM_write_PrivateKey(f.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      return IOError("cannot write " + private_key_path + ": " + OpenSslError());
    }
  }
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(certificate_path.c_str(), "w"));
  if (!f) return IOError("cannot write " + certificate_path);
  if (PEM_write_X509(f.get(), cert.get()) != 1) {
    return IOError("cannot write " + certificate_path + ": " + OpenSslError());
  }
  return Status::OK();
}

}  // namespace medlake
