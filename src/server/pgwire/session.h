// server/pgwire/session.h: one client connection of the pgwire front end (internal to server.cc).
#pragma once

#include "server/net/tcp.h"
#include "server/pgwire/server.h"

namespace medlake::server::pgwire {

// Runs the whole life of one connection: startup, TLS, authentication, queries, until the client
// terminates, the connection fails or the server stops. Never throws; errors go to the client.
void ServeConnection(PgServer& server, net::TcpStream& stream);

// Refuses a connection over the server's limit (SQLSTATE 53300), after reading its startup packet.
void RefuseConnection(net::TcpStream& stream);

// Helpers exposed for tests.
// The 1-based parameter numbers ($n) used in `sql` outside strings, identifiers and comments.
int MaxParameterNumber(std::string_view sql);
// `sql` with every $n replaced by literals[n-1]. InvalidArgument when a $n has no literal.
Result<std::string> SubstituteParameters(std::string_view sql, const std::vector<std::string>& literals);
// The command tag PostgreSQL would send for a statement (before the row count): "SELECT",
// "INSERT", "CREATE TABLE", ...
std::string CommandTagOf(std::string_view sql);

}  // namespace medlake::server::pgwire
