// test/tools/sqllogictest.h: a runner for DuckDB-style sqllogictest files (STYLE.md section 8).
//
// Supported records (separated by blank lines; lines starting with # are comments):
//   statement ok            the SQL must succeed
//   statement error         the SQL must fail; text after ---- must appear in the message
//   query <types> [rowsort|valuesort|nosort]
//                           the SQL must return the rows after ---- (tab-separated values,
//                           NULL for null, (empty) for the empty string); types are one letter
//                           per column: I integer, T text, R real (compared with tolerance),
//                           B boolean, D date/time
//   mode skip / mode unskip skip records until unskip
//   require <what>          skips the file when <what> is not available
//   halt                    stops the file here
//   session <user> [purpose <p>]
//                           the following records run in a new untrusted session of <user> on
//                           the same lake (opened through the security layer by the lake's
//                           owner, acting as <user>; policies, the statement guard and the
//                           audit apply), with purpose of use <p> when given
//   session trusted         back to the file's first session: trusted, no access controller
//                           (the default until a file says otherwise)
// Substitutions in SQL and expected text: __TEST_DIR__ (a fresh temp directory),
// __FIXTURES__ (../shared/fixtures beside the source tree), __SOURCE_DIR__.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/lake_session.h"
#include "storage/lake.h"

namespace medlake::sqltest {

struct SqlLogicRecord {
  enum class Kind { kStatementOk, kStatementError, kQuery, kModeSkip, kModeUnskip, kHalt, kRequire, kSession };
  Kind kind = Kind::kStatementOk;
  int line = 0;                    // 1-based line of the record header
  std::string sql;                 // statements and queries
  std::string expected_error;      // statement error
  std::string types;               // query column types
  std::string sort_mode = "nosort";
  std::vector<std::string> expected;  // query result lines
  std::string argument;               // require; session: the user ("trusted" for the default)
  std::string purpose;                // session: the purpose of use, empty for none
};

// Parses the text of a .test file. InvalidArgument with the line on malformed records.
Result<std::vector<SqlLogicRecord>> ParseSqlLogicTest(const std::string& text);

struct SqlLogicOutcome {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  std::vector<std::string> failures;  // one message per failed record
};

// Opens an untrusted session of `user` declaring `purpose` (empty: none) for a `session` record.
using SessionOpener = std::function<Result<std::unique_ptr<engine::LakeSession>>(
    const std::string& user, const std::string& purpose)>;

struct SqlLogicContext {
  std::string test_dir;
  std::string fixtures_dir;
  std::string source_dir;
  // Null: `session <user>` records fail (`session trusted` always works).
  SessionOpener open_session;
};

// A SessionOpener for `lake` (which must outlive it): security::SecurityController::Open with
// actor `owner` (an admin, e.g. the one security::InitializeSecurity made) acting as the user.
SessionOpener MakeSessionOpener(const storage::Lake& lake, const std::string& owner);

// Runs `records`, starting on the trusted `session`. Never stops at a failure; every record is
// reported. A `session` record that cannot open its session is a failure, and so is every
// record after it up to the next `session` record (they never run under another principal).
SqlLogicOutcome RunSqlLogicTest(const std::vector<SqlLogicRecord>& records,
                                const SqlLogicContext& context, const std::string& file_name,
                                engine::LakeSession& session);

}  // namespace medlake::sqltest
