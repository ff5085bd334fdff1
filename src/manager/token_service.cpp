#include "manager/token_service.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "manager/handout_lookup.hpp"

namespace oauth_manager::manager {
namespace {

std::vector<std::string> missing_scopes(const core::Integration& integration,
                                        const std::vector<std::string>& wanted) {
  std::vector<std::string> missing;
  for (const auto& scope : wanted) {
    const auto& granted = integration.granted_scopes;
    if (std::find(granted.begin(), granted.end(), scope) == granted.end()) {
      missing.push_back(scope);
    }
  }
  return missing;
}

// Why `integration` cannot hand out tokens at all, if it cannot.
std::optional<core::Error> unusable(const core::Integration& integration) {
  if (integration.status == core::IntegrationStatus::revoked) {
    return core::make_error(core::Code::not_found, "the integration was disconnected");
  }
  if (integration.status == core::IntegrationStatus::needs_reauth) {
    return needs_reauth("the provider no longer accepts its grant");
  }
  return std::nullopt;
}

}  // namespace

boost::asio::awaitable<core::Result<IssuedToken>> TokenService::issue(
    const core::Caller& caller, const TokenQuery& query, std::optional<std::string>& target) {
  // A named ref, not a braced temporary: g++ 12 destroys temporaries of a co_await expression
  // twice (GCC bug 99576).
  const IntegrationRef ref{query.integration_id, query.user_id, query.provider};
  auto found = co_await find_for_handout(store_, blocking_, cache_, caller, ref);
  if (!found) co_return found.error();
  const auto& integration = (*found)->integration;
  target = integration.id;
  if (auto refused = unusable(integration)) co_return *refused;
  if (auto missing = missing_scopes(integration, query.scopes); !missing.empty()) {
    co_return core::make_error(
        core::Code::insufficient_scope,
        fmt::format("not granted: {}; connect again asking for them", fmt::join(missing, ", ")));
  }
  auto tokens = co_await refresh_.valid_tokens_from(integration, (*found)->tokens, query.min_ttl);
  if (!tokens) co_return tokens.error();
  co_return IssuedToken{tokens->access_token,       tokens->token_type, tokens->expires_at,
                        integration.granted_scopes, integration.id,     integration.user_id};
}

boost::asio::awaitable<core::Result<core::Integration>> TokenService::refresh_now(
    const core::Caller& caller, const std::string& id) {
  const IntegrationRef ref{id, std::nullopt, std::nullopt};
  auto integration = co_await find_integration(store_, blocking_, caller, ref);
  if (!integration) co_return integration.error();
  if (integration->status != core::IntegrationStatus::active) {
    co_return needs_reauth("it is not active");
  }
  auto tokens = co_await refresh_.valid_tokens(*integration, std::chrono::seconds(0), true);
  if (!tokens) co_return tokens.error();
  co_return co_await blocking_.run([this, &id] { return store_.get_integration(id); });
}

boost::asio::awaitable<core::Status> TokenService::refresh_if_expiring(
    const std::string& id, std::chrono::seconds window) {
  auto integration = co_await blocking_.run([this, &id] { return store_.get_integration(id); });
  if (!integration) co_return integration.error();
  if (integration->status != core::IntegrationStatus::active) co_return core::Status{};
  // Its backoff says when to try again.
  if (co_await refresh_.backing_off(id)) co_return core::Status{};
  auto tokens = co_await refresh_.valid_tokens(*integration, window, false);
  if (!tokens) co_return tokens.error();
  co_return core::Status{};
}

}  // namespace oauth_manager::manager
