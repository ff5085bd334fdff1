#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/blocking_pool.hpp"
#include "core/caller.hpp"
#include "core/clock.hpp"
#include "events/outbox_worker.hpp"
#include "events/webhooks.hpp"
#include "manager/token_revoker.hpp"
#include "providers/registry.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

// Disconnects an integration. One transaction deletes the token ciphertexts, marks the
// integration revoked, closes its consent entries, and writes to the outbox the revocation of
// each token at the provider (RFC 7009) and the integration.revoked event. Then the revocations
// are tried at once; one that fails stays in the outbox and is retried (by any replica, after a
// restart too) until it succeeds or is given up. What the provider answered comes back for the
// audit event (never a token).
class Disconnect {
 public:
  Disconnect(store::Store& store, core::BlockingPool& blocking,
             providers::ProviderRegistry& registry, events::OutboxWorker& outbox,
             const core::Clock& clock)
      : store_(store), blocking_(blocking), registry_(registry), outbox_(outbox), clock_(clock) {}

  // `owner` is filled with the integration's user as soon as it is known (for the audit).
  boost::asio::awaitable<core::Result<nlohmann::json>> run(const core::Caller& caller,
                                                           const std::string& id,
                                                           std::optional<std::string>& owner);
  // Where integration.revoked is announced; none by default.
  void set_publisher(events::EventPublisher* publisher) { publisher_ = publisher; }

 private:
  // Whether the provider can revoke tokens, or why not (for the audit details).
  boost::asio::awaitable<std::optional<std::string>> why_no_revocation(const std::string& provider);
  // The local half, in one transaction; the revocation jobs it wrote (leased to us).
  boost::asio::awaitable<core::Result<std::vector<core::OutboxJob>>> remove_locally(
      const core::Integration& integration, bool revoke);
  boost::asio::awaitable<void> revoke_now(const std::vector<core::OutboxJob>& jobs,
                                          nlohmann::json& outcome);

  store::Store& store_;
  core::BlockingPool& blocking_;
  providers::ProviderRegistry& registry_;
  events::OutboxWorker& outbox_;
  const core::Clock& clock_;
  events::EventPublisher* publisher_ = nullptr;
};

}  // namespace oauth_manager::manager
