#include "api/token_routes.hpp"

#include <fmt/format.h>

#include "api/request_parsing.hpp"
#include "api/views.hpp"
#include "core/json_text.hpp"

namespace oauth_manager::api {
namespace {

using core::Permission;
using Reply = boost::asio::awaitable<core::Result<http::Response>>;

core::Error invalid(std::string message) {
  return core::make_error(core::Code::invalid_request, std::move(message));
}

core::Result<std::optional<std::string>> text_field(const nlohmann::json& body, const char* name) {
  const auto found = body.find(name);
  if (found == body.end() || found->is_null()) return std::optional<std::string>{};
  if (!found->is_string() || found->get<std::string>().empty() ||
      found->get<std::string>().size() > 512) {
    return invalid(fmt::format("\"{}\" must be a non-empty string", name));
  }
  return std::optional<std::string>{found->get<std::string>()};
}

core::Result<manager::TokenQuery> token_query(const nlohmann::json& body) {
  manager::TokenQuery query;
  for (const auto& [name, target] :
       {std::pair{"integration_id", &query.integration_id}, std::pair{"user_id", &query.user_id},
        std::pair{"provider", &query.provider}}) {
    auto value = text_field(body, name);
    if (!value) return value.error();
    *target = std::move(*value);
  }
  if (query.integration_id && (query.user_id || query.provider)) {
    return invalid("give integration_id, or user_id and provider, not both");
  }
  if (!query.integration_id && !query.provider) {
    return invalid("name the integration: {\"integration_id\"} or {\"user_id\", \"provider\"}");
  }
  if (const auto scopes = body.find("scopes"); scopes != body.end()) {
    if (!scopes->is_array()) return invalid("\"scopes\" must be an array of strings");
    for (const auto& scope : *scopes) {
      if (!scope.is_string()) return invalid("\"scopes\" must be an array of strings");
      query.scopes.push_back(scope.get<std::string>());
    }
  }
  if (const auto ttl = body.find("min_ttl_seconds"); ttl != body.end()) {
    if (!ttl->is_number_integer() || ttl->get<std::int64_t>() < 0 ||
        ttl->get<std::int64_t>() > 86400) {
      return invalid("\"min_ttl_seconds\" must be an integer from 0 to 86400");
    }
    query.min_ttl = std::chrono::seconds(ttl->get<std::int64_t>());
  }
  return query;
}

// The hand-out's answer, written out field by field: the service's hottest answer, and building
// it as a JSON tree first cost two dozen allocations, a tenth of the request. Keys in the order
// nlohmann's object writes them (sorted), as every other answer here.
std::string issued_token_json(const manager::IssuedToken& issued) {
  std::string body;
  body.reserve(issued.access_token.size() + 160);
  body += R"({"access_token":)";
  // A token that is not valid UTF-8 fails the request (500) rather than leave altered.
  core::append_json_string(body, issued.access_token, core::InvalidUtf8::reject);
  body += R"(,"expires_at":)";
  if (issued.expires_at) {
    core::append_json_string(body, core::to_rfc3339(*issued.expires_at));
  } else {
    body += "null";
  }
  body += R"(,"integration_id":)";
  core::append_json_string(body, issued.integration_id);
  body += R"(,"scopes":[)";
  for (std::size_t i = 0; i < issued.scopes.size(); ++i) {
    if (i > 0) body += ',';
    core::append_json_string(body, issued.scopes[i]);
  }
  body += R"(],"token_type":)";
  core::append_json_string(body, issued.token_type);
  body += '}';
  return body;
}

Reply issue_token(manager::TokenService& tokens, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  auto body = parse_json_object(
      call.request, {"integration_id", "user_id", "provider", "scopes", "min_ttl_seconds"});
  if (!body) co_return body.error();
  auto query = token_query(*body);
  if (!query) co_return query.error();
  call.audit.user_id = query->user_id.value_or(call.caller.subject);
  std::optional<std::string> target;
  auto issued = co_await tokens.issue(call.caller, *query, target);
  call.audit.integration_id = target;
  if (!issued) co_return issued.error();
  call.audit.user_id = issued->user_id;
  co_return http::json_response(200, issued_token_json(*issued));
}

Reply force_refresh(manager::TokenService& tokens, manager::RecordQueries& records, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  if (auto body = parse_json_object(call.request, {}); !body) co_return body.error();
  const auto& id = call.request.path_params.at("id");
  call.audit.integration_id = id;
  auto refreshed = co_await tokens.refresh_now(call.caller, id);
  if (!refreshed) co_return refreshed.error();
  call.audit.user_id = refreshed->user_id;
  auto view = co_await records.integration(call.caller, id);
  if (!view) co_return view.error();
  co_return http::json_response(200, integration_json(*view).dump());
}

Reply disconnect(manager::Disconnect& disconnect_integration, Call& call) {
  if (auto params = parse_query(call.request.query, {}); !params) co_return params.error();
  const auto& id = call.request.path_params.at("id");
  call.audit.integration_id = id;
  std::optional<std::string> owner;
  auto outcome = co_await disconnect_integration.run(call.caller, id, owner);
  call.audit.user_id = owner;
  if (!outcome) co_return outcome.error();
  call.audit.details = outcome->dump();
  co_return http::no_content();
}

}  // namespace

void add_token_routes(http::Router& router, GuardServices& guard, manager::TokenService& tokens,
                      manager::Disconnect& disconnect_integration,
                      manager::RecordQueries& records) {
  router.add("POST", "/v1/tokens",
             protect(guard, {Permission::tokens_read, "token.read"},
                     [&tokens](Call& call) { return issue_token(tokens, call); }));
  router.add("DELETE", "/v1/integrations/{id}",
             protect(guard, {Permission::integrations_write, "integration.revoked"},
                     [&disconnect_integration](Call& call) {
                       return disconnect(disconnect_integration, call);
                     }));
  router.add(
      "POST", "/v1/integrations/{id}/refresh",
      protect(guard, {Permission::integrations_write, "integration.refresh"},
              [&tokens, &records](Call& call) { return force_refresh(tokens, records, call); }));
}

}  // namespace oauth_manager::api
