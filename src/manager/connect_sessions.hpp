#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/blocking_pool.hpp"
#include "core/caller.hpp"
#include "core/clock.hpp"
#include "core/connect_session.hpp"
#include "core/random_source.hpp"
#include "providers/registry.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

struct ConnectSessionRequest {
  std::optional<std::string> user_id;  // another user: needs users:any
  std::optional<std::vector<std::string>> providers;
  std::optional<std::string> return_to;
  std::optional<std::string> integration_id;  // a session to reconnect this integration
};

// A session just made: its bearer token exists only here, in this answer.
struct NewConnectSession {
  core::ConnectSession session;
  std::string token;
  std::string connect_url;  // {public_url}/connect#session=<token>
};

struct ConnectSessionSettings {
  std::string public_url;
  std::chrono::seconds lifetime{900};
  std::vector<std::string> allowed_return_urls;
  // Flows begun on the page are held for the application's confirmation ([connect]
  // confirm_url). Without it, a connect_url forwarded to someone else would connect their
  // account to this user: sessions are then refused unless public_url is loopback.
  bool flows_confirmed = false;
};

// Connect sessions: the application's backend makes one for a user and opens the hosted connect
// page with it; the page acts for that user only, with no more than the page needs.
class ConnectSessions {
 public:
  ConnectSessions(store::Store& store, core::BlockingPool& blocking,
                  providers::ProviderRegistry& registry, const core::Clock& clock,
                  core::RandomSource& random, ConnectSessionSettings settings);

  boost::asio::awaitable<core::Result<NewConnectSession>> create(
      const core::Caller& caller, const ConnectSessionRequest& request);
  // not_found for a session the caller may not see, exactly as for an unknown one.
  boost::asio::awaitable<core::Status> revoke(const core::Caller& caller, const std::string& id);
  // The live session `token` names; unauthenticated when unknown, expired or revoked.
  boost::asio::awaitable<core::Result<core::ConnectSession>> authenticate(const std::string& token);
  // Whom a session's calls act as: its user, with integrations:read and :write only (never
  // users:any, tokens or the audit trail).
  static core::Caller caller_of(const core::ConnectSession& session);
  // Whether the session lets its page connect `provider`.
  static bool allows(const core::ConnectSession& session, const std::string& provider);
  // Where a flow begun on the page comes back to: the page itself.
  std::string page_url() const { return settings_.public_url + "/connect"; }

 private:
  core::Status check_providers(const std::vector<std::string>& providers) const;
  bool loopback_only() const;

  store::Store& store_;
  core::BlockingPool& blocking_;
  providers::ProviderRegistry& registry_;
  const core::Clock& clock_;
  core::RandomSource& random_;
  ConnectSessionSettings settings_;
};

}  // namespace oauth_manager::manager
