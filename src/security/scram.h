// security/scram.h: SCRAM-SHA-256 password verifiers (RFC 5802, RFC 7677), in PostgreSQL's
// text form so the PostgreSQL wire protocol can authenticate against them later:
//   SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
// The password itself is never stored. Passwords are used as given (no SASLprep; documented).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace medlake::security {

struct ScramVerifier {
  int iterations = 0;
  std::string salt;        // raw bytes
  std::string stored_key;  // raw 32 bytes: H(HMAC(SaltedPassword, "Client Key"))
  std::string server_key;  // raw 32 bytes: HMAC(SaltedPassword, "Server Key")
};

// A new verifier for `password` with a random 16-byte salt. InvalidArgument for a password
// shorter than 8 characters.
Result<std::string> MakeScramVerifier(std::string_view password, int iterations = 4096);
Result<ScramVerifier> ParseScramVerifier(std::string_view text);
// True when `password` matches the verifier (constant-time comparison).
Result<bool> CheckScramPassword(std::string_view verifier, std::string_view password);
// The verifier of `password` with a given salt (raw bytes): tests and known-answer checks.
Result<ScramVerifier> DeriveScramVerifier(std::string_view password, std::string_view salt, int iterations);

// The server's side of a SCRAM exchange (RFC 5802 section 3). `auth_message` is
// client-first-message-bare + "," + server-first-message + "," + client-final-message-without-proof.
// True when the client's proof (raw 32 bytes) shows knowledge of the password.
bool VerifyScramClientProof(const ScramVerifier& v, std::string_view auth_message, std::string_view proof);
// The ServerSignature (raw 32 bytes) the server returns as "v=" in server-final-message.
std::string ScramServerSignature(const ScramVerifier& v, std::string_view auth_message);

}  // namespace medlake::security
