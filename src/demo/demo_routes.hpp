#pragma once

#include <optional>
#include <string>

#include "demo/demo_provider.hpp"
#include "http/router.hpp"
#include "manager/connect_sessions.hpp"

namespace oauth_manager::demo {

struct DemoRoutesSettings {
  std::string public_url;
  std::string audience;                     // the aud of the service JWT the page shows
  std::optional<std::string> hs256_secret;  // to mint that JWT; none: no ready curl command
};

// The demo's routes: GET /demo opens the connect page for the demo user; /demo/... is the demo
// provider (discovery, JWKS, authorize with its login and consent pages, token, revoke); and
// GET /demo/curl gives the connect page a ready command that fetches a token.
void add_demo_routes(http::Router& router, DemoProvider& provider,
                     manager::ConnectSessions& sessions, DemoRoutesSettings settings);

}  // namespace oauth_manager::demo
