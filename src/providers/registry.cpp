#include "providers/registry.hpp"

#include <fmt/format.h>

#include "log/logger.hpp"
#include "net/jwks_key_source.hpp"

namespace oauth_manager::providers {

struct ProviderRegistry::Entry {
  std::shared_ptr<const Provider> provider;
  std::unique_ptr<net::HttpClient> http;
  std::unique_ptr<OAuthClient> oauth;
  std::unique_ptr<net::JwksKeySource> jwks;
};

ProviderRegistry::ProviderRegistry(std::vector<Provider> providers, const core::Clock& clock,
                                   net::ClientOptions client_options)
    : clock_(clock) {
  for (auto& provider : providers) {
    auto entry = std::make_unique<Entry>();
    auto options = client_options;
    options.allow_insecure_loopback = provider.allow_insecure_loopback;
    entry->http = std::make_unique<net::HttpClient>(options);
    entry->oauth = std::make_unique<OAuthClient>(*entry->http);
    const auto id = provider.spec.id;
    entry->provider = std::make_shared<const Provider>(std::move(provider));
    install_keys(*entry);
    entries_.emplace(id, std::move(entry));
  }
}

ProviderRegistry::~ProviderRegistry() = default;

void ProviderRegistry::install_keys(Entry& entry) {
  if (entry.provider->spec.jwks_uri && !entry.provider->needs_discovery) {
    entry.jwks =
        std::make_unique<net::JwksKeySource>(*entry.provider->spec.jwks_uri, *entry.http, clock_);
  }
}

boost::asio::awaitable<core::Result<ProviderHandle>> ProviderRegistry::get(const std::string& id) {
  Entry* entry = nullptr;
  std::shared_ptr<const Provider> provider;
  {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(id);
    if (found == entries_.end()) {
      co_return core::make_error(core::Code::provider_unknown,
                                 "no provider with this id is enabled here; GET /v1/providers "
                                 "lists them");
    }
    entry = found->second.get();
    provider = entry->provider;
  }
  if (provider->needs_discovery) {
    auto discovered = co_await entry->oauth->discover(id, *provider->spec.issuer,
                                                      provider->allow_insecure_loopback);
    if (!discovered) {
      log::warn("provider.discovery_failed",
                {{"provider", id}, {"error", discovered.error().message}});
      co_return discovered.error();
    }
    auto resolved = std::make_shared<Provider>(*provider);
    const auto display_name = provider->spec.display_name;
    resolved->spec = std::move(*discovered);
    resolved->spec.display_name = display_name;
    resolved->needs_discovery = false;
    if (resolved->requested_by_default.empty()) {
      resolved->requested_by_default = resolved->spec.default_scopes;
    }
    if (!resolved->scopes_narrowed) {
      for (const auto& scope : resolved->spec.scopes) {
        resolved->allowed_scopes.push_back(scope.name);
      }
      for (const auto& scope : resolved->spec.default_scopes) {
        resolved->allowed_scopes.push_back(scope);
      }
    }
    std::lock_guard lock(mutex_);
    if (entry->provider->needs_discovery) {  // another request may have finished first
      entry->provider = std::move(resolved);
      install_keys(*entry);
      log::info("provider.discovered", {{"provider", id}});
    }
    provider = entry->provider;
  }
  co_return ProviderHandle{provider, entry->oauth.get(), entry->jwks.get()};
}

std::vector<std::shared_ptr<const Provider>> ProviderRegistry::list() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const Provider>> providers;
  for (const auto& [id, entry] : entries_) providers.push_back(entry->provider);
  return providers;
}

}  // namespace oauth_manager::providers
