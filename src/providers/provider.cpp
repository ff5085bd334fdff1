#include "providers/provider.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/text.hpp"
#include "net/url.hpp"
#include "providers/catalog.hpp"

namespace oauth_manager::providers {
namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// {tenant} in the endpoints (Microsoft). {tenantid} in the issuer stays: it is per token.
void fill_tenant(ProviderSpec& spec) {
  if (!spec.tenant) return;
  for (auto* endpoint : {&spec.authorization_endpoint, &spec.token_endpoint}) {
    replace_all(*endpoint, "{tenant}", *spec.tenant);
  }
  for (auto* endpoint : {&spec.revocation_endpoint, &spec.userinfo_endpoint, &spec.jwks_uri}) {
    if (*endpoint) replace_all(**endpoint, "{tenant}", *spec.tenant);
  }
}

std::vector<std::string> union_of(std::vector<std::string> a, const std::vector<std::string>& b) {
  for (const auto& item : b) {
    if (std::find(a.begin(), a.end(), item) == a.end()) a.push_back(item);
  }
  return a;
}

// providers.<id>.allowed_scopes replaces what may be asked for; the defaults must fit in it.
template <typename Key>
void narrow_scopes(Provider& provider, const ProviderSettings& settings,
                   std::vector<ProviderProblem>& problems, const Key& key) {
  provider.allowed_scopes = *settings.allowed_scopes;
  provider.scopes_narrowed = true;
  if (provider.allowed_scopes.empty()) {
    problems.push_back({key("allowed_scopes"), "must name at least one scope"});
    return;
  }
  std::vector<std::string> outside;
  for (const auto& scope : provider.requested_by_default) {
    if (!provider.allows_scope(scope)) outside.push_back(scope);
  }
  if (outside.empty()) return;
  if (settings.scopes) {
    problems.push_back(
        {key("scopes"), fmt::format("{} not in allowed_scopes", fmt::join(outside, ", "))});
    return;
  }
  // The catalog's defaults, narrowed: only those the operator allows.
  std::erase_if(provider.requested_by_default,
                [&](const std::string& scope) { return !provider.allows_scope(scope); });
  if (provider.requested_by_default.empty()) {
    problems.push_back({key("scopes"),
                        "none of the catalog's default scopes is in allowed_scopes: name the "
                        "default scopes here"});
  }
}

// Same scheme, host and port (RFC 6454); an unparsable URL has no origin in common.
bool same_origin(const std::string& a, const std::string& b) {
  const auto left = net::parse_url(a);
  const auto right = net::parse_url(b);
  return left && right && left->same_origin(*right);
}

}  // namespace

bool Provider::allows_scope(const std::string& scope) const {
  return std::find(allowed_scopes.begin(), allowed_scopes.end(), scope) != allowed_scopes.end();
}

bool endpoint_allowed(const std::string& url, bool allow_insecure_loopback) {
  const auto parsed = net::parse_url(url);
  if (!parsed) return false;
  return parsed->https() || (allow_insecure_loopback && parsed->loopback_host());
}

std::pair<std::optional<Provider>, std::vector<ProviderProblem>> resolve_provider(
    const ProviderSettings& settings, const ProviderSpec* catalog_entry,
    const std::string& public_url) {
  std::vector<ProviderProblem> problems;
  const auto key = [&](std::string_view name) {
    return fmt::format("providers.{}.{}", settings.id, name);
  };
  Provider provider;
  if (catalog_entry != nullptr) {
    provider.spec = *catalog_entry;
  } else {
    provider.spec.id = settings.id;
    provider.spec.display_name = settings.id;
    provider.needs_discovery = true;
  }
  for (const auto& [field, value] : settings.overrides) {
    if (auto applied = apply_override(provider.spec, field, value); !applied) {
      problems.push_back({key(field), applied.error().message});
    }
  }
  if (provider.needs_discovery &&
      (!provider.spec.issuer ||
       !endpoint_allowed(*provider.spec.issuer, settings.allow_insecure_loopback))) {
    problems.push_back(
        {key("issuer"),
         fmt::format("\"{}\" is not in the provider catalog: describe it with issuer = "
                     "\"https://...\" (its endpoints then come from OIDC discovery)",
                     settings.id)});
  }
  fill_tenant(provider.spec);
  if (!provider.needs_discovery) {
    std::vector<std::pair<std::string, std::optional<std::string>>> endpoints = {
        {"authorization_endpoint", provider.spec.authorization_endpoint},
        {"token_endpoint", provider.spec.token_endpoint},
        {"revocation_endpoint", provider.spec.revocation_endpoint},
        {"userinfo_endpoint", provider.spec.userinfo_endpoint},
        {"jwks_uri", provider.spec.jwks_uri}};
    for (const auto& [name, url] : endpoints) {
      if (url && !endpoint_allowed(*url, settings.allow_insecure_loopback)) {
        problems.push_back({key(name),
                            "must be https:// (http:// only to a loopback address "
                            "with allow_insecure_loopback = true)"});
      }
    }
  }
  if (!settings.client_id) {
    problems.push_back({key("client_id"), "is required: the client id the provider issued"});
  } else {
    provider.client_id = *settings.client_id;
  }
  if (!settings.client_secret) {
    problems.push_back(
        {key("client_secret"),
         fmt::format("is required: set client_secret_file, or the environment variable "
                     "OAUTH_MANAGER_PROVIDERS_{}_CLIENT_SECRET",
                     core::ascii_uppercase(settings.id))});
  } else {
    provider.client_secret = *settings.client_secret;
  }
  provider.redirect_uri = settings.redirect_uri.value_or(
      fmt::format("{}/v1/oauth/callback/{}", public_url, settings.id));
  if (net::parse_url(provider.redirect_uri) &&
      !endpoint_allowed(provider.redirect_uri, /*allow_insecure_loopback=*/true)) {
    // RFC 9700 §4.1.3 / RFC 6749 §3.1.2.1: the code travels in the redirect; only loopback may
    // receive it over plain http.
    problems.push_back({key("redirect_uri"),
                        settings.redirect_uri
                            ? std::string("must be https:// (http:// only for a loopback address)")
                            : fmt::format("derived from server.public_url as \"{}\": plain http "
                                          "is only for a loopback address; set server.public_url "
                                          "to the https:// URL users reach",
                                          provider.redirect_uri)});
  }
  if (!net::parse_url(provider.redirect_uri)) {
    problems.push_back(
        {key("redirect_uri"),
         settings.redirect_uri
             ? std::string("must be an absolute http(s) URL")
             : fmt::format("derived from server.public_url as \"{}\", which is not a usable URL "
                           "(listening on port 0?): set server.public_url to where users reach us",
                           provider.redirect_uri)});
  }
  if (settings.redirect_uri && !same_origin(*settings.redirect_uri, public_url)) {
    // The browser binding cookie is set by /v1/oauth/start on public_url and must come back
    // with the callback: a callback on another origin would never see it.
    problems.push_back({key("redirect_uri"),
                        fmt::format("must be on server.public_url's origin ({}): the cookie that "
                                    "binds a connect flow to its browser is only sent back there",
                                    public_url)});
  }
  provider.requested_by_default = settings.scopes.value_or(provider.spec.default_scopes);
  std::vector<std::string> catalog_scopes;
  for (const auto& scope : provider.spec.scopes) catalog_scopes.push_back(scope.name);
  provider.allowed_scopes = union_of(union_of(catalog_scopes, provider.spec.default_scopes),
                                     provider.requested_by_default);
  if (settings.allowed_scopes) narrow_scopes(provider, settings, problems, key);
  provider.allow_insecure_loopback = settings.allow_insecure_loopback;
  if (!problems.empty()) return {std::nullopt, std::move(problems)};
  return {std::move(provider), {}};
}

}  // namespace oauth_manager::providers
