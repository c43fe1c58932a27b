// engine/testing/session_rows.h: test helpers that run SQL on a LakeSession (header-only).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/testing/status_matchers.h"
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

}  // namespace medlake::engine::testing
