#pragma once

#include "api/guard.hpp"
#include "http/router.hpp"
#include "manager/connect_flow.hpp"
#include "manager/connect_sessions.hpp"
#include "manager/disconnect.hpp"
#include "manager/record_queries.hpp"
#include "providers/registry.hpp"

namespace oauth_manager::api {

// What connect sessions reach: the application's backend makes and revokes them
// (POST /v1/connect-sessions, DELETE /v1/connect-sessions/{id}, JWT), and the hosted connect page
// calls /v1/connect/session... with the session's token, for its one user.
struct SessionServices {
  manager::ConnectSessions& sessions;
  providers::ProviderRegistry& registry;
  manager::ConnectFlow& flow;
  manager::RecordQueries& records;
  manager::Disconnect& disconnect;
};

void add_session_routes(http::Router& router, GuardServices& guard, SessionServices services);

}  // namespace oauth_manager::api
