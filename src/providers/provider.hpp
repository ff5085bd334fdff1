#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "providers/provider_spec.hpp"

namespace oauth_manager::providers {

// What a deployment says about one provider in [providers.<id>].
struct ProviderSettings {
  std::string id;
  std::optional<std::string> client_id;
  std::optional<std::string> client_secret;  // from client_secret or client_secret_file
  std::optional<std::string> redirect_uri;
  std::optional<std::vector<std::string>> scopes;
  // Narrows what callers may ask for below the catalog (e.g. no Gmail scopes at all here).
  std::optional<std::vector<std::string>> allowed_scopes;
  bool allow_insecure_loopback = false;
  std::vector<std::pair<std::string, std::string>> overrides;  // catalog field -> value
};

// One enabled provider, ready to use: the catalog entry with the deployment's overrides applied
// and {tenant} filled in, plus the client credentials.
struct Provider {
  ProviderSpec spec;
  std::string client_id;
  std::string client_secret;  // never logged
  std::string redirect_uri;
  std::vector<std::string> requested_by_default;  // when the caller names no scopes
  std::vector<std::string> allowed_scopes;        // catalog scopes and the configured ones
  bool scopes_narrowed = false;  // allowed_scopes came from the operator: discovery adds none
  bool allow_insecure_loopback = false;
  // Described by its issuer alone: endpoints come from OIDC discovery before first use.
  bool needs_discovery = false;

  bool allows_scope(const std::string& scope) const;
};

// One problem with a provider's settings, naming the key ("providers.google.client_id").
struct ProviderProblem {
  std::string key;
  std::string message;
};

// Resolves settings against `catalog_entry` (nullptr for a provider not in the catalog, which
// must then give an https `issuer`). Problems are returned, not thrown, so the configuration can
// report all of them at once.
std::pair<std::optional<Provider>, std::vector<ProviderProblem>> resolve_provider(
    const ProviderSettings& settings, const ProviderSpec* catalog_entry,
    const std::string& public_url);

// Whether `url` may be called: https, or http to a loopback address when `allow_insecure`.
bool endpoint_allowed(const std::string& url, bool allow_insecure_loopback);

}  // namespace oauth_manager::providers
