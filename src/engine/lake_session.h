// engine/lake_session.h: the SQL path every front end uses (CLI now; HTTP, pgwire and FHIR later).
//
// A LakeSession is one user's session on one lake: a DuckDB instance configured for the lake and
// a connection. Run() splits a SQL text into statements with DuckDB's parser and executes them in
// order, handing each result to the caller's callback as a stream.
//
// Current scope (foundation issue): statements run on the session's in-memory DuckDB with the
// lake's settings (UTC, no extension downloads). The lake-tables issue adds resolution of lake
// tables through the catalog; the security issue adds the policy rewrite and the lock-down of
// file access (ARCHITECTURE.md section 3).
//
// Thread-safety: one thread at a time per session; Interrupt() from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "engine/database.h"
#include "storage/lake.h"

namespace medlake::engine {

struct LakeSessionOptions {
  // DuckDB worker threads; 0 lets DuckDB decide (one per core).
  int threads = 0;
  // DuckDB memory limit, e.g. "4GB"; empty for DuckDB's default (80% of RAM).
  std::string memory_limit;
};

class LakeSession {
 public:
  // Called once per executed statement with its result. `index` is the 0-based statement
  // number. Returning a non-OK Status stops the run with that Status.
  using ResultCallback = std::function<Status(size_t index, QueryResult& result)>;

  // Opens a session on `lake` (which must outlive the session).
  static Result<std::unique_ptr<LakeSession>> Open(const storage::Lake& lake,
                                                   const LakeSessionOptions& options = {});

  // Runs every statement of `sql` in order; stops at the first failing statement and returns its
  // error with "statement N: " context when the text held more than one statement.
  Status Run(std::string_view sql, const ResultCallback& on_result);

  void Interrupt() { connection_->Interrupt(); }
  Connection& connection() { return *connection_; }
  const storage::Lake& lake() const { return lake_; }

  LakeSession(const storage::Lake& lake, std::unique_ptr<Database> db,
              std::unique_ptr<Connection> conn)
      : lake_(lake), database_(std::move(db)), connection_(std::move(conn)) {}

 private:
  const storage::Lake& lake_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace medlake::engine
