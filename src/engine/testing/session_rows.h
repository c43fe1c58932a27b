// engine/testing/session_rows.h: test helpers that run SQL on a LakeSession (header-only).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "engine/lake_session.h"

namespace medlake::engine::testing {

// Runs every statement of `sql`, expecting success (a failure is reported with the SQL).
inline void ExecOk(LakeSession& session, const std::string& sql) {
  EXPECT_THAT(session.Run(sql, [](size_t, StatementOutcome&) { return Status::OK(); }), IsOk()) << sql;
}

// The rows returned by `sql`, each as "v1|v2|...", joined by ";" (NULL prints as "NULL").
inline std::string Rows(LakeSession& session, const std::string& sql) {
  std::string out;
  Status st = session.Run(sql, [&](size_t, StatementOutcome& o) -> Status {
    if (o.rows == nullptr) return Status::OK();
    MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
    for (const auto& r : rows) {
      if (!out.empty()) out += ";";
      for (size_t i = 0; i < r.size(); ++i) out += (i ? "|" : "") + r[i].ToText();
    }
    return Status::OK();
  });
  EXPECT_THAT(st, IsOk()) << sql;
  return out;
}

// The first cell of `sql`'s result as text ("(no row)" when there is none), or "error" when it
// fails: differential tests compare answers, and both sides must fail alike.
inline std::string FirstCellOrError(LakeSession& session, const std::string& sql) {
  std::string out;
  Status st = session.Run(sql, [&](size_t, StatementOutcome& o) -> Status {
    if (!o.rows) return Status::OK();
    MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
    out = rows.empty() ? "(no row)" : rows[0][0].ToText();
    return Status::OK();
  });
  return st.ok() ? out : "error";
}

// The integer in environment variable `name` (a randomized test's seed or size), else `fallback`.
inline int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoll(v, nullptr, 10) : fallback;
}

// A fixture with a new lake and a trusted session on it.
class FreshLakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(lake_, storage::Lake::Create(tmp_.Join("lake")));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(session_, LakeSession::Open(*lake_));
  }
  std::string Answer(const std::string& sql) { return FirstCellOrError(*session_, sql); }
  TempDir tmp_;
  std::unique_ptr<storage::Lake> lake_;
  std::unique_ptr<LakeSession> session_;
};

}  // namespace medlake::engine::testing
