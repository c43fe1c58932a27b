#include "sqllogictest.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "security/access_controller.h"
#include "security/governance_hooks.h"

namespace medlake::sqltest {
namespace {

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::string cur;
  for (char c : text) {
    if (c == '\n') {
      if (!cur.empty() && cur.back() == '\r') cur.pop_back();
      lines.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  return lines;
}

std::vector<std::string> Words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

bool IsBlank(const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; }

std::string Substitute(std::string s, const SqlLogicContext& ctx) {
  auto replace = [&s](const std::string& from, const std::string& to) {
    size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
      s.replace(pos, from.size(), to);
      pos += to.size();
    }
  };
  replace("__TEST_DIR__", ctx.test_dir);
  replace("__FIXTURES__", ctx.fixtures_dir);
  replace("__SOURCE_DIR__", ctx.source_dir);
  return s;
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == '\t') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string Render(const engine::Value& v) {
  if (v.is_null()) return "NULL";
  std::string t = v.ToText();
  if (t.empty()) return "(empty)";
  return t;
}

bool ValuesMatch(const std::string& expected, const std::string& actual, char type) {
  if (expected == actual) return true;
  if (type == 'R') {
    char* e1 = nullptr;
    char* e2 = nullptr;
    double a = std::strtod(expected.c_str(), &e1);
    double b = std::strtod(actual.c_str(), &e2);
    if (*e1 == '\0' && *e2 == '\0' && !expected.empty() && !actual.empty()) {
      double scale = std::max({1.0, std::fabs(a), std::fabs(b)});
      return std::fabs(a - b) <= 1e-6 * scale;
    }
  }
  return false;
}

}  // namespace

Result<std::vector<SqlLogicRecord>> ParseSqlLogicTest(const std::string& text) {
  std::vector<std::string> lines = SplitLines(text);
  std::vector<SqlLogicRecord> records;
  size_t i = 0;
  while (i < lines.size()) {
    const std::string& line = lines[i];
    if (IsBlank(line) || line[0] == '#') {
      ++i;
      continue;
    }
    std::vector<std::string> w = Words(line);
    SqlLogicRecord rec;
    rec.line = static_cast<int>(i + 1);
    auto fail = [&](const std::string& why) {
      return InvalidArgument("line " + std::to_string(rec.line) + ": " + why);
    };
    if (w[0] == "mode" && w.size() == 2 && (w[1] == "skip" || w[1] == "unskip")) {
      rec.kind = w[1] == "skip" ? SqlLogicRecord::Kind::kModeSkip : SqlLogicRecord::Kind::kModeUnskip;
      records.push_back(rec);
      ++i;
      continue;
    }
    if (w[0] == "halt") {
      rec.kind = SqlLogicRecord::Kind::kHalt;
      records.push_back(rec);
      ++i;
      continue;
    }
    if (w[0] == "require") {
      if (w.size() < 2) return fail("require needs an argument");
      rec.kind = SqlLogicRecord::Kind::kRequire;
      rec.argument = w[1];
      records.push_back(rec);
      ++i;
      continue;
    }
    if (w[0] == "session") {
      const bool with_purpose = w.size() == 4 && w[2] == "purpose";
      if (w.size() != 2 && !with_purpose) return fail("expected 'session <user> [purpose <purpose>]'");
      if (w[1] == "trusted" && with_purpose) return fail("a trusted session has no purpose of use");
      rec.kind = SqlLogicRecord::Kind::kSession;
      rec.argument = w[1];
      if (with_purpose) rec.purpose = w[3];
      records.push_back(rec);
      ++i;
      continue;
    }
    if (w[0] == "statement") {
      if (w.size() < 2 || (w[1] != "ok" && w[1] != "error")) {
        return fail("expected 'statement ok' or 'statement error'");
      }
      rec.kind = w[1] == "ok" ? SqlLogicRecord::Kind::kStatementOk
                              : SqlLogicRecord::Kind::kStatementError;
    } else if (w[0] == "query") {
      if (w.size() < 2) return fail("query needs column types");
      rec.kind = SqlLogicRecord::Kind::kQuery;
      rec.types = w[1];
      if (w.size() >= 3) rec.sort_mode = w[2];
      if (rec.sort_mode != "nosort" && rec.sort_mode != "rowsort" && rec.sort_mode != "valuesort") {
        return fail("unknown sort mode " + rec.sort_mode);
      }
    } else {
      return fail("unknown record '" + w[0] + "'");
    }
    ++i;
    // SQL until a blank line or ----.
    std::string sql;
    while (i < lines.size() && !IsBlank(lines[i]) && lines[i] != "----") {
      sql += lines[i] + "\n";
      ++i;
    }
    if (sql.empty()) return fail("record without SQL");
    rec.sql = sql;
    if (i < lines.size() && lines[i] == "----") {
      ++i;
      std::vector<std::string> body;
      while (i < lines.size() && !IsBlank(lines[i])) body.push_back(lines[i++]);
      if (rec.kind == SqlLogicRecord::Kind::kQuery) {
        rec.expected = body;
      } else if (rec.kind == SqlLogicRecord::Kind::kStatementError) {
        for (size_t k = 0; k < body.size(); ++k) rec.expected_error += (k ? "\n" : "") + body[k];
      } else {
        return fail("'statement ok' takes no ---- section");
      }
    } else if (rec.kind == SqlLogicRecord::Kind::kQuery) {
      return fail("query without ---- section");
    }
    records.push_back(std::move(rec));
  }
  return records;
}

SessionOpener MakeSessionOpener(const storage::Lake& lake, const std::string& owner) {
  return [&lake, owner](const std::string& user, const std::string& purpose)
             -> Result<std::unique_ptr<engine::LakeSession>> {
    security::SecurityControllerOptions options;
    options.lake_root = lake.root();
    options.catalog_path = lake.catalog_path();
    MEDLAKE_RETURN_IF_ERROR(security::WireGovernance(&options));
    security::SessionIdentity identity;
    identity.actor = owner;
    identity.user = user;
    identity.client = "sqllogictest";
    identity.purpose = purpose;
    MEDLAKE_ASSIGN_OR_RETURN(auto controller, security::SecurityController::Open(options, identity));
    engine::LakeSessionOptions session_options;
    session_options.access = std::move(controller);
    return engine::LakeSession::Open(lake, session_options);
  };
}

SqlLogicOutcome RunSqlLogicTest(const std::vector<SqlLogicRecord>& records,
                                const SqlLogicContext& ctx, const std::string& file_name,
                                engine::LakeSession& trusted) {
  SqlLogicOutcome outcome;
  bool skipping = false;
  // The session records run on: the trusted one, or one opened by the last `session` record
  // (null when opening it failed: the records up to the next `session` record fail).
  engine::LakeSession* session = &trusted;
  std::unique_ptr<engine::LakeSession> opened;
  std::string session_error;
  for (const auto& rec : records) {
    std::string where = file_name + ":" + std::to_string(rec.line);
    if (rec.kind == SqlLogicRecord::Kind::kSession) {
      // Applied in skip mode too: records after `mode unskip` must run as the file says.
      opened.reset();
      session = &trusted;
      session_error.clear();
      if (rec.argument == "trusted") continue;
      Result<std::unique_ptr<engine::LakeSession>> made =
          ctx.open_session ? ctx.open_session(rec.argument, rec.purpose)
                           : Result<std::unique_ptr<engine::LakeSession>>(
                                 FailedPrecondition("this runner cannot open sessions for users"));
      if (made.ok()) {
        opened = std::move(*made);
        session = opened.get();
      } else {
        session = nullptr;
        session_error = "session " + rec.argument + " did not open: " + made.status().ToString();
        ++outcome.failed;
        outcome.failures.push_back(where + ": " + session_error);
      }
      continue;
    }
    switch (rec.kind) {
      case SqlLogicRecord::Kind::kModeSkip: skipping = true; continue;
      case SqlLogicRecord::Kind::kModeUnskip: skipping = false; continue;
      case SqlLogicRecord::Kind::kHalt: return outcome;
      case SqlLogicRecord::Kind::kRequire:
        // Nothing optional exists yet: every requirement other than the built-ins skips the file.
        if (rec.argument != "parquet" && rec.argument != "json" && rec.argument != "icu") {
          outcome.skipped += static_cast<int>(records.size());
          return outcome;
        }
        continue;
      default: break;
    }
    if (skipping) {
      ++outcome.skipped;
      continue;
    }
    std::string sql = Substitute(rec.sql, ctx);
    if (session == nullptr) {
      ++outcome.failed;
      outcome.failures.push_back(where + ": not run (" + session_error + ")\n  SQL: " + sql);
      continue;
    }
    std::vector<std::vector<std::string>> rows;
    size_t columns = 0;
    Status st = session->Run(sql, [&](size_t, engine::StatementOutcome& result) -> Status {
      if (result.rows == nullptr) return Status::OK();
      rows.clear();
      columns = result.rows->columns().size();
      MEDLAKE_ASSIGN_OR_RETURN(auto values, result.rows->FetchAll());
      for (auto& r : values) {
        std::vector<std::string> cells;
        for (auto& v : r) cells.push_back(Render(v));
        rows.push_back(std::move(cells));
      }
      return Status::OK();
    });

    auto record_failure = [&](const std::string& why) {
      ++outcome.failed;
      outcome.failures.push_back(where + ": " + why + "\n  SQL: " + sql);
    };

    if (rec.kind == SqlLogicRecord::Kind::kStatementOk) {
      if (st.ok()) {
        ++outcome.passed;
      } else {
        record_failure("expected success, got " + st.ToString());
      }
      continue;
    }
    if (rec.kind == SqlLogicRecord::Kind::kStatementError) {
      std::string expected = Substitute(rec.expected_error, ctx);
      if (st.ok()) {
        record_failure("expected an error, the statement succeeded");
      } else if (st.ToString().find(expected) == std::string::npos) {
        record_failure("error message lacks \"" + expected + "\": " + st.ToString());
      } else {
        ++outcome.passed;
      }
      continue;
    }
    // Query.
    if (!st.ok()) {
      record_failure("query failed: " + st.ToString());
      continue;
    }
    if (columns != rec.types.size()) {
      record_failure("expected " + std::to_string(rec.types.size()) + " columns, got " +
                     std::to_string(columns));
      continue;
    }
    std::vector<std::vector<std::string>> expected;
    bool one_per_line = columns > 1 && !rec.expected.empty() &&
                        rec.expected[0].find('\t') == std::string::npos;
    if (one_per_line) {
      if (rec.expected.size() % columns != 0) {
        record_failure("expected values do not fill whole rows");
        continue;
      }
      for (size_t k = 0; k < rec.expected.size(); k += columns) {
        expected.emplace_back(rec.expected.begin() + static_cast<long>(k),
                              rec.expected.begin() + static_cast<long>(k + columns));
      }
    } else {
      for (const auto& l : rec.expected) expected.push_back(SplitTabs(Substitute(l, ctx)));
    }
    if (rec.sort_mode == "rowsort") {
      std::sort(rows.begin(), rows.end());
      std::sort(expected.begin(), expected.end());
    } else if (rec.sort_mode == "valuesort") {
      auto flatten = [](std::vector<std::vector<std::string>>& m) {
        std::vector<std::string> all;
        for (auto& r : m) all.insert(all.end(), r.begin(), r.end());
        std::sort(all.begin(), all.end());
        m.assign(1, all);
      };
      flatten(rows);
      flatten(expected);
    }
    std::string mismatch;
    if (rows.size() != expected.size()) {
      mismatch = "expected " + std::to_string(expected.size()) + " rows, got " +
                 std::to_string(rows.size());
    } else {
      for (size_t r = 0; r < rows.size() && mismatch.empty(); ++r) {
        if (rows[r].size() != expected[r].size()) {
          mismatch = "row " + std::to_string(r + 1) + " has a different number of values";
          break;
        }
        for (size_t c = 0; c < rows[r].size(); ++c) {
          char type = rec.sort_mode == "valuesort" ? 'T' : rec.types[c % rec.types.size()];
          if (!ValuesMatch(expected[r][c], rows[r][c], type)) {
            mismatch = "row " + std::to_string(r + 1) + " column " + std::to_string(c + 1) +
                       ": expected \"" + expected[r][c] + "\", got \"" + rows[r][c] + "\"";
            break;
          }
        }
      }
    }
    if (mismatch.empty()) {
      ++outcome.passed;
    } else {
      std::string actual;
      for (const auto& r : rows) {
        for (size_t c = 0; c < r.size(); ++c) actual += (c ? "\t" : "  ") + r[c];
        actual += "\n";
      }
      record_failure(mismatch + "\n  actual result:\n" + actual);
    }
  }
  return outcome;
}

}  // namespace medlake::sqltest
