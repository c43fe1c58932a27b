#include "security/scram.h"

#include "core/crypto.h"

namespace medlake::security {
namespace {

std::string Bytes(const Sha256Digest& d) { return std::string(d.begin(), d.end()); }

Result<ScramVerifier> Derive(std::string_view password, std::string salt, int iterations) {
  MEDLAKE_ASSIGN_OR_RETURN(Sha256Digest salted, Pbkdf2Sha256(password, salt, iterations));
  std::string salted_bytes = Bytes(salted);
  ScramVerifier v;
  v.iterations = iterations;
  v.salt = std::move(salt);
  v.stored_key = Bytes(Sha256(Bytes(HmacSha256(salted_bytes, "Client Key"))));
  v.server_key = Bytes(HmacSha256(salted_bytes, "Server Key"));
  return v;
}

}  // namespace

Result<std::string> MakeScramVerifier(std::string_view password, int iterations) {
  if (password.size() < 8) return InvalidArgument("passwords have at least 8 characters");
  if (iterations < 4096) return InvalidArgument("SCRAM iterations must be at least 4096");
  MEDLAKE_ASSIGN_OR_RETURN(std::string salt, RandomBytes(16));
  MEDLAKE_ASSIGN_OR_RETURN(ScramVerifier v, Derive(password, salt, iterations));
  return "SCRAM-SHA-256$" + std::to_string(iterations) + ":" + Base64Encode(v.salt) + "$" +
         Base64Encode(v.stored_key) + ":" + Base64Encode(v.server_key);
}

Result<ScramVerifier> ParseScramVerifier(std::string_view text) {
  const Status bad = InvalidArgument("not a SCRAM-SHA-256 verifier");
  constexpr std::string_view kPrefix = "SCRAM-SHA-256$";
  if (text.substr(0, kPrefix.size()) != kPrefix) return bad;
  text.remove_prefix(kPrefix.size());
  size_t colon = text.find(':');
  size_t dollar = text.find('$');
  if (colon == std::string_view::npos || dollar == std::string_view::npos || colon > dollar) return bad;
  size_t colon2 = text.find(':', dollar);
  if (colon2 == std::string_view::npos) return bad;
  ScramVerifier v;
  std::string iters(text.substr(0, colon));
  if (iters.empty() || iters.find_first_not_of("0123456789") != std::string::npos || iters.size() > 9) return bad;
  v.iterations = std::stoi(iters);
  auto salt = Base64Decode(text.substr(colon + 1, dollar - colon - 1));
  auto stored = Base64Decode(text.substr(dollar + 1, colon2 - dollar - 1));
  auto server = Base64Decode(text.substr(colon2 + 1));
  if (!salt.ok() || !stored.ok() || !server.ok() || stored->size() != 32 || server->size() != 32) return bad;
  v.salt = std::move(*salt);
  v.stored_key = std::move(*stored);
  v.server_key = std::move(*server);
  return v;
}

Result<bool> CheckScramPassword(std::string_view verifier, std::string_view password) {
  MEDLAKE_ASSIGN_OR_RETURN(ScramVerifier v, ParseScramVerifier(verifier));
  MEDLAKE_ASSIGN_OR_RETURN(ScramVerifier mine, Derive(password, v.salt, v.iterations));
  return ConstantTimeEquals(mine.stored_key, v.stored_key) &&
         ConstantTimeEquals(mine.server_key, v.server_key);
}

Result<ScramVerifier> DeriveScramVerifier(std::string_view password, std::string_view salt, int iterations) {
  return Derive(password, std::string(salt), iterations);
}

bool VerifyScramClientProof(const ScramVerifier& v, std::string_view auth_message, std::string_view proof) {
  if (proof.size() != 32 || v.stored_key.size() != 32) return false;
  std::string signature = Bytes(HmacSha256(v.stored_key, auth_message));
  std::string client_key(32, '\0');
  for (size_t i = 0; i < 32; ++i) client_key[i] = static_cast<char>(proof[i] ^ signature[i]);
  return ConstantTimeEquals(Bytes(Sha256(client_key)), v.stored_key);
}

std::string ScramServerSignature(const ScramVerifier& v, std::string_view auth_message) {
  return Bytes(HmacSha256(v.server_key, auth_message));
}

}  // namespace medlake::security
