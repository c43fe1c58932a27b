// server/pgwire/catalog_responder.h: the pg_catalog shim (server/pgcatalog) as a session's
// CatalogResponder.
//
// Part of server/pgwire (see README.md). The shim is built lazily, on the session's first
// catalog-looking statement (pgbench and most application sessions never pay for it), from what
// the session's user may see: the governance views catalog.tables and catalog.columns, read
// through the user's own session, so hidden tables and columns stay hidden. It is rebuilt when
// the lake's catalog changed since (a table created, dropped or altered).
#pragma once

#include "server/pgwire/server.h"

namespace medlake::server::pgwire {

CatalogResponderFactory MakeCatalogShimFactory(std::string server_version);

// The cheap textual test run before the shim is asked (exposed for tests): false means
// "certainly not a catalog query".
bool MayBeCatalogQuery(std::string_view sql);

}  // namespace medlake::server::pgwire
