#include "manager/refresh_engine.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/ids.hpp"
#include "crypto/pkce.hpp"
#include "log/logger.hpp"
#include "manager/integration_lookup.hpp"
#include "manager/token_revoker.hpp"
#include "providers/callback_rules.hpp"

namespace oauth_manager::manager {
namespace {

// How often a process that found another replica's live lease looks again. The lease holder is
// in another process, so there is nothing here to wake us: this one wait stays a poll, bounded by
// twice the lease duration.
constexpr std::chrono::milliseconds kLeasePoll{50};

const std::string kRefreshFailedEvent = "integration.refresh_failed";
const std::string kNeedsReauthEvent = "integration.needs_reauth";
const std::string kNeedsReauthOutcome = "needs_reauth";

// Whether the stored token set is still the one this refresh started from, merely re-written
// (re-encrypted by rotate-keys): same tokens, newer version.
bool same_grant(const TokenSet& stored, const TokenSet& used) {
  return stored.refresh_token == used.refresh_token && stored.access_token == used.access_token;
}

}  // namespace

core::Error needs_reauth(const std::string& why) {
  return core::make_error(core::Code::needs_reauth,
                          fmt::format("the integration must be connected again: {}", why));
}

RefreshEngine::RefreshEngine(store::Store& store, core::BlockingPool& blocking,
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

boost::asio::awaitable<core::Result<StoredTokens>> RefreshEngine::read_tokens(
    const std::string& integration_id) {
  auto record =
      co_await blocking_.run([this, &integration_id] { return store_.get_tokens(integration_id); });
  co_return opened(record);
}

core::Result<StoredTokens> RefreshEngine::opened(
    const core::Result<core::TokenRecord>& record) const {
  if (!record && record.error().code == core::Code::not_found) {
    return needs_reauth("no tokens are stored for it");
  }
  if (!record) return record.error();
  auto tokens = vault_.open(*record);
  if (!tokens) return tokens.error();
  return StoredTokens{*record, std::move(*tokens)};
}

core::Timestamp RefreshEngine::effective_expiry(const core::TokenRecord& record) const {
  return record.expires_at.value_or(record.updated_at + settings_.assumed_lifetime);
}

bool RefreshEngine::fresh_enough(const StoredTokens& stored, std::chrono::seconds min_ttl) const {
  return fresh_enough(stored.record, min_ttl);
}

bool RefreshEngine::fresh_enough(const core::TokenRecord& record,
                                 std::chrono::seconds min_ttl) const {
  // Without a refresh token there is nothing to refresh with: the token is what it is.
  if (!record.refresh_token_ciphertext && !record.expires_at) return true;
  return effective_expiry(record) - clock_.now() >= min_ttl;
}

boost::asio::awaitable<core::Result<TokenSet>> RefreshEngine::valid_tokens(
    const core::Integration& integration, std::chrono::seconds min_ttl, bool force) {
  auto current = co_await read_tokens(integration.id);
  co_return co_await keep_valid(integration, std::move(current), min_ttl, force);
}

boost::asio::awaitable<core::Result<TokenSet>> RefreshEngine::valid_tokens_from(
    const core::Integration& integration, const std::optional<core::TokenRecord>& record,
    std::chrono::seconds min_ttl) {
  // The common case: fresh enough, so only the access token is decrypted.
  if (record && fresh_enough(*record, min_ttl)) co_return vault_.open_access(*record);
  core::Result<core::TokenRecord> known =
      record ? core::Result<core::TokenRecord>(*record)
             : core::make_error(core::Code::not_found, "no token set");
  // Named, not a temporary inside the co_await (g++ 12 destroys those twice: GCC 99576).
  auto current = opened(known);
  co_return co_await keep_valid(integration, std::move(current), min_ttl, false);
}

boost::asio::awaitable<core::Result<TokenSet>> RefreshEngine::keep_valid(
    const core::Integration& integration, core::Result<StoredTokens> current,
    std::chrono::seconds min_ttl, bool force) {
  if (!current) co_return current.error();
  if (!force && fresh_enough(*current, min_ttl)) co_return std::move(current->tokens);
  // Nothing to refresh with: a token still valid, however briefly, is handed out with its real
  // expires_at (the caller decides whether that is long enough); an expired one needs a reconnect.
  if (!force && !current->tokens.refresh_token) {
    if (effective_expiry(current->record) > clock_.now()) co_return std::move(current->tokens);
    co_return needs_reauth("it has no refresh token and has expired");
  }
  SingleFlight<core::Result<TokenSet>>::Work work = [this, &integration, min_ttl, force,
                                                     seen = std::move(*current)]() {
    return refresh(integration, min_ttl, force, seen);
  };
  co_return co_await flights_.run(integration.id, std::move(work));
}

boost::asio::awaitable<std::optional<core::Error>> RefreshEngine::backing_off(
    const std::string& integration_id) {
  auto look = co_await look_at_backoff(integration_id);
  co_return std::move(look.waiting);
}

boost::asio::awaitable<RefreshEngine::BackoffLook> RefreshEngine::look_at_backoff(
    const std::string& integration_id) {
  auto backoff = co_await blocking_.run(
      [this, &integration_id] { return store_.get_refresh_backoff(integration_id); });
  if (!backoff) {
    // Unknown: go on. If the database is really down, the lease or the commit fails next.
    log::warn("token.backoff_read_failed",
              {{"integration_id", integration_id}, {"error", backoff.error().message}});
    co_return BackoffLook{};
  }
  const auto now = clock_.now();
  if (!*backoff) co_return BackoffLook{std::nullopt, false};
  if (now >= (*backoff)->retry_at) co_return BackoffLook{};
  auto error = core::make_error(core::Code::provider_error,
                                "the provider failed recently; retrying after a pause");
  error.retry_after = std::chrono::ceil<std::chrono::seconds>((*backoff)->retry_at - now);
  co_return BackoffLook{std::move(error), true};
}

// Kept in the database so every replica waits it out. Called holding the refresh lease: the only
// writer.
// The backoff and the event announcing the failure are written together.
boost::asio::awaitable<std::chrono::milliseconds> RefreshEngine::note_failure(
    const core::Integration& integration, std::optional<std::chrono::seconds> provider_asked,
    const std::string& event_type) {
  const auto& id = integration.id;
  auto previous = co_await blocking_.run([this, &id] { return store_.get_refresh_backoff(id); });
  const int failures = previous && *previous ? (*previous)->failures : 0;
  const auto delay = core::backoff_delay(settings_.backoff, failures, provider_asked, random_);
  const core::RefreshBackoff next{failures + 1, clock_.now() + delay};
  auto stored = co_await blocking_.run([this, &id, &next, &integration, &event_type] {
    return store_.transact([&](store::Store& tx) -> core::Status {
      if (auto put = tx.put_refresh_backoff(id, next); !put) return put;
      return announce(publisher_, tx, event_type, integration);
    });
  });
  if (!stored) {
    log::error("token.backoff_write_failed",
               {{"integration_id", id}, {"error", stored.error().message}});
  } else if (publisher_ != nullptr) {
    publisher_->committed();
  }
  co_return delay;
}

// While the provider is backed off, a token that has not expired yet beats an error; a forced
// refresh gets the error.
core::Result<TokenSet> RefreshEngine::instead_of_refresh(StoredTokens current, core::Error error,
                                                         bool force) const {
  if (!force && effective_expiry(current.record) > clock_.now()) return std::move(current.tokens);
  return error;
}

boost::asio::awaitable<void> RefreshEngine::release_lease(const std::string& id,
                                                          const std::string& owner) {
  auto released = co_await blocking_.run(
      [this, &id, &owner] { return store_.release_refresh_lease(id, owner); });
  // Not fatal: the lease lapses by itself after lease_duration.
  if (!released) log::warn("token.lease_release_failed", {{"integration_id", id}});
}

boost::asio::awaitable<core::Result<TokenSet>> RefreshEngine::refresh(
    const core::Integration& integration, std::chrono::seconds min_ttl, bool force,
    StoredTokens seen) {
  const auto& id = integration.id;
  const auto seen_version = seen.record.version;
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
      if (*taken) co_await release_lease(id, owner);
      co_return current.error();
    }
    const bool done_elsewhere =
        force ? current->record.version != seen_version : fresh_enough(*current, min_ttl);
    if (done_elsewhere) {
      if (*taken) co_await release_lease(id, owner);
      co_return std::move(current->tokens);
    }
    if (*taken) {
      // Inside a backoff (this replica's or another's) nobody calls the provider: one look,
      // under the lease, shared by every caller of the flight.
      auto backoff = co_await look_at_backoff(id);
      if (backoff.waiting) {
        co_await release_lease(id, owner);
        co_return instead_of_refresh(std::move(*current), *backoff.waiting, force);
      }
      auto refreshed = co_await refresh_holding_lease(
          integration, current->record, std::move(current->tokens), backoff.on_record);
      co_await release_lease(id, owner);
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

boost::asio::awaitable<core::Result<TokenSet>> RefreshEngine::refresh_holding_lease(
    const core::Integration& integration, const core::TokenRecord& record, TokenSet current,
    bool clear_backoff) {
  if (!current.refresh_token) co_return needs_reauth("it has no refresh token and has expired");
  auto handle = co_await registry_.get(integration.provider);
  if (!handle) co_return handle.error();
  auto attempt = co_await handle->oauth->refresh(*handle->provider, *current.refresh_token);
  const auto now = clock_.now();
  if (!attempt.response && attempt.failure == providers::RefreshFailure::grant_refused) {
    co_await mark_needs_reauth(integration, attempt.response.error().message);
    co_return needs_reauth(attempt.response.error().message);
  }
  if (!attempt.response) {
    auto error = co_await note_refresh_failure(integration, attempt);
    if (effective_expiry(record) > now) co_return current;  // still valid: better than nothing
    co_return error;
  }
  const auto& succeeded = integration.id;
  if (clear_backoff) {  // a round trip saved on every refresh that follows no failure
    if (auto cleared = co_await blocking_.run(
            [this, &succeeded] { return store_.clear_refresh_backoff(succeeded); });
        !cleared) {
      log::warn("token.backoff_clear_failed", {{"integration_id", succeeded}});
    }
  }
  const auto& response = *attempt.response;
  TokenSet next;
  next.access_token = response.access_token;
  // A provider that does not rotate sends no refresh token: the one we hold stays valid.
  next.refresh_token = response.refresh_token ? response.refresh_token : current.refresh_token;
  next.token_type = response.token_type;
  next.expires_at = now + (response.expires_in ? std::chrono::seconds(*response.expires_in)
                                               : settings_.assumed_lifetime);
  auto committed = co_await commit(integration, record, current, std::move(next), now);
  if (committed && response.scope) {
    // Named, not a temporary inside the co_await (g++ 12 destroys those twice: GCC 99576).
    auto granted = providers::granted_scopes(response, integration.granted_scopes);
    co_await note_granted_scopes(integration, std::move(granted), now);
  }
  co_return committed;
}

// An event the refresh engine causes on its own (actor "system"). A failed audit write is logged:
// the refresh outcome it records has already happened.
boost::asio::awaitable<void> RefreshEngine::audit_system_event(const core::Integration& integration,
                                                               const std::string& event_name,
                                                               const std::string& outcome,
                                                               const nlohmann::json& details) {
  core::AuditEvent event;
  event.actor = "system";
  event.event = event_name;
  event.user_id = integration.user_id;
  event.integration_id = integration.id;
  event.outcome = outcome;
  event.details = details.dump();
  if (auto written = co_await audit_.record(std::move(event)); !written) {
    log::error("audit.write_failed", {{"event", event_name}});
  }
}

// A refresh that failed for now (transient) or because the provider refuses our client
// (invalid_client, unauthorized_client: a rotated or wrong secret). Neither is the user's doing,
// so the integration stays connected: the failure backs off in the database, is audited,
// announced and logged, and the next attempt after the backoff succeeds once the cause is gone.
// Returns the error to answer when no still-valid token can be served instead.
boost::asio::awaitable<core::Error> RefreshEngine::note_refresh_failure(
    const core::Integration& integration, const providers::RefreshResult& attempt) {
  const auto& failed = attempt.response.error();
  const bool misconfigured = attempt.failure == providers::RefreshFailure::client_refused;
  const std::string event_type =
      misconfigured ? "provider.misconfigured" : "integration.refresh_failed";
  const auto delay = co_await note_failure(integration, failed.retry_after, event_type);
  // Named arguments, not temporaries inside the co_await (g++ 12 destroys those twice: GCC 99576).
  const std::string outcome = misconfigured ? "provider_misconfigured" : "provider_error";
  const nlohmann::json details = {{"provider", integration.provider},
                                  {"reason", failed.message},
                                  {"retry_in_ms", delay.count()}};
  co_await audit_system_event(integration, kRefreshFailedEvent, outcome, details);
  if (misconfigured) {
    // Loud: every integration of this provider fails the same way until an operator acts.
    log::error("provider.client_refused", {{"provider", integration.provider},
                                           {"integration_id", integration.id},
                                           {"error", failed.message},
                                           {"fix", "check providers." + integration.provider +
                                                       ".client_id and client_secret"}});
  } else {
    log::warn("token.refresh_failed", {{"integration_id", integration.id},
                                       {"error", failed.message},
                                       {"retry_in_ms", delay.count()}});
  }
  auto error = misconfigured
                   ? core::make_error(core::Code::provider_misconfigured,
                                      fmt::format("{} refuses this service's client credentials "
                                                  "({}); an operator must fix them",
                                                  integration.provider, failed.message))
                   : failed;
  error.retry_after = std::chrono::ceil<std::chrono::seconds>(delay);
  co_return error;
}

boost::asio::awaitable<core::Result<TokenSet>> RefreshEngine::commit(
    const core::Integration& integration, const core::TokenRecord& record, const TokenSet& used,
    TokenSet next, core::Timestamp now) {
  const auto sealed = vault_.seal(integration.id, next, now);
  auto expected = record.version;
  const auto& id = integration.id;
  core::Status committed;
  // A provider that rotates refresh tokens has already invalidated the one we used: losing `next`
  // would kill the integration. So a conflict caused by a mere re-encryption of the same tokens
  // is committed again over the new version; a conflict with other tokens (another writer
  // refreshed: our lease lapsed) leaves theirs standing.
  for (int attempt = 0; attempt < 3; ++attempt) {
    committed = co_await blocking_.run([this, &sealed, expected, &id, now]() -> core::Status {
      auto updated = store_.update_tokens(sealed, expected);
      if (!updated) return updated.error();
      return store_.mark_refreshed(id, now);
    });
    if (committed || committed.error().code != core::Code::conflict) break;
    auto stored = co_await read_tokens(id);
    if (!stored || !same_grant(stored->tokens, used)) break;
    log::info("token.refresh_commit_retried", {{"integration_id", id}});
    expected = stored->record.version;
  }
  if (!committed && committed.error().code == core::Code::not_found) {
    co_await revoke_orphaned(integration, sealed);
    co_return committed.error();
  }
  if (!committed) {
    // A conflict means another writer got there first (our lease lapsed): theirs stands.
    log::error("token.refresh_commit_failed",
               {{"integration_id", integration.id}, {"error", committed.error().message}});
    co_return committed.error();
  }
  co_return next;
}

// RFC 6749 §6: a refresh answer may carry the scopes now granted, narrower than before (the
// user removed one at the provider). The integration then says what is really granted, and a
// narrowing is recorded in the consent ledger: the open entry is closed and a new one opened.
boost::asio::awaitable<void> RefreshEngine::note_granted_scopes(
    const core::Integration& integration, std::vector<std::string> granted, core::Timestamp now) {
  auto before = integration.granted_scopes;
  std::sort(before.begin(), before.end());
  auto after = granted;
  std::sort(after.begin(), after.end());
  if (before == after) co_return;
  const bool narrowed = !std::includes(after.begin(), after.end(), before.begin(), before.end());
  core::Consent consent;
  consent.id = core::new_id(random_);
  consent.user_id = integration.user_id;
  consent.integration_id = integration.id;
  consent.requested_scopes = integration.granted_scopes;
  consent.granted_scopes = granted;
  consent.created_at = now;
  const auto& id = integration.id;
  auto noted =
      co_await blocking_.run([this, &id, &granted, &consent, narrowed, now]() -> core::Status {
        return store_.transact([&](store::Store& tx) -> core::Status {
          if (auto set = tx.set_granted_scopes(id, granted, now); !set) return set;
          if (!narrowed) return core::Status{};
          if (auto closed = tx.close_consents(id, now); !closed) return closed.error();
          return tx.append_consent(consent);
        });
      });
  if (!noted) {
    log::error("token.scopes_update_failed",
               {{"integration_id", id}, {"error", noted.error().message}});
  }
}

// The integration was disconnected while its refresh was at the provider: the tokens just issued
// are stored nowhere, and only a revocation ends them.
boost::asio::awaitable<void> RefreshEngine::revoke_orphaned(const core::Integration& integration,
                                                            const core::TokenRecord& sealed) {
  log::warn("token.refreshed_after_disconnect", {{"integration_id", integration.id}});
  if (outbox_ == nullptr) co_return;
  const auto jobs = TokenRevoker::jobs_for(integration, sealed, *outbox_, /*leased=*/false);
  if (auto queued = co_await outbox_->enqueue_now(jobs); !queued) {
    log::error("token.orphan_revocation_failed",
               {{"integration_id", integration.id}, {"error", queued.error().message}});
  }
}

boost::asio::awaitable<void> RefreshEngine::mark_needs_reauth(const core::Integration& integration,
                                                              const std::string& reason) {
  const auto now = clock_.now();
  const auto& id = integration.id;
  // The status and the event announcing it commit together.
  auto marked = co_await blocking_.run([this, &id, now, &integration] {
    return store_.transact([&](store::Store& tx) -> core::Status {
      if (auto set = tx.set_integration_status(id, core::IntegrationStatus::needs_reauth, now);
          !set) {
        return set;
      }
      return announce(publisher_, tx, "integration.needs_reauth", integration);
    });
  });
  if (!marked) {
    log::error("token.mark_needs_reauth_failed", {{"error", marked.error().message}});
  } else if (publisher_ != nullptr) {
    publisher_->committed();
  }
  const nlohmann::json details = {{"provider", integration.provider}, {"reason", reason}};
  co_await audit_system_event(integration, kNeedsReauthEvent, kNeedsReauthOutcome, details);
  log::warn("integration.needs_reauth",
            {{"integration_id", integration.id}, {"provider", integration.provider}});
}

}  // namespace oauth_manager::manager
