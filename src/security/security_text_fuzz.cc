// libFuzzer target for the text the security module reads: security statements (GRANT, CREATE
// POLICY, CREATE USER ..., sent by any user through any front end), stored audit lines (read
// back by `audit verify` and the audit table, possibly edited by an attacker) and SCRAM
// verifiers. Every outcome must be a value; beyond that it checks what the audit chain relies
// on: a line that parses is in canonical form, so writing the parsed record gives the same
// bytes, and a parsed verifier has keys of SHA-256's size.
// Built only with -DMEDLAKE_BUILD_FUZZERS=ON (fuzz preset, clang):
//   build/fuzz/src/security/medlake_security_text_fuzz -max_len=4096 corpus/
// Seed it with security statements from test/sql/security/*.test and lines of an audit segment.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "security/audit/audit_log.h"
#include "security/scram.h"
#include "security/statements.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ms = medlake::security;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)ms::ParseSecurityStatement(input);
  auto record = ms::ParseAuditRecordLine(input);
  if (record.ok() && ms::AuditRecordLine(*record) != input) __builtin_trap();
  auto verifier = ms::ParseScramVerifier(input);
  if (verifier.ok() && (verifier->stored_key.size() != 32 || verifier->server_key.size() != 32 ||
                        verifier->iterations <= 0)) {
    __builtin_trap();
  }
  return 0;
}
