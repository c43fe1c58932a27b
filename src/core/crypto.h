// core/crypto.h: hashing, message authentication and randomness, backed by OpenSSL.
//
// This header is the only place in medlake that stands for OpenSSL (linked PRIVATE to core), so
// other modules never include OpenSSL headers themselves.
//
// Thread-safety: all functions are thread-safe; a Sha256Hasher object is not.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace medlake {

using Sha256Digest = std::array<uint8_t, 32>;

// SHA-256 of `data` (FIPS 180-4).
Sha256Digest Sha256(std::string_view data);
// HMAC-SHA-256 (RFC 2104) of `data` under `key`.
Sha256Digest HmacSha256(std::string_view key, std::string_view data);
// HMAC-SHA-256 under one fixed key, with the key's inner and outer hash states computed once:
// for hashing many short values (the keyed-hash column mask). Digest() is thread-safe.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;
  // Equals HmacSha256(key, data).
  Sha256Digest Digest(std::string_view data) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// PBKDF2-HMAC-SHA-256 (RFC 8018), as SCRAM-SHA-256's Hi() function.
Result<Sha256Digest> Pbkdf2Sha256(std::string_view password, std::string_view salt,
                                  int iterations);

// Incremental SHA-256 for data that arrives in pieces (files, streams).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view data);
  // Returns the digest; the hasher must not be used afterwards.
  Sha256Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `n` cryptographically secure random bytes. IOError if the generator fails.
Result<std::string> RandomBytes(size_t n);
// `n` random bytes as 2n lowercase hex characters.
Result<std::string> RandomHex(size_t n);

// Lowercase hex of bytes; and back (InvalidArgument on odd length or a non-hex character).
std::string HexEncode(std::string_view bytes);
std::string HexEncode(const Sha256Digest& digest);
Result<std::string> HexDecode(std::string_view hex);
// Standard base64 (RFC 4648, with padding); and back (InvalidArgument on bad input).
std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

// Compares two byte strings in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace medlake
