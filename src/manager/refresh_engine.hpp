#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "core/backoff_policy.hpp"
#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "core/integration.hpp"
#include "core/random_source.hpp"
#include "crypto/keyring.hpp"
#include "events/audit_writer.hpp"
#include "events/outbox_worker.hpp"
#include "events/webhooks.hpp"
#include "manager/single_flight.hpp"
#include "manager/token_vault.hpp"
#include "providers/registry.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

struct TokenSettings {
  // A token response without expires_in: assume this lifetime (never "does not expire").
  std::chrono::seconds assumed_lifetime{3600};
  // Longer than the provider timeout (10 s), so a lease never lapses during a refresh.
  std::chrono::seconds lease_duration{30};
  core::BackoffPolicy backoff;
};

// A token set as stored (its version and expiry) and as opened (plaintext).
struct StoredTokens {
  core::TokenRecord record;
  TokenSet tokens;
};

// Keeps an integration's tokens valid: refreshes once per integration at a time in this process
// (SingleFlight) and across processes (a lease row in the database, re-reading the tokens after
// taking it). The new token set is committed before anyone gets the new access token, and a
// conditional update on the token version fences out a writer whose lease lapsed. Failures back
// off in the database, so every replica waits them out.
class RefreshEngine {
 public:
  RefreshEngine(store::Store& store, core::BlockingPool& blocking,
                providers::ProviderRegistry& registry, const crypto::Keyring& keyring,
                events::AuditWriter& audit, const core::Clock& clock, core::RandomSource& random,
                TokenSettings settings);

  // Tokens valid for at least `min_ttl` (refreshing first when needed), or all new (`force`).
  boost::asio::awaitable<core::Result<TokenSet>> valid_tokens(const core::Integration& integration,
                                                              std::chrono::seconds min_ttl,
                                                              bool force);
  // The same from a token set already read (`record`: the hand-out cache's copy; nullopt: none
  // stored). A refresh, if one is needed, reads the store again under its lease.
  boost::asio::awaitable<core::Result<TokenSet>> valid_tokens_from(
      const core::Integration& integration, const std::optional<core::TokenRecord>& record,
      std::chrono::seconds min_ttl);
  // The stored tokens, decrypted; needs_reauth when none are stored.
  boost::asio::awaitable<core::Result<StoredTokens>> read_tokens(const std::string& integration_id);
  // The error to answer while the integration's refresh backoff lasts; nullopt outside one.
  boost::asio::awaitable<std::optional<core::Error>> backing_off(const std::string& integration_id);
  // Where integration.needs_reauth and .refresh_failed are announced; none by default.
  void set_publisher(events::EventPublisher* publisher) { publisher_ = publisher; }
  // Where the tokens of a refresh that lost a race with a disconnect go to be revoked.
  void set_outbox(events::OutboxWorker* outbox) { outbox_ = outbox; }

 private:
  // `seen`: the token set the caller found too old (its version tells whether a forced refresh
  // happened elsewhere meanwhile). Taken by value: it lives in the coroutine frame.
  boost::asio::awaitable<core::Result<TokenSet>> refresh(const core::Integration& integration,
                                                         std::chrono::seconds min_ttl, bool force,
                                                         StoredTokens seen);
  // What the store says about an integration's refresh backoff.
  struct BackoffLook {
    std::optional<core::Error> waiting;  // the answer while it lasts
    bool on_record = true;               // a row to clear after a success (true when unknown)
  };
  boost::asio::awaitable<BackoffLook> look_at_backoff(const std::string& integration_id);
  boost::asio::awaitable<core::Result<TokenSet>> refresh_holding_lease(
      const core::Integration& integration, const core::TokenRecord& record, TokenSet current,
      bool clear_backoff);
  boost::asio::awaitable<core::Error> note_refresh_failure(const core::Integration& integration,
                                                           const providers::RefreshResult& attempt);
  boost::asio::awaitable<core::Result<TokenSet>> commit(const core::Integration& integration,
                                                        const core::TokenRecord& record,
                                                        const TokenSet& used, TokenSet next,
                                                        core::Timestamp now);
  boost::asio::awaitable<void> release_lease(const std::string& id, const std::string& owner);
  boost::asio::awaitable<void> note_granted_scopes(const core::Integration& integration,
                                                   std::vector<std::string> granted,
                                                   core::Timestamp now);
  boost::asio::awaitable<void> audit_system_event(const core::Integration& integration,
                                                  const std::string& event_name,
                                                  const std::string& outcome,
                                                  const nlohmann::json& details);
  boost::asio::awaitable<void> revoke_orphaned(const core::Integration& integration,
                                               const core::TokenRecord& sealed);
  boost::asio::awaitable<void> mark_needs_reauth(const core::Integration& integration,
                                                 const std::string& reason);
  boost::asio::awaitable<std::chrono::milliseconds> note_failure(
      const core::Integration& integration, std::optional<std::chrono::seconds> provider_asked,
      const std::string& event_type);
  core::Result<StoredTokens> opened(const core::Result<core::TokenRecord>& record) const;
  boost::asio::awaitable<core::Result<TokenSet>> keep_valid(const core::Integration& integration,
                                                            core::Result<StoredTokens> current,
                                                            std::chrono::seconds min_ttl,
                                                            bool force);
  bool fresh_enough(const StoredTokens& stored, std::chrono::seconds min_ttl) const;
  bool fresh_enough(const core::TokenRecord& record, std::chrono::seconds min_ttl) const;
  core::Timestamp effective_expiry(const core::TokenRecord& record) const;
  core::Result<TokenSet> instead_of_refresh(StoredTokens current, core::Error error,
                                            bool force) const;

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
  events::OutboxWorker* outbox_ = nullptr;
};

// needs_reauth, saying why.
core::Error needs_reauth(const std::string& why);

}  // namespace oauth_manager::manager
