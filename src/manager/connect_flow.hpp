#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/blocking_pool.hpp"
#include "core/caller.hpp"
#include "core/clock.hpp"
#include "core/integration.hpp"
#include "core/random_source.hpp"
#include "crypto/keyring.hpp"
#include "events/audit_writer.hpp"
#include "events/outbox_worker.hpp"
#include "events/webhooks.hpp"
#include "manager/browser_binding.hpp"
#include "manager/connect_confirmation.hpp"
#include "manager/connection_writer.hpp"
#include "manager/token_vault.hpp"
#include "providers/registry.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

struct ConnectRequest {
  std::string provider;
  std::optional<std::string> user_id;  // another user: needs users:any
  std::optional<std::vector<std::string>> scopes;
  std::optional<std::string> return_to;
  // Reconnect this integration (needs_reauth, or more scopes): the provider account that comes
  // back must be the same one, else account_mismatch and nothing changes.
  std::optional<std::string> integration_id;
};

struct ConnectStart {
  // Our start link (GET /v1/oauth/start/{flow} on public_url), not the provider's URL: its first
  // visit binds the flow to that browser, then sends it on to the provider.
  std::string authorization_url;
  core::Timestamp state_expires_at;
  std::string user_id;
};

// What the first visit of a start link gets: where to send the browser, and the cookie to set.
struct BrowserStart {
  std::string provider_url;
  BindingCookie cookie;
};

// Where the browser came back with, as the provider sent it.
struct CallbackRequest {
  std::string provider;
  std::optional<std::string> code;
  std::optional<std::string> state;
  std::optional<std::string> iss;
  std::optional<std::string> error;  // the provider's, e.g. access_denied
  std::optional<std::string> ip;
  std::optional<std::string> user_agent;
  std::optional<std::string> request_id;
  std::map<std::string, std::string> cookies;  // the browser's, by name
};

// How a callback ended once its state was known: connected, or failed with `error` (the
// provider's code such as access_denied, or ours such as provider_error). `return_to` is where
// the browser goes next, when the authorize call named one.
struct CallbackOutcome {
  std::optional<core::Integration> integration;
  // Held for the application's confirmation ([connect] confirm_url): where the browser goes.
  std::optional<std::string> confirm_url;
  std::optional<std::string> error;    // the code the browser is sent back with
  std::optional<core::Error> failure;  // the same failure, for an answer without return_to
  std::optional<std::string> return_to;
};

struct ConnectSettings {
  std::string public_url;  // where start links point; https makes the binding cookie Secure
  std::chrono::seconds state_lifetime{600};
  std::vector<std::string> allowed_return_urls;
};

// The connect use case: start an authorization (state, PKCE, nonce) and finish it at the
// callback (consume the state once, exchange the code, validate the id_token, read the account,
// store the integration and its encrypted tokens, the consent and the audit event).
class ConnectFlow {
 public:
  ConnectFlow(store::Store& store, core::BlockingPool& blocking,
              providers::ProviderRegistry& registry, const crypto::Keyring& keyring,
              ConnectionWriter& writer, events::AuditWriter& audit, const core::Clock& clock,
              core::RandomSource& random, ConnectSettings settings);

  boost::asio::awaitable<core::Result<ConnectStart>> start(const core::Caller& caller,
                                                           const ConnectRequest& request);
  // The first visit of the start link `flow_id`: binds the flow to a new cookie. A second visit
  // (or an unknown or expired link) is start_link_used, so a link cannot be bound twice.
  boost::asio::awaitable<core::Result<BrowserStart>> open_start_link(const std::string& flow_id);
  // An error result means the state itself was unusable (unknown, used, expired, another
  // provider's): nothing is known about where to send the browser. Later failures come back as
  // an outcome with `error`, after an audit event; either way nothing is stored.
  boost::asio::awaitable<core::Result<CallbackOutcome>> finish(const CallbackRequest& request);
  // Where a finished flow waits for the application to confirm its user; none by default.
  void set_confirmation(ConnectConfirmation* confirmation) { confirmation_ = confirmation; }
  // Where the grant of a refused reconnect (another account) goes to be revoked.
  void set_outbox(events::OutboxWorker* outbox) { outbox_ = outbox; }

 private:
  struct Exchange;
  boost::asio::awaitable<core::Result<core::AuthState>> consume_state(
      const CallbackRequest& request);
  bool binding_is_secure() const;
  // The integration a reconnect names, as far as `caller` may see it, for `provider`.
  boost::asio::awaitable<core::Result<core::Integration>> reconnected_integration(
      const core::Caller& caller, const ConnectRequest& request);
  // A reconnect that came back with another account: refused, and the grant it got revoked.
  boost::asio::awaitable<core::Result<void>> check_same_account(const core::AuthState& state,
                                                                const Exchange& exchange);
  // The code exchanged and the account read and checked: the connection, not yet stored.
  boost::asio::awaitable<core::Result<NewConnection>> connect(const CallbackRequest& request,
                                                              const core::AuthState& state);
  NewConnection new_connection(const CallbackRequest& request, const core::AuthState& state,
                               Exchange& exchange) const;
  // Stores it (or holds it for confirmation) and says so in `outcome`.
  boost::asio::awaitable<core::Result<void>> complete(const core::AuthState& state,
                                                      NewConnection& connection,
                                                      CallbackOutcome& outcome);
  boost::asio::awaitable<void> audit(const CallbackRequest& request, const core::AuthState& state,
                                     const std::string& event, const std::string& outcome,
                                     const std::optional<std::string>& integration_id,
                                     nlohmann::json details);

  store::Store& store_;
  core::BlockingPool& blocking_;
  providers::ProviderRegistry& registry_;
  const crypto::Keyring& keyring_;
  TokenVault vault_;
  ConnectionWriter& writer_;
  events::AuditWriter& audit_;
  const core::Clock& clock_;
  core::RandomSource& random_;
  ConnectSettings settings_;
  ConnectConfirmation* confirmation_ = nullptr;
  events::OutboxWorker* outbox_ = nullptr;
};

}  // namespace oauth_manager::manager
