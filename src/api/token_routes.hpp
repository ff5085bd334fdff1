#pragma once

#include "api/guard.hpp"
#include "http/router.hpp"
#include "manager/disconnect.hpp"
#include "manager/record_queries.hpp"
#include "manager/token_service.hpp"

namespace oauth_manager::api {

// POST /v1/tokens, POST /v1/integrations/{id}/refresh, DELETE /v1/integrations/{id}.
void add_token_routes(http::Router& router, GuardServices& guard, manager::TokenService& tokens,
                      manager::Disconnect& disconnect_integration, manager::RecordQueries& records);

}  // namespace oauth_manager::api
