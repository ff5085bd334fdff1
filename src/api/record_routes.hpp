#pragma once

#include "api/guard.hpp"
#include "http/router.hpp"
#include "manager/record_queries.hpp"

namespace oauth_manager::api {

// GET /v1/integrations, /v1/integrations/{id}, /v1/consents, /v1/audit, /v1/audit/verify.
void add_record_routes(http::Router& router, GuardServices& guard, manager::RecordQueries& records);

}  // namespace oauth_manager::api
