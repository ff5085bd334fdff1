#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include "core/blocking_pool.hpp"
#include "core/caller.hpp"
#include "manager/handout_cache.hpp"
#include "manager/integration_lookup.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

// find_integration for the token hand-out, with the integration's encrypted token set: from
// `cache` when it holds them (no database round trip), else read in one trip through `blocking`
// and kept. `cache` may be nullptr (disabled). The same answers as find_integration: another
// user's integration is not_found, by user and provider several live ones are a conflict.
boost::asio::awaitable<core::Result<HandoutCache::Shared>> find_for_handout(
    store::Store& store, core::BlockingPool& blocking, HandoutCache* cache,
    const core::Caller& caller, const IntegrationRef& ref);

}  // namespace oauth_manager::manager
