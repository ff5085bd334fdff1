#pragma once

#include "http/router.hpp"

namespace oauth_manager::web {

// GET /connect (the hosted connect page) and its script and style sheet, from the binary. The
// page runs with a strict Content-Security-Policy: its own script and style only, no inline
// code, no other origin, never framed.
void add_connect_page_routes(http::Router& router);

}  // namespace oauth_manager::web
