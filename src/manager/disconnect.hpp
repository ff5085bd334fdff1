#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/blocking_pool.hpp"
#include "core/caller.hpp"
#include "core/clock.hpp"
#include "events/webhooks.hpp"
#include "manager/refresh_engine.hpp"
#include "providers/registry.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

// Disconnects an integration: revokes at the provider (RFC 7009: the refresh token first, then
// the access token) where the catalog has an endpoint, deletes the token ciphertexts, marks the
// integration revoked and closes its consent entries. A provider that fails to revoke does not
// stop the local delete; what it answered comes back for the audit event (never a token).
class Disconnect {
 public:
  Disconnect(store::Store& store, core::BlockingPool& blocking,
             providers::ProviderRegistry& registry, RefreshEngine& tokens, const core::Clock& clock)
      : store_(store), blocking_(blocking), registry_(registry), tokens_(tokens), clock_(clock) {}

  // `owner` is filled with the integration's user as soon as it is known (for the audit).
  boost::asio::awaitable<core::Result<nlohmann::json>> run(const core::Caller& caller,
                                                           const std::string& id,
                                                           std::optional<std::string>& owner);
  // Where integration.revoked is announced; none by default.
  void set_publisher(events::EventPublisher* publisher) { publisher_ = publisher; }

 private:
  boost::asio::awaitable<nlohmann::json> revoke_at_provider(const core::Integration& integration);
  boost::asio::awaitable<core::Status> remove_locally(const std::string& id);

  store::Store& store_;
  core::BlockingPool& blocking_;
  providers::ProviderRegistry& registry_;
  RefreshEngine& tokens_;
  const core::Clock& clock_;
  events::EventPublisher* publisher_ = nullptr;
};

}  // namespace oauth_manager::manager
