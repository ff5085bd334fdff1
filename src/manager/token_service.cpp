#include "manager/token_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <random>

#include "crypto/pkce.hpp"
#include "log/logger.hpp"
#include "manager/acting_user.hpp"

namespace oauth_manager::manager {
namespace {

constexpr std::chrono::milliseconds kLeasePoll{50};

core::Error needs_reauth(const std::string& why) {
  return core::make_error(core::Code::needs_reauth,
                          fmt::format("the integration must be connected again: {}", why));
}

std::string joined(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, ", "));
}

// Between half and all of `step`. Not a coroutine on purpose: g++ 12 may keep a thread_local's
// address across a co_await and so use another thread's generator after resuming elsewhere.
std::chrono::milliseconds jittered(std::chrono::milliseconds step) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> jitter(step.count() / 2, step.count());
  return std::chrono::milliseconds(jitter(generator));
}

}  // namespace

TokenService::TokenService(store::Store& store, core::BlockingPool& blocking,
                           providers::ProviderRegistry& registry, const crypto::Keyring& keyring,
                           events::AuditWriter& audit, const core::Clock& clock,
                           core::RandomSource& random, TokenSettings settings)
    : store_(store),
      blocking_(blocking),
      registry_(registry),
      vault_(keyring),
      audit_(audit),
      clock_(clock),
      random_(random),
      settings_(settings) {}

boost::asio::awaitable<core::Result<core::Integration>> TokenService::find(
    const core::Caller& caller, const TokenQuery& query) {
  if (query.integration_id) {
    const auto& id = *query.integration_id;
    auto found = co_await blocking_.run([this, &id] { return store_.get_integration(id); });
    if (!found && found.error().code != core::Code::not_found) co_return found.error();
    if (!found || !caller.may_act_for(found->user_id)) {
      co_return core::make_error(core::Code::not_found, "no integration with this id");
    }
    co_return std::move(*found);
  }
  if (!query.provider) {
    co_return core::make_error(core::Code::invalid_request,
                               "name the integration: integration_id, or user_id and provider");
  }
  auto user = resolve_user(caller, query.user_id);
  if (!user) co_return user.error();
  const auto& provider = *query.provider;
  auto listed = co_await blocking_.run(
      [this, &user, &provider] { return store_.list_integrations(*user, provider); });
  if (!listed) co_return listed.error();
  std::vector<core::Integration> live;
  for (auto& integration : *listed) {
    if (integration.status != core::IntegrationStatus::revoked)
      live.push_back(std::move(integration));
  }
  if (live.empty()) {
    co_return core::make_error(core::Code::not_found,
                               fmt::format("{} has no {} integration", *user, provider));
  }
  if (live.size() > 1) {
    std::vector<std::string> ids;
    for (const auto& integration : live) ids.push_back(integration.id);
    co_return core::make_error(
        core::Code::conflict,
        fmt::format("{} has several {} integrations; name one with integration_id: {}", *user,
                    provider, joined(ids)));
  }
  co_return std::move(live.front());
}

boost::asio::awaitable<core::Result<IssuedToken>> TokenService::issue(
    const core::Caller& caller, const TokenQuery& query, std::optional<std::string>& target) {
  auto integration = co_await find(caller, query);
  if (!integration) co_return integration.error();
  target = integration->id;
  if (integration->status == core::IntegrationStatus::revoked) {
    co_return core::make_error(core::Code::not_found, "the integration was disconnected");
  }
  if (integration->status == core::IntegrationStatus::needs_reauth) {
    co_return needs_reauth("the provider no longer accepts its grant");
  }
  std::vector<std::string> missing;
  for (const auto& scope : query.scopes) {
    if (std::find(integration->granted_scopes.begin(), integration->granted_scopes.end(), scope) ==
        integration->granted_scopes.end()) {
      missing.push_back(scope);
    }
  }
  if (!missing.empty()) {
    co_return core::make_error(
        core::Code::insufficient_scope,
        fmt::format("not granted: {}; connect again asking for them", joined(missing)));
  }
  auto tokens = co_await valid_tokens(*integration, query.min_ttl, false);
  if (!tokens) co_return tokens.error();
  co_return IssuedToken{tokens->access_token,        tokens->token_type, tokens->expires_at,
                        integration->granted_scopes, integration->id,    integration->user_id};
}

boost::asio::awaitable<core::Result<core::Integration>> TokenService::refresh_now(
    const core::Caller& caller, const std::string& id) {
  TokenQuery query;
  query.integration_id = id;
  auto integration = co_await find(caller, query);
  if (!integration) co_return integration.error();
  if (integration->status != core::IntegrationStatus::active) {
    co_return needs_reauth("it is not active");
  }
  auto tokens = co_await valid_tokens(*integration, std::chrono::seconds(0), true);
  if (!tokens) co_return tokens.error();
  co_return co_await blocking_.run([this, &id] { return store_.get_integration(id); });
}

void TokenService::announce(const std::string& type, const core::Integration& integration) {
  if (publisher_ == nullptr) return;
  publisher_->publish(type, {{"integration_id", integration.id},
                             {"user_id", integration.user_id},
                             {"provider", integration.provider}});
}

boost::asio::awaitable<core::Status> TokenService::refresh_if_expiring(
    const std::string& id, std::chrono::seconds window) {
  auto integration = co_await blocking_.run([this, &id] { return store_.get_integration(id); });
  if (!integration) co_return integration.error();
  if (integration->status != core::IntegrationStatus::active) co_return core::Status{};
  if (co_await backing_off(id)) co_return core::Status{};  // its backoff says when to try again
  auto tokens = co_await valid_tokens(*integration, window, false);
  if (!tokens) co_return tokens.error();
  co_return core::Status{};
}

boost::asio::awaitable<core::Result<nlohmann::json>> TokenService::disconnect(
    const core::Caller& caller, const std::string& id, std::optional<std::string>& owner) {
  TokenQuery query;
  query.integration_id = id;
  auto integration = co_await find(caller, query);
  if (!integration) co_return integration.error();
  owner = integration->user_id;
  if (integration->status == core::IntegrationStatus::revoked) {
    co_return nlohmann::json{{"provider", integration->provider}, {"already", "revoked"}};
  }
  auto revocation = co_await revoke_at_provider(*integration);
  const auto now = clock_.now();
  auto removed = co_await blocking_.run([this, &id, now]() -> core::Status {
    if (auto deleted = store_.delete_tokens(id); !deleted) return deleted;
    if (auto marked = store_.set_integration_status(id, core::IntegrationStatus::revoked, now);
        !marked) {
      return marked;
    }
    auto closed = store_.close_consents(id, now);
    if (!closed) return closed.error();
    return core::Status{};
  });
  if (!removed) co_return removed.error();
  announce("integration.revoked", *integration);
  co_return revocation;
}

boost::asio::awaitable<nlohmann::json> TokenService::revoke_at_provider(
    const core::Integration& integration) {
  nlohmann::json outcome = {{"provider", integration.provider}};
  auto handle = co_await registry_.get(integration.provider);
  if (!handle || !handle->provider->spec.revocation_endpoint) {
    outcome["revocation"] = handle ? "not offered by the provider" : "provider not enabled";
    co_return outcome;
  }
  auto current = co_await read_tokens(integration.id);
  if (!current) {
    outcome["revocation"] = "no tokens stored";
    co_return outcome;
  }
  const auto& provider = *handle->provider;
  // The refresh token first: revoking it ends the grant, and with it (RFC 7009 §2.1, Google)
  // the access tokens issued from it.
  if (current->second.refresh_token) {
    auto revoked =
        co_await handle->oauth->revoke(provider, *current->second.refresh_token, "refresh_token");
    outcome["refresh_token"] = revoked ? "revoked" : revoked.error().message;
  }
  auto revoked =
      co_await handle->oauth->revoke(provider, current->second.access_token, "access_token");
  outcome["access_token"] = revoked ? "revoked" : revoked.error().message;
  co_return outcome;
}

boost::asio::awaitable<core::Result<std::pair<core::TokenRecord, TokenSet>>>
TokenService::read_tokens(const std::string& integration_id) {
  auto record =
      co_await blocking_.run([this, &integration_id] { return store_.get_tokens(integration_id); });
  if (!record && record.error().code == core::Code::not_found) {
    co_return needs_reauth("no tokens are stored for it");
  }
  if (!record) co_return record.error();
  auto opened = vault_.open(*record);
  if (!opened) co_return opened.error();
  co_return std::make_pair(std::move(*record), std::move(*opened));
}

core::Timestamp TokenService::effective_expiry(const core::TokenRecord& record) const {
  return record.expires_at.value_or(record.updated_at + settings_.assumed_lifetime);
}

bool TokenService::fresh_enough(const core::TokenRecord& record, const TokenSet& tokens,
                                std::chrono::seconds min_ttl) const {
  // Without a refresh token there is nothing to refresh with: the token is what it is.
  if (!tokens.refresh_token && !record.expires_at) return true;
  return effective_expiry(record) - clock_.now() >= min_ttl;
}

boost::asio::awaitable<core::Result<TokenSet>> TokenService::valid_tokens(
    const core::Integration& integration, std::chrono::seconds min_ttl, bool force) {
  auto current = co_await read_tokens(integration.id);
  if (!current) co_return current.error();
  if (!force && fresh_enough(current->first, current->second, min_ttl)) {
    co_return std::move(current->second);
  }
  SingleFlight<core::Result<TokenSet>>::Work work = [this, &integration, min_ttl, force,
                                                     seen = std::move(*current)]() {
    return refresh(integration, min_ttl, force, seen);
  };
  co_return co_await flights_.run(integration.id, std::move(work));
}

boost::asio::awaitable<std::optional<core::Error>> TokenService::backing_off(
    const std::string& integration_id) {
  auto backoff = co_await blocking_.run(
      [this, &integration_id] { return store_.get_refresh_backoff(integration_id); });
  if (!backoff) {
    // Unknown: go on. If the database is really down, the lease or the commit fails next.
    log::warn("token.backoff_read_failed",
              {{"integration_id", integration_id}, {"error", backoff.error().message}});
    co_return std::nullopt;
  }
  const auto now = clock_.now();
  if (!*backoff || now >= (*backoff)->retry_at) co_return std::nullopt;
  auto error = core::make_error(core::Code::provider_error,
                                "the provider failed recently; retrying after a pause");
  error.retry_after = std::chrono::ceil<std::chrono::seconds>((*backoff)->retry_at - now);
  co_return error;
}

// Exponential backoff with jitter between half and all of the step (or longer when the provider
// said Retry-After), kept in the database so every replica waits it out. Called holding the refresh
// lease: the only writer.
boost::asio::awaitable<std::chrono::milliseconds> TokenService::note_failure(
    const std::string& integration_id, std::optional<std::chrono::seconds> provider_asked) {
  auto previous = co_await blocking_.run(
      [this, &integration_id] { return store_.get_refresh_backoff(integration_id); });
  const int failures = previous && *previous ? (*previous)->failures : 0;
  const std::chrono::milliseconds step = std::min<std::chrono::milliseconds>(
      settings_.backoff_max, settings_.backoff_base * (std::int64_t{1} << std::min(failures, 20)));
  // A provider's Retry-After (429, 503) is a floor: we never call again sooner than it asked.
  const auto delay = std::max<std::chrono::milliseconds>(
      jittered(step), provider_asked.value_or(std::chrono::seconds(0)));
  const core::RefreshBackoff next{failures + 1, clock_.now() + delay};
  auto stored = co_await blocking_.run(
      [this, &integration_id, &next] { return store_.put_refresh_backoff(integration_id, next); });
  if (!stored) {
    log::error("token.backoff_write_failed",
               {{"integration_id", integration_id}, {"error", stored.error().message}});
  }
  co_return delay;
}

// While the provider is backed off, a token that has not expired yet beats an error; a forced
// refresh gets the error.
core::Result<TokenSet> TokenService::instead_of_refresh(const core::TokenRecord& record,
                                                        TokenSet current, core::Error error,
                                                        bool force) const {
  if (!force && effective_expiry(record) > clock_.now()) return current;
  return error;
}

boost::asio::awaitable<core::Result<TokenSet>> TokenService::refresh(
    const core::Integration& integration, std::chrono::seconds min_ttl, bool force,
    std::pair<core::TokenRecord, TokenSet> seen) {
  const auto& id = integration.id;
  // Inside a backoff nobody calls the provider: one look, shared by every caller of the flight.
  if (auto waiting = co_await backing_off(id)) {
    co_return instead_of_refresh(seen.first, std::move(seen.second), *waiting, force);
  }
  const auto seen_version = seen.first.version;
  const auto owner = crypto::new_random_token(random_);
  boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
  const auto give_up = clock_.now() + settings_.lease_duration * 2;
  while (true) {
    const auto now = clock_.now();
    const auto until = now + settings_.lease_duration;
    auto taken = co_await blocking_.run([this, &id, &owner, now, until] {
      return store_.acquire_refresh_lease(id, owner, now, until);
    });
    if (!taken) co_return taken.error();
    // Another replica may have refreshed while we waited, or before we took the lease.
    auto current = co_await read_tokens(id);
    if (!current) {
      if (*taken)
        co_await blocking_.run(
            [this, &id, &owner] { return store_.release_refresh_lease(id, owner); });
      co_return current.error();
    }
    const bool done_elsewhere = force ? current->first.version != seen_version
                                      : fresh_enough(current->first, current->second, min_ttl);
    if (done_elsewhere) {
      if (*taken)
        co_await blocking_.run(
            [this, &id, &owner] { return store_.release_refresh_lease(id, owner); });
      co_return std::move(current->second);
    }
    if (*taken) {
      // Another replica may just have failed at the provider: its backoff holds here too.
      if (auto waiting = co_await backing_off(id)) {
        co_await blocking_.run(
            [this, &id, &owner] { return store_.release_refresh_lease(id, owner); });
        co_return instead_of_refresh(current->first, std::move(current->second), *waiting, force);
      }
      auto refreshed =
          co_await refresh_holding_lease(integration, current->first, std::move(current->second));
      co_await blocking_.run(
          [this, &id, &owner] { return store_.release_refresh_lease(id, owner); });
      co_return refreshed;
    }
    if (clock_.now() >= give_up) {
      co_return core::make_error(core::Code::unavailable,
                                 "another replica is refreshing this integration; try again");
    }
    pause.expires_after(kLeasePoll);
    boost::system::error_code ignored;
    co_await pause.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }
}

boost::asio::awaitable<core::Result<TokenSet>> TokenService::refresh_holding_lease(
    const core::Integration& integration, const core::TokenRecord& record, TokenSet current) {
  if (!current.refresh_token) co_return needs_reauth("it has no refresh token and has expired");
  auto handle = co_await registry_.get(integration.provider);
  if (!handle) co_return handle.error();
  bool refused_grant = false;
  auto response =
      co_await handle->oauth->refresh(*handle->provider, *current.refresh_token, &refused_grant);
  const auto now = clock_.now();
  if (!response && refused_grant) {
    co_await mark_needs_reauth(integration, response.error().message);
    co_return needs_reauth(response.error().message);
  }
  if (!response) {
    const auto delay = co_await note_failure(integration.id, response.error().retry_after);
    announce("integration.refresh_failed", integration);
    log::warn("token.refresh_failed", {{"integration_id", integration.id},
                                       {"error", response.error().message},
                                       {"retry_in_ms", delay.count()}});
    if (effective_expiry(record) > now) co_return current;  // still valid: better than nothing
    auto error = response.error();
    error.retry_after = std::chrono::ceil<std::chrono::seconds>(delay);
    co_return error;
  }
  const auto& succeeded = integration.id;
  if (auto cleared = co_await blocking_.run(
          [this, &succeeded] { return store_.clear_refresh_backoff(succeeded); });
      !cleared) {
    log::warn("token.backoff_clear_failed", {{"integration_id", succeeded}});
  }
  TokenSet next;
  next.access_token = response->access_token;
  // A provider that does not rotate sends no refresh token: the one we hold stays valid.
  next.refresh_token = response->refresh_token ? response->refresh_token : current.refresh_token;
  next.token_type = response->token_type;
  next.expires_at = now + (response->expires_in ? std::chrono::seconds(*response->expires_in)
                                                : settings_.assumed_lifetime);
  const auto sealed = vault_.seal(integration.id, next, now);
  const auto expected = record.version;
  const auto& id = integration.id;
  auto committed = co_await blocking_.run([this, &sealed, expected, &id, now]() -> core::Status {
    auto updated = store_.update_tokens(sealed, expected);
    if (!updated) return updated.error();
    return store_.mark_refreshed(id, now);
  });
  if (!committed) {
    // A conflict means another writer got there first (our lease lapsed): theirs stands.
    log::error("token.refresh_commit_failed",
               {{"integration_id", integration.id}, {"error", committed.error().message}});
    co_return committed.error();
  }
  co_return next;
}

boost::asio::awaitable<void> TokenService::mark_needs_reauth(const core::Integration& integration,
                                                             const std::string& reason) {
  const auto now = clock_.now();
  const auto& id = integration.id;
  auto marked = co_await blocking_.run([this, &id, now] {
    return store_.set_integration_status(id, core::IntegrationStatus::needs_reauth, now);
  });
  if (!marked) log::error("token.mark_needs_reauth_failed", {{"error", marked.error().message}});
  core::AuditEvent event;
  event.actor = "system";
  event.event = "integration.needs_reauth";
  event.user_id = integration.user_id;
  event.integration_id = integration.id;
  event.outcome = "needs_reauth";
  nlohmann::json details = {{"provider", integration.provider}, {"reason", reason}};
  event.details = details.dump();
  if (auto written = co_await audit_.record(std::move(event)); !written) {
    log::error("audit.write_failed", {{"event", "integration.needs_reauth"}});
  }
  announce("integration.needs_reauth", integration);
  log::warn("integration.needs_reauth",
            {{"integration_id", integration.id}, {"provider", integration.provider}});
}

}  // namespace oauth_manager::manager
