#include "api/connect_routes.hpp"

#include <fmt/format.h>

#include "api/browser_answers.hpp"
#include "api/problem.hpp"
#include "api/request_parsing.hpp"
#include "api/views.hpp"
#include "crypto/hash.hpp"
#include "manager/acting_user.hpp"
#include "net/url.hpp"

namespace oauth_manager::api {
namespace {

using core::Permission;
using Reply = boost::asio::awaitable<core::Result<http::Response>>;

// The callback's query is written by the provider (Google adds authuser, hd, prompt, scope...):
// unknown parameters are ignored there, but the size is bounded and every value must decode.
constexpr std::size_t kMaxCallbackQueryBytes = 8192;

core::Error invalid(std::string message) {
  return core::make_error(core::Code::invalid_request, std::move(message));
}

Reply list_providers(providers::ProviderRegistry& registry, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  auto items = nlohmann::json::array();
  for (const auto& provider : registry.list()) items.push_back(provider_json(*provider));
  co_return json_answer(200, {{"providers", items}});
}

Reply authorize(manager::ConnectFlow& flow, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  auto body = parse_json_object(call.request, {"scopes", "return_to", "user_id", "integration_id"});
  if (!body) co_return body.error();
  manager::ConnectRequest request;
  request.provider = call.request.path_params.at("provider");
  auto scopes = string_list_member(*body, "scopes", 100);
  if (!scopes) co_return scopes.error();
  request.scopes = std::move(*scopes);
  auto return_to = string_member(*body, "return_to");
  if (!return_to) co_return return_to.error();
  request.return_to = std::move(*return_to);
  auto user_id = string_member(*body, "user_id");
  if (!user_id) co_return user_id.error();
  request.user_id = std::move(*user_id);
  auto integration_id = string_member(*body, "integration_id");
  if (!integration_id) co_return integration_id.error();
  request.integration_id = std::move(*integration_id);
  call.audit.user_id = request.user_id.value_or(call.caller.subject);
  call.audit.details = nlohmann::json{{"provider", request.provider}}.dump();
  call.audit.integration_id = request.integration_id;  // a reconnect says which

  auto started = co_await flow.start(call.caller, request);
  if (!started) co_return started.error();
  co_return json_answer(201, {{"authorization_url", started->authorization_url},
                              {"state_expires_at", core::to_rfc3339(started->state_expires_at)}});
}

http::Response callback_response(const manager::CallbackOutcome& outcome,
                                 const http::Request& request) {
  if (outcome.confirm_url) return http::see_other(*outcome.confirm_url);
  if (outcome.return_to) {
    std::vector<std::pair<std::string, std::string>> query;
    if (outcome.integration) {
      query = {{"status", "connected"}, {"integration_id", outcome.integration->id}};
    } else {
      query = {{"status", "error"}, {"error", outcome.error.value_or("provider_error")}};
    }
    return http::see_other(net::with_query(*outcome.return_to, query));
  }
  if (outcome.integration) {
    return json_answer(200,
                       {{"status", "connected"},
                        {"integration", integration_json({*outcome.integration, std::nullopt})}});
  }
  return browser_problem(outcome.failure.value_or(
                             core::make_error(core::Code::provider_error, "the connection failed")),
                         request);
}

// The flow's binding cookie has done its job once the callback came, whatever the outcome.
void expire_binding_cookies(http::Response& response, const http::Request& request,
                            const std::map<std::string, std::string>& cookies,
                            const std::optional<std::string>& state) {
  if (!state) return;
  const auto hash = crypto::sha256_hex(*state);
  for (const bool secure : {true, false}) {
    const auto name = manager::binding_cookie_name(hash, secure);
    if (cookies.count(name) != 0) {
      response.headers.emplace_back(
          "Set-Cookie",
          expired_cookie_value(name, manager::binding_cookie_path(secure, request.path), secure));
    }
  }
}

boost::asio::awaitable<http::Response> callback(manager::ConnectFlow& flow,
                                                http::Request& request) {
  http::Response response;
  auto params = request.query.size() > kMaxCallbackQueryBytes
                    ? core::Result<QueryParams>(invalid("the callback's query string is too long"))
                    : parse_query_any(request.query);
  if (!params) {
    response = problem_response(params.error(), request);
  } else {
    manager::CallbackRequest callback_request;
    callback_request.provider = request.path_params.at("provider");
    callback_request.code = optional_param(*params, "code");
    callback_request.state = optional_param(*params, "state");
    callback_request.iss = optional_param(*params, "iss");
    callback_request.error = optional_param(*params, "error");
    if (!request.remote_ip.empty()) callback_request.ip = request.remote_ip;
    if (auto agent = request.header("user-agent"))
      callback_request.user_agent = std::string(agent->substr(0, 512));
    callback_request.request_id = request.request_id;
    callback_request.cookies = request_cookies(request);
    auto outcome = co_await flow.finish(callback_request);
    response =
        outcome ? callback_response(*outcome, request) : browser_problem(outcome.error(), request);
    expire_binding_cookies(response, request, callback_request.cookies, callback_request.state);
  }
  add_no_leak_headers(response);
  co_return response;
}

// GET /v1/oauth/start/{flow}: the first visit binds the flow to this browser (a cookie) and
// sends it on to the provider; any later visit is refused.
boost::asio::awaitable<http::Response> start_in_browser(manager::ConnectFlow& flow,
                                                        http::Request& request) {
  const auto& flow_id = request.path_params.at("flow");
  auto started = co_await flow.open_start_link(flow_id);
  auto response =
      started ? http::see_other(started->provider_url) : browser_problem(started.error(), request);
  if (started) response.headers.emplace_back("Set-Cookie", set_cookie_value(started->cookie));
  add_no_leak_headers(response);
  co_return response;
}

// POST /v1/connect/flows/{flow}/confirm: the application says which of its users reached
// confirm_url with this flow (the caller, or `user_id` with users:any).
Reply confirm(manager::ConnectConfirmation& confirmation, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  auto body = parse_json_object(call.request, {"user_id"});
  if (!body) co_return body.error();
  auto user_id = string_member(*body, "user_id");
  if (!user_id) co_return user_id.error();
  auto user = manager::resolve_user(call.caller, *user_id);
  if (!user) co_return user.error();
  call.audit.user_id = *user;
  const auto& flow_id = call.request.path_params.at("flow");
  const auto actor = call.caller.actor();
  auto confirmed = co_await confirmation.confirm(flow_id, *user, actor);
  if (!confirmed) co_return confirmed.error();
  call.audit.integration_id = confirmed->integration.id;
  nlohmann::json answer = {
      {"status", "connected"},
      {"integration", integration_json({confirmed->integration, std::nullopt})}};
  if (confirmed->return_to) answer["return_to"] = *confirmed->return_to;
  co_return json_answer(200, answer);
}

}  // namespace

void add_connect_routes(http::Router& router, GuardServices& guard,
                        providers::ProviderRegistry& registry, manager::ConnectFlow& flow,
                        manager::ConnectConfirmation& confirmation) {
  router.add("GET", "/v1/providers",
             protect(guard, {Permission::integrations_read, "providers.list"},
                     [&registry](Call& call) { return list_providers(registry, call); }));
  router.add("POST", "/v1/integrations/{provider}/authorize",
             protect(guard, {Permission::integrations_write, "integration.authorize"},
                     [&flow](Call& call) { return authorize(flow, call); }));
  // The start link is a capability until its first visit: it never reaches the log.
  auto start = limit_by_ip(guard, "callback", [&flow](http::Request& request) {
    return start_in_browser(flow, request);
  });
  router.add("GET", "/v1/oauth/start/{flow}", [start = std::move(start)](http::Request& request) {
    request.logged_path = "/v1/oauth/start/{flow}";
    return start(request);
  });
  // The flow id is a one-time capability as well: kept out of the log.
  auto confirm_handler =
      protect(guard, {Permission::integrations_write, "integration.confirm"},
              [&confirmation](Call& call) { return confirm(confirmation, call); });
  router.add("POST", "/v1/connect/flows/{flow}/confirm",
             [confirm_handler = std::move(confirm_handler)](http::Request& request) {
               request.logged_path = "/v1/connect/flows/{flow}/confirm";
               return confirm_handler(request);
             });
  router.add("GET", "/v1/oauth/callback/{provider}",
             limit_by_ip(guard, "callback",
                         [&flow](http::Request& request) { return callback(flow, request); }));
}

}  // namespace oauth_manager::api
