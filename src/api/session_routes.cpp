#include "api/session_routes.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "api/problem.hpp"
#include "api/request_parsing.hpp"
#include "api/views.hpp"

namespace oauth_manager::api {
namespace {

using core::Permission;
using Reply = boost::asio::awaitable<core::Result<http::Response>>;

constexpr std::string_view kBearer = "Bearer ";

// --- The application's backend, with its JWT ---

Reply create_session(manager::ConnectSessions& sessions, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  auto body =
      parse_json_object(call.request, {"user_id", "providers", "return_to", "integration_id"});
  if (!body) co_return body.error();
  manager::ConnectSessionRequest request;
  auto user_id = string_member(*body, "user_id");
  if (!user_id) co_return user_id.error();
  request.user_id = std::move(*user_id);
  auto providers = string_list_member(*body, "providers", 50);
  if (!providers) co_return providers.error();
  request.providers = std::move(*providers);
  auto return_to = string_member(*body, "return_to");
  if (!return_to) co_return return_to.error();
  request.return_to = std::move(*return_to);
  auto integration_id = string_member(*body, "integration_id");
  if (!integration_id) co_return integration_id.error();
  request.integration_id = std::move(*integration_id);
  call.audit.user_id = request.user_id.value_or(call.caller.subject);
  call.audit.integration_id = request.integration_id;

  auto made = co_await sessions.create(call.caller, request);
  if (!made) co_return made.error();
  call.audit.details = nlohmann::json{{"connect_session", made->session.id}}.dump();
  co_return json_answer(201, {{"id", made->session.id},
                              {"token", made->token},
                              {"connect_url", made->connect_url},
                              {"expires_at", core::to_rfc3339(made->session.expires_at)}});
}

Reply revoke_session(manager::ConnectSessions& sessions, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  const auto& id = call.request.path_params.at("id");
  call.audit.details = nlohmann::json{{"connect_session", id}}.dump();
  if (auto revoked = co_await sessions.revoke(call.caller, id); !revoked) {
    co_return revoked.error();
  }
  co_return http::no_content();
}

// --- The connect page, with the session's token ---

CallerSource session_callers(manager::ConnectSessions& sessions) {
  return [&sessions](
             const http::Request& request) -> boost::asio::awaitable<core::Result<core::Caller>> {
    const auto header = request.header("authorization");
    if (!header || header->substr(0, kBearer.size()) != kBearer) {
      co_return core::make_error(core::Code::unauthenticated,
                                 "the connect page calls with its session's token");
    }
    const std::string token(header->substr(kBearer.size()));
    auto session = co_await sessions.authenticate(token);
    if (!session) co_return session.error();
    co_return manager::ConnectSessions::caller_of(*session);
  };
}

// The session behind a page call (authenticated again by id: the guard kept only the caller).
boost::asio::awaitable<core::Result<core::ConnectSession>> session_of(
    manager::ConnectSessions& sessions, const Call& call) {
  const auto header = call.request.header("authorization");
  const std::string token(header->substr(kBearer.size()));
  co_return co_await sessions.authenticate(token);
}

Reply describe_session(SessionServices& services, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  auto session = co_await session_of(services.sessions, call);
  if (!session) co_return session.error();
  call.audit.user_id = session->user_id;
  auto providers = nlohmann::json::array();
  for (const auto& provider : services.registry.list()) {
    if (manager::ConnectSessions::allows(*session, provider->spec.id)) {
      providers.push_back(provider_json(*provider));
    }
  }
  // A named optional, not one made inside the co_await (GCC bug 99576).
  const std::optional<std::string> user = session->user_id;
  auto views = co_await services.records.integrations(call.caller, user);
  if (!views) co_return views.error();
  auto integrations = nlohmann::json::array();
  for (const auto& view : *views) {
    const auto& integration = view.integration;
    if (integration.status == core::IntegrationStatus::revoked) continue;
    if (!manager::ConnectSessions::allows(*session, integration.provider)) continue;
    integrations.push_back(integration_json(view));
  }
  nlohmann::json answer = {{"user_id", session->user_id},
                           {"expires_at", core::to_rfc3339(session->expires_at)},
                           {"providers", providers},
                           {"integrations", integrations}};
  if (session->return_to) answer["return_to"] = *session->return_to;
  if (session->integration_id) answer["reconnect_integration_id"] = *session->integration_id;
  co_return json_answer(200, answer);
}

Reply start_from_page(SessionServices& services, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  auto body = parse_json_object(call.request, {"provider", "integration_id"});
  if (!body) co_return body.error();
  auto provider = string_member(*body, "provider");
  if (!provider) co_return provider.error();
  if (!*provider) co_return core::make_error(core::Code::invalid_request, "\"provider\" is needed");
  auto integration_id = string_member(*body, "integration_id");
  if (!integration_id) co_return integration_id.error();
  auto session = co_await session_of(services.sessions, call);
  if (!session) co_return session.error();
  call.audit.user_id = session->user_id;
  call.audit.integration_id = *integration_id;
  call.audit.details = nlohmann::json{{"provider", **provider}}.dump();
  if (!manager::ConnectSessions::allows(*session, **provider)) {
    co_return core::make_error(core::Code::forbidden,
                               "this connect session does not offer that provider");
  }
  manager::ConnectRequest request;
  request.provider = **provider;
  request.integration_id = *integration_id;
  request.return_to = services.sessions.page_url();
  auto started = co_await services.flow.start(call.caller, request);
  if (!started) co_return started.error();
  co_return json_answer(201, {{"authorization_url", started->authorization_url},
                              {"state_expires_at", core::to_rfc3339(started->state_expires_at)}});
}

Reply disconnect_from_page(SessionServices& services, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  const auto& id = call.request.path_params.at("id");
  call.audit.integration_id = id;
  auto session = co_await session_of(services.sessions, call);
  if (!session) co_return session.error();
  // The allow-list holds here too: a page for Notion does not disconnect Google.
  auto view = co_await services.records.integration(call.caller, id);
  if (!view) co_return view.error();
  if (!manager::ConnectSessions::allows(*session, view->integration.provider)) {
    co_return core::make_error(core::Code::not_found, "no such integration");
  }
  std::optional<std::string> owner;
  auto outcome = co_await services.disconnect.run(call.caller, id, owner);
  call.audit.user_id = owner;
  if (!outcome) co_return outcome.error();
  call.audit.details = outcome->dump();
  co_return http::no_content();
}

}  // namespace

void add_session_routes(http::Router& router, GuardServices& guard, SessionServices services) {
  auto& sessions = services.sessions;
  router.add("POST", "/v1/connect-sessions",
             protect(guard, {Permission::integrations_write, "connect_session.create"},
                     [&sessions](Call& call) { return create_session(sessions, call); }));
  router.add("DELETE", "/v1/connect-sessions/{id}",
             protect(guard, {Permission::integrations_write, "connect_session.revoke"},
                     [&sessions](Call& call) { return revoke_session(sessions, call); }));

  const auto page = session_callers(sessions);
  router.add(
      "GET", "/v1/connect/session",
      protect_with(guard, page, {Permission::integrations_read, "connect_session.read"},
                   [services](Call& call) mutable { return describe_session(services, call); }));
  router.add(
      "POST", "/v1/connect/session/authorize",
      protect_with(guard, page, {Permission::integrations_write, "integration.authorize"},
                   [services](Call& call) mutable { return start_from_page(services, call); }));
  router.add("DELETE", "/v1/connect/session/integrations/{id}",
             protect_with(
                 guard, page, {Permission::integrations_write, "integration.revoked"},
                 [services](Call& call) mutable { return disconnect_from_page(services, call); }));
}

}  // namespace oauth_manager::api
