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
// Substitutions in SQL and expected text: __TEST_DIR__ (a fresh temp directory),
// __FIXTURES__ (../shared/fixtures beside the source tree), __SOURCE_DIR__.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/lake_session.h"

namespace medlake::sqltest {

struct SqlLogicRecord {
  enum class Kind { kStatementOk, kStatementError, kQuery, kModeSkip, kModeUnskip, kHalt, kRequire };
  Kind kind = Kind::kStatementOk;
  int line = 0;                    // 1-based line of the record header
  std::string sql;                 // statements and queries
  std::string expected_error;      // statement error
  std::string types;               // query column types
  std::string sort_mode = "nosort";
  std::vector<std::string> expected;  // query result lines
  std::string argument;               // require
};

// Parses the text of a .test file. InvalidArgument with the line on malformed records.
Result<std::vector<SqlLogicRecord>> ParseSqlLogicTest(const std::string& text);

struct SqlLogicOutcome {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  std::vector<std::string> failures;  // one message per failed record
};

struct SqlLogicContext {
  std::string test_dir;
  std::string fixtures_dir;
  std::string source_dir;
};

// Runs `records` on `session`. Never stops at a failure; every record is reported.
SqlLogicOutcome RunSqlLogicTest(const std::vector<SqlLogicRecord>& records,
                                const SqlLogicContext& context, const std::string& file_name,
                                engine::LakeSession& session);

}  // namespace medlake::sqltest
