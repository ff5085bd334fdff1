#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/blocking_pool.hpp"
#include "core/caller.hpp"
#include "manager/handout_cache.hpp"
#include "manager/integration_lookup.hpp"
#include "manager/refresh_engine.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

// Which integration's token a caller wants, and how fresh.
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

// The hand-out: finds the integration a caller may use, checks it can serve the scopes asked,
// and hands out an access token the RefreshEngine keeps valid. With a HandoutCache, a fresh token
// is handed out without a database round trip.
class TokenService {
 public:
  TokenService(store::Store& store, core::BlockingPool& blocking, RefreshEngine& refresh,
               HandoutCache* cache = nullptr)
      : store_(store), blocking_(blocking), refresh_(refresh), cache_(cache) {}

  // `target` is filled with the integration concerned as soon as it is known (for the audit).
  boost::asio::awaitable<core::Result<IssuedToken>> issue(const core::Caller& caller,
                                                          const TokenQuery& query,
                                                          std::optional<std::string>& target);
  // Refreshes now, whatever the expiry. Returns the integration afterwards.
  boost::asio::awaitable<core::Result<core::Integration>> refresh_now(const core::Caller& caller,
                                                                      const std::string& id);
  // For the background refresher: refreshes the integration's tokens if they expire within
  // `window`, under the same single-flight and lease rules as a caller's request.
  boost::asio::awaitable<core::Status> refresh_if_expiring(const std::string& id,
                                                           std::chrono::seconds window);

 private:
  store::Store& store_;
  core::BlockingPool& blocking_;
  RefreshEngine& refresh_;
  HandoutCache* cache_;
};

}  // namespace oauth_manager::manager
