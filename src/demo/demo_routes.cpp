#include "demo/demo_routes.hpp"

#include <fmt/format.h>

#include "api/request_parsing.hpp"
#include "api/views.hpp"
#include "auth/jwt_signer.hpp"
#include "demo/demo_pages.hpp"
#include "log/logger.hpp"

namespace oauth_manager::demo {
namespace {

using Handler = boost::asio::awaitable<http::Response>;

constexpr const char* kDemoUser = "demo-user";
constexpr auto kServiceJwtLifetime = std::chrono::hours(1);

http::Response json(int status, const nlohmann::json& body) {
  auto response = api::json_answer(status, body);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

// Its URL holds a code or a session token: never sent on as a Referer.
http::Response redirect(const std::string& location) {
  auto response = http::see_other(location);
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

std::map<std::string, std::string> form_of(const std::string& text) {
  auto parsed = api::parse_query_any(text);
  return parsed ? *parsed : std::map<std::string, std::string>{};
}

std::string value_of(const std::map<std::string, std::string>& form, const char* name) {
  const auto found = form.find(name);
  return found == form.end() ? std::string() : found->second;
}

std::optional<std::string> authorization_of(const http::Request& request) {
  const auto header = request.header("authorization");
  if (!header) return std::nullopt;
  return std::string(*header);
}

Handler authorize(DemoProvider& provider, const http::Request& request) {
  const auto query = form_of(request.query);
  AuthorizationParams params;
  params.response_type = value_of(query, "response_type");
  params.client_id = value_of(query, "client_id");
  params.redirect_uri = value_of(query, "redirect_uri");
  params.scope = value_of(query, "scope");
  params.state = value_of(query, "state");
  params.nonce = value_of(query, "nonce");
  params.code_challenge = value_of(query, "code_challenge");
  params.code_challenge_method = value_of(query, "code_challenge_method");
  auto interaction = provider.begin(params);
  if (!interaction) co_return demo_error_page(400, interaction.error().message);
  co_return login_page(*interaction, "");
}

Handler log_in(DemoProvider& provider, const http::Request& request) {
  const auto form = form_of(request.body);
  const auto id = value_of(form, "interaction");
  const auto name = value_of(form, "name");
  if (auto logged_in = provider.log_in(id, name); !logged_in) {
    if (!provider.interaction(id)) co_return demo_error_page(400, logged_in.error().message);
    co_return login_page(id, logged_in.error().message);
  }
  auto interaction = provider.interaction(id);
  if (!interaction) co_return demo_error_page(400, interaction.error().message);
  co_return consent_page(id, interaction->name, interaction->scopes);
}

Handler consent(DemoProvider& provider, const http::Request& request) {
  const auto form = form_of(request.body);
  auto next = provider.decide(value_of(form, "interaction"), value_of(form, "decision") == "allow");
  if (!next) co_return demo_error_page(400, next.error().message);
  co_return redirect(*next);
}

template <typename T>
http::Response oauth_answer(const OAuthResult<T>& result, const nlohmann::json& body) {
  if (result.value) return json(200, body);
  auto response = json(result.error.status, {{"error", result.error.error},
                                             {"error_description", result.error.description}});
  if (result.error.status == 401) {
    response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"demo\"");
  }
  return response;
}

Handler token(DemoProvider& provider, const http::Request& request) {
  const auto result = provider.token(form_of(request.body), authorization_of(request));
  co_return oauth_answer(result, result.value.value_or(nlohmann::json::object()));
}

Handler revoke(DemoProvider& provider, const http::Request& request) {
  const auto result = provider.revoke(form_of(request.body), authorization_of(request));
  co_return oauth_answer(result, nlohmann::json::object());
}

// GET /demo: a connect session for the demo user, and the connect page with it.
Handler open_demo(manager::ConnectSessions& sessions) {
  core::Caller demo_user;
  demo_user.subject = kDemoUser;
  demo_user.granted = {core::Permission::integrations_read, core::Permission::integrations_write};
  const manager::ConnectSessionRequest request;
  auto made = co_await sessions.create(demo_user, request);
  if (!made) co_return demo_error_page(503, made.error().message);
  co_return redirect(made->connect_url + "&demo=1");
}

// GET /demo/curl: for the demo's connect page, what it takes to fetch a token as a backend
// would. The page's session token proves the caller opened /demo.
Handler curl(manager::ConnectSessions& sessions, const DemoRoutesSettings& settings,
             const http::Request& request) {
  const auto header = request.header("authorization");
  const std::string bearer =
      header && header->rfind("Bearer ", 0) == 0 ? std::string(header->substr(7)) : std::string();
  auto session = co_await sessions.authenticate(bearer);
  if (!session) co_return json(401, {{"error", "the connect page's session is not valid"}});
  if (!settings.hs256_secret) {
    co_return json(404, {{"error",
                          "this service verifies JWTs with a public key: mint one with the "
                          "application's key"}});
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const nlohmann::json claims = {{"sub", "demo-backend"},
                                 {"aud", settings.audience},
                                 {"roles", {"service"}},
                                 {"iat", now},
                                 {"exp", now + std::chrono::seconds(kServiceJwtLifetime).count()}};
  co_return json(200, {{"tokens_url", settings.public_url + "/v1/tokens"},
                       {"service_jwt", auth::sign_hs256_jwt(claims, *settings.hs256_secret)}});
}

}  // namespace

void add_demo_routes(http::Router& router, DemoProvider& provider,
                     manager::ConnectSessions& sessions, DemoRoutesSettings settings) {
  router.add("GET", "/demo", [&sessions](http::Request&) { return open_demo(sessions); });
  router.add("GET", "/demo/.well-known/openid-configuration",
             [&provider](http::Request&) -> Handler { co_return json(200, provider.discovery()); });
  router.add("GET", "/demo/jwks",
             [&provider](http::Request&) -> Handler { co_return json(200, provider.jwks()); });
  router.add("GET", "/demo/authorize",
             [&provider](http::Request& request) { return authorize(provider, request); });
  router.add("POST", "/demo/login",
             [&provider](http::Request& request) { return log_in(provider, request); });
  router.add("POST", "/demo/consent",
             [&provider](http::Request& request) { return consent(provider, request); });
  router.add("POST", "/demo/token",
             [&provider](http::Request& request) { return token(provider, request); });
  router.add("POST", "/demo/revoke",
             [&provider](http::Request& request) { return revoke(provider, request); });
  router.add("GET", "/demo/curl",
             [&sessions, settings = std::move(settings)](http::Request& request) {
               return curl(sessions, settings, request);
             });
}

}  // namespace oauth_manager::demo
