#pragma once

#include <string>

#include "http/router.hpp"

namespace oauth_manager::api {

// The OpenAPI 3.1 document describing every route the service serves. A test checks that its
// paths and methods are exactly the router's.
const std::string& openapi_document();

// GET /openapi.json (no authentication: it describes the API, it holds no data).
void add_openapi_route(http::Router& router);

}  // namespace oauth_manager::api
