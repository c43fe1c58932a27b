// cli/user_session.h: who the command line acts as, and the SQL sessions it opens for them.
//
// The embedded CLI acts as the lake's owner (whoever can run medlake on the lake's files owns
// it); `--user NAME [--purpose P]` makes an admin's command run with NAME's rights, so policies
// can be tried without a server. Every SQL session the CLI opens for people goes through the
// security layer (guard, policies, audit); internal jobs (run, ingest) use trusted sessions.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "engine/lake_session.h"
#include "security/access_controller.h"
#include "storage/lake.h"

namespace medlake::cli {

struct UserOptions {
  std::string user;     // empty: the owner
  std::string purpose;  // empty: none declared
};

// The owner's name for a new lake: $USER when it is a valid principal name, else "owner".
std::string DefaultOwnerName();

// The security controller of a CLI session on `lake` for `who` (the actor is the owner).
Result<std::shared_ptr<security::SecurityController>> OpenController(const storage::Lake& lake,
                                                                     const UserOptions& who);

// A SQL session on `lake` for `who`, with the security layer in front.
Result<std::unique_ptr<engine::LakeSession>> OpenUserSession(const storage::Lake& lake, const UserOptions& who,
                                                             engine::LakeSessionOptions options = {});

// For jobs that write every layer (run, ingest, table maintenance): OK for the owner and
// admins, PermissionDenied otherwise. Writes the job's audit record (action "job").
Status AuthorizeJob(const storage::Lake& lake, const UserOptions& who, const std::string& command_line);

}  // namespace medlake::cli
