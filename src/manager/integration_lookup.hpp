#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/blocking_pool.hpp"
#include "core/caller.hpp"
#include "core/integration.hpp"
#include "events/webhooks.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

// Which integration a caller means: by id, or by user and provider.
struct IntegrationRef {
  std::optional<std::string> integration_id;
  std::optional<std::string> user_id;
  std::optional<std::string> provider;
};

// The integration `id`, as far as `caller` may see it: not_found for another user's (without
// users:any), exactly as for an unknown id. Blocking: call it on the database pool.
core::Result<core::Integration> owned_integration(store::Store& store, const core::Caller& caller,
                                                  const std::string& id);

// Finds the integration `ref` names, as far as `caller` may see it: another user's integration
// is not_found without users:any, exactly as if it did not exist, so ids never leak. By user and
// provider, disconnected integrations are skipped, and several live ones are a conflict that
// lists their ids.
boost::asio::awaitable<core::Result<core::Integration>> find_integration(
    store::Store& store, core::BlockingPool& blocking, const core::Caller& caller,
    const IntegrationRef& ref);

// For a ref by user and provider (no integration_id): the user it names, if the caller may act
// for them; invalid_request without a provider.
core::Result<std::string> account_user(const core::Caller& caller, const IntegrationRef& ref);

// The ids of those of `integrations` that are not revoked, in their order.
std::vector<std::string> live_ids_of(const std::vector<core::Integration>& integrations);

// The answer for an id that is unknown, or another user's.
core::Error unknown_integration();

// The one live integration among `live_ids` of `user_id` at `provider`: not_found for none, and
// a conflict that lists their ids for several.
core::Result<std::string> the_one_live(const std::string& user_id, const std::string& provider,
                                       const std::vector<std::string>& live_ids);

// Announces `type` (integration.revoked, .needs_reauth, ...) for `integration` when a publisher
// is set, inside the transaction `tx` of the change: ids and provider only, never a token.
core::Status announce(events::EventPublisher* publisher, store::Store& tx, const std::string& type,
                      const core::Integration& integration);

}  // namespace oauth_manager::manager
