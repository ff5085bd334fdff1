#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/blocking_pool.hpp"
#include "core/caller.hpp"
#include "core/clock.hpp"
#include "core/random_source.hpp"
#include "crypto/keyring.hpp"
#include "events/audit_writer.hpp"
#include "events/webhooks.hpp"
#include "manager/single_flight.hpp"
#include "manager/token_vault.hpp"
#include "providers/registry.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

// Which integration's token a caller wants: by id, or by user and provider.
struct TokenQuery {
  std::optional<std::string> integration_id;
  std::optional<std::string> user_id;
  std::optional<std::string> provider;
  std::vector<std::string> scopes;   // all must have been granted
  std::chrono::seconds min_ttl{60};  // refresh first when it expires sooner
};

struct IssuedToken {
  std::string access_token;
  std::string token_type;
  std::optional<core::Timestamp> expires_at;
  std::vector<std::string> scopes;
  std::string integration_id;
  std::string user_id;
};

struct TokenSettings {
  // A token response without expires_in: assume this lifetime (never "does not expire").
  std::chrono::seconds assumed_lifetime{3600};
  // Longer than the provider timeout (10 s), so a lease never lapses during a refresh.
  std::chrono::seconds lease_duration{30};
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_max{std::chrono::minutes(5)};
};

// Hands out valid access tokens: refreshing first when needed, once per integration at a time
// in this process (SingleFlight) and across processes (a lease row in the database, re-reading
// the tokens after taking it). The new token set is committed before anyone gets the new access
// token, and a conditional update on the token version fences out a writer whose lease lapsed.
class TokenService {
 public:
  TokenService(store::Store& store, core::BlockingPool& blocking,
               providers::ProviderRegistry& registry, const crypto::Keyring& keyring,
               events::AuditWriter& audit, const core::Clock& clock, core::RandomSource& random,
               TokenSettings settings);

  // `target` is filled with the integration concerned as soon as it is known (for the audit).
  boost::asio::awaitable<core::Result<IssuedToken>> issue(const core::Caller& caller,
                                                          const TokenQuery& query,
                                                          std::optional<std::string>& target);
  // Disconnects: revokes at the provider (RFC 7009: the refresh token first, then the access
  // token) where the catalog has an endpoint, deletes the token ciphertexts, marks the
  // integration revoked and closes its consent entries. A provider that fails to revoke does not
  // stop the local delete; what it answered comes back for the audit event (never a token).
  boost::asio::awaitable<core::Result<nlohmann::json>> disconnect(
      const core::Caller& caller, const std::string& id, std::optional<std::string>& owner);
  // For the background refresher: refreshes the integration's tokens if they expire within
  // `window`, under the same single-flight and lease rules as a caller's request.
  boost::asio::awaitable<core::Status> refresh_if_expiring(const std::string& id,
                                                           std::chrono::seconds window);
  // Where integration.needs_reauth, .refresh_failed and .revoked are announced; none by default.
  void set_publisher(events::EventPublisher* publisher) { publisher_ = publisher; }
  // Refreshes now, whatever the expiry. Returns the integration afterwards.
  boost::asio::awaitable<core::Result<core::Integration>> refresh_now(const core::Caller& caller,
                                                                      const std::string& id);

 private:
  boost::asio::awaitable<core::Result<core::Integration>> find(const core::Caller& caller,
                                                               const TokenQuery& query);
  boost::asio::awaitable<core::Result<TokenSet>> valid_tokens(const core::Integration& integration,
                                                              std::chrono::seconds min_ttl,
                                                              bool force);
  // `seen`: the token set the caller found too old (its version tells whether a forced refresh
  // happened elsewhere meanwhile). Taken by value: it lives in the coroutine frame.
  boost::asio::awaitable<core::Result<TokenSet>> refresh(
      const core::Integration& integration, std::chrono::seconds min_ttl, bool force,
      std::pair<core::TokenRecord, TokenSet> seen);
  boost::asio::awaitable<core::Result<TokenSet>> refresh_holding_lease(
      const core::Integration& integration, const core::TokenRecord& record, TokenSet current);
  boost::asio::awaitable<core::Result<std::pair<core::TokenRecord, TokenSet>>> read_tokens(
      const std::string& integration_id);
  boost::asio::awaitable<nlohmann::json> revoke_at_provider(const core::Integration& integration);
  boost::asio::awaitable<void> mark_needs_reauth(const core::Integration& integration,
                                                 const std::string& reason);
  bool fresh_enough(const core::TokenRecord& record, const TokenSet& tokens,
                    std::chrono::seconds min_ttl) const;
  core::Timestamp effective_expiry(const core::TokenRecord& record) const;
  boost::asio::awaitable<std::optional<core::Error>> backing_off(const std::string& integration_id);
  boost::asio::awaitable<std::chrono::milliseconds> note_failure(
      const std::string& integration_id, std::optional<std::chrono::seconds> provider_asked);
  core::Result<TokenSet> instead_of_refresh(const core::TokenRecord& record, TokenSet current,
                                            core::Error error, bool force) const;

  store::Store& store_;
  core::BlockingPool& blocking_;
  providers::ProviderRegistry& registry_;
  TokenVault vault_;
  events::AuditWriter& audit_;
  const core::Clock& clock_;
  core::RandomSource& random_;
  TokenSettings settings_;
  SingleFlight<core::Result<TokenSet>> flights_;
  events::EventPublisher* publisher_ = nullptr;

  void announce(const std::string& type, const core::Integration& integration);
};

}  // namespace oauth_manager::manager
