// cli/audit_command.h: `medlake audit verify [--expect-head HASH]` and `medlake audit show`.
//
// Thin commands over security/audit (docs/formats/audit_log.md). The lake is opened with
// storage::Lake::Open; its audit log is <root>/audit. Whether the caller may read the log
// (auditors only) is checked by the caller before these run.
//
// Thread-safety: each call opens its own lake and log; calls are independent.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "security/audit/audit_log.h"

namespace medlake::cli {

// Verifies the chain of the lake's audit log. Prints to `out`
//   audit log: N records, head <hash>: ok
// and, with `expect_head`, "expected head <hash>: record S"; or one "problem: ..." line per
// problem followed by "audit log: N records, head <hash>: K problem(s)". Errors go to `err`.
// Returns 0 when the log is intact (and contains `expect_head`, if given), 1 when problems were
// found or the lake or log cannot be read, 2 for a malformed `expect_head`.
int RunAuditVerify(const std::string& lake_root, const std::string& expect_head,
                   std::FILE* out = stdout, std::FILE* err = stderr);

// Prints the records with seq >= `from`, at most `limit` (-1: all); `from` <= 0 means the last
// `limit` records (all when limit is -1). `format` is table (aligned columns, statement on one
// line cut to 80 characters), csv (every field; arrays as JSON text), json (one array of the
// stored records) or ndjson (the stored lines, hash included, as in the segment files).
// Returns 0, 1 when the lake or log cannot be read, 2 for an unknown format.
int RunAuditShow(const std::string& lake_root, int64_t from, int64_t limit,
                 const std::string& format, std::FILE* out = stdout, std::FILE* err = stderr);

// Writes `records` in `format` (as RunAuditShow). InvalidArgument for an unknown format.
Status WriteAuditRecords(const std::vector<security::AuditRecord>& records,
                         const std::string& format, std::FILE* out);

}  // namespace medlake::cli
