#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "crypto/key_source.hpp"
#include "net/http_client.hpp"
#include "providers/oauth_client.hpp"
#include "providers/provider.hpp"

namespace oauth_manager::providers {

// A provider ready to talk to: its description, an HTTP client with its own TLS policy, and its
// id_token keys (cached JWKS, refetched on key rotation).
struct ProviderHandle {
  std::shared_ptr<const Provider> provider;
  OAuthClient* oauth = nullptr;
  crypto::KeySource* id_token_keys = nullptr;  // null for providers without OpenID Connect
};

// The enabled providers. A provider given by its issuer alone is discovered on first use (and
// again on the next use if discovery failed).
class ProviderRegistry {
 public:
  // `client_options` (proxy, timeouts) apply to every provider; allow_insecure_loopback comes
  // from each provider's own settings.
  ProviderRegistry(std::vector<Provider> providers, const core::Clock& clock,
                   net::ClientOptions client_options = {});
  ProviderRegistry(const ProviderRegistry&) = delete;
  ProviderRegistry& operator=(const ProviderRegistry&) = delete;
  ~ProviderRegistry();

  // provider_unknown for an id not enabled here; provider_error when discovery fails.
  boost::asio::awaitable<core::Result<ProviderHandle>> get(const std::string& id);
  // Every enabled provider as currently known (discovered ones once discovered), by id.
  std::vector<std::shared_ptr<const Provider>> list() const;

 private:
  struct Entry;
  void install_keys(Entry& entry);

  const core::Clock& clock_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace oauth_manager::providers
