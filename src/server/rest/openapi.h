// server/rest/openapi.h: the OpenAPI 3.0 document of the REST API (served at /api/v1/openapi.json).
#pragma once

#include <string>

namespace medlake::server {

// The document as JSON text. Its paths are exactly the routes RegisterRestRoutes adds (a test
// checks that every route is described and every described path is routed).
const std::string& OpenApiDocument();

}  // namespace medlake::server
