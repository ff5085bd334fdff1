#pragma once

#include "api/guard.hpp"
#include "http/router.hpp"
#include "manager/connect_flow.hpp"
#include "providers/registry.hpp"

namespace oauth_manager::api {

// GET /v1/providers, POST /v1/integrations/{provider}/authorize and the browser's
// GET /v1/oauth/callback/{provider}.
void add_connect_routes(http::Router& router, GuardServices& guard,
                        providers::ProviderRegistry& registry, manager::ConnectFlow& flow,
                        manager::ConnectConfirmation& confirmation);

}  // namespace oauth_manager::api
