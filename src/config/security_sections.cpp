#include "config/config_builder.hpp"

#include <algorithm>
#include <set>

#include "core/caller.hpp"
#include "crypto/verification_key.hpp"
#include "providers/catalog.hpp"

namespace oauth_manager::config {
namespace {

constexpr std::string_view kCreateKeyHint =
    "create one with `oauth-manager gen-key --out var/dev.keys` and set [crypto] keys_file = "
    "\"var/dev.keys\" (or OAUTH_MANAGER_CRYPTO_KEYS_FILE)";

constexpr std::string_view kAuthKeyHint =
    "for development, create a secret with `head -c 48 /dev/urandom | base64 -w0 > "
    "var/dev-jwt.secret && chmod 600 var/dev-jwt.secret` and set [auth] hs256_secret_file = "
    "\"var/dev-jwt.secret\"; in production set public_key_file or jwks_url to the application's "
    "signing key";

}  // namespace

void ConfigBuilder::build_crypto(CryptoConfig& crypto) {
  const auto* keys = raw<std::vector<std::string>>("crypto", "keys");
  const auto* keys_file = raw<std::string>("crypto", "keys_file");
  if (keys != nullptr && keys_file != nullptr) {
    problem("crypto.keys", "set either crypto.keys or crypto.keys_file, not both");
    return;
  }
  if (keys != nullptr) {
    for (std::size_t i = 0; i < keys->size(); ++i) {
      auto key = crypto::parse_data_key((*keys)[i]);
      if (!key) {
        problem(fmt::format("crypto.keys[{}]", i), key.error().message);
        continue;
      }
      crypto.keys.push_back(std::move(*key));
    }
  } else if (keys_file != nullptr) {
    const auto contents = read_private_file("crypto.keys_file", *keys_file, kCreateKeyHint);
    if (!contents) return;
    auto parsed = crypto::parse_keys_file(*contents);
    if (!parsed) {
      problem("crypto.keys_file", fmt::format("\"{}\" {}", *keys_file, parsed.error().message));
      return;
    }
    crypto.keys = std::move(*parsed);
  }
  if (crypto.keys.empty() && !std::any_of(problems_.begin(), problems_.end(), [](const auto& p) {
        return p.key.rfind("crypto.", 0) == 0;
      })) {
    problem("crypto.keys", fmt::format("no encryption key is configured; {}", kCreateKeyHint));
  }
}

// Exactly one of hs256_secret, hs256_secret_file, public_key_file, jwks_url.
void ConfigBuilder::build_auth_keys(AuthConfig& auth) {
  const auto secret = non_empty_string("auth", "hs256_secret");
  const auto secret_file = non_empty_string("auth", "hs256_secret_file");
  const auto public_key_file = non_empty_string("auth", "public_key_file");
  const auto jwks_url = non_empty_string("auth", "jwks_url");
  const int sources = int{secret.has_value()} + int{secret_file.has_value()} +
                      int{public_key_file.has_value()} + int{jwks_url.has_value()};
  if (sources == 0) {
    problem("auth.hs256_secret_file",
            fmt::format("no key to verify callers' JWTs is configured; {}", kAuthKeyHint));
    return;
  }
  if (sources > 1) {
    problem("auth.hs256_secret",
            "set exactly one of auth.hs256_secret, auth.hs256_secret_file, auth.public_key_file "
            "and auth.jwks_url");
    return;
  }
  if (secret || secret_file) {
    auto value =
        secret ? secret : read_private_file("auth.hs256_secret_file", *secret_file, kAuthKeyHint);
    if (!value) return;
    *value = trim_trailing_newlines(std::move(*value));
    if (auto key = crypto::VerificationKey::hmac(*value); !key) {
      problem(secret ? "auth.hs256_secret" : "auth.hs256_secret_file", key.error().message);
      return;
    }
    auth.hs256_secret = crypto::SecretBytes::take(std::move(*value));
  } else if (public_key_file) {
    auto pem = read_file_text(*public_key_file);
    if (!pem) {
      problem("auth.public_key_file", fmt::format("cannot read \"{}\"", *public_key_file));
      return;
    }
    if (auto key = crypto::VerificationKey::from_pem(*pem); !key) {
      problem("auth.public_key_file",
              fmt::format("\"{}\": {}", *public_key_file, key.error().message));
      return;
    }
    auth.public_key_pem = std::move(pem);
  } else {
    const bool https = jwks_url->rfind("https://", 0) == 0;
    const bool http = jwks_url->rfind("http://", 0) == 0;
    if (!https && !(http && auth.allow_insecure_loopback)) {
      problem("auth.jwks_url",
              "must be an https:// URL (http:// only for a loopback address with "
              "auth.allow_insecure_loopback = true)");
      return;
    }
    auth.jwks_url = jwks_url;
  }
}

void ConfigBuilder::build_auth(AuthConfig& auth, const RedisConfig& redis) {
  if (const auto* insecure = raw<bool>("auth", "allow_insecure_loopback")) {
    auth.allow_insecure_loopback = *insecure;
  }
  build_auth_keys(auth);
  auth.issuer = non_empty_string("auth", "issuer");
  if (auto audience = non_empty_string("auth", "audience")) {
    auth.audience = *audience;
  } else {
    problem("auth.audience",
            "required: the value your application puts in the aud claim of the JWTs it sends "
            "here, e.g. \"oauth-manager\"; without it, any JWT signed by the same key (an access "
            "token meant for another API) would be accepted");
  }
  auth.leeway_seconds = integer_in_range("auth", "leeway_seconds", auth.leeway_seconds, 0, 300);
  if (auto claim = non_empty_string("auth", "roles_claim")) auth.roles_claim = *claim;
  auth.scope_prefix = non_empty_string("auth", "scope_prefix");
  if (const auto* types = raw<std::vector<std::string>>("auth", "allowed_types")) {
    if (types->empty()) {
      problem("auth.allowed_types", "must name at least one type, e.g. [\"JWT\", \"at+jwt\"]");
    } else {
      auth.allowed_types = *types;
    }
  }
  auth.session_claim = non_empty_string("auth", "session_claim");
  if (auto pattern = non_empty_string("auth", "session_key_pattern")) {
    if (pattern->find("{sid}") == std::string::npos) {
      problem("auth.session_key_pattern", "must contain {sid}, e.g. \"session:{sid}\"");
    } else {
      auth.session_key_pattern = *pattern;
    }
  }
  if (const auto* failure = raw<std::string>("auth", "session_failure")) {
    if (*failure == "closed" || *failure == "open") {
      auth.session_fail_open = *failure == "open";
    } else {
      problem("auth.session_failure",
              "must be \"closed\" (reject callers while Redis is down; the default) or \"open\"");
    }
  }
  if (auth.session_claim && !redis.url) {
    problem("auth.session_claim",
            "session revocation needs Redis: set [redis] url, or remove auth.session_claim");
  }
  build_roles(auth.roles);
}

// [roles] name = ["integrations:read", ...] replaces that role's permissions or adds a role.
void ConfigBuilder::build_roles(auth::RoleMap& roles) {
  static const auto kPermissionNames = core::permission_names();
  constexpr std::string_view kPrefix = "roles.";
  for (const auto& [name, value] : raw_) {
    if (name.rfind(kPrefix, 0) != 0) continue;
    const auto* permissions = std::get_if<std::vector<std::string>>(&value);
    if (permissions == nullptr) continue;
    std::set<core::Permission> granted;
    for (const auto& permission_text : *permissions) {
      if (auto permission = core::parse_permission(permission_text)) {
        granted.insert(*permission);
      } else {
        problem(name, with_suggestion(fmt::format("unknown permission \"{}\"", permission_text),
                                      permission_text, kPermissionNames));
      }
    }
    roles[name.substr(kPrefix.size())] = std::move(granted);
  }
}

providers::ProviderSettings ConfigBuilder::provider_settings(const std::string& id) {
  const auto section = fmt::format("providers.{}", id);
  providers::ProviderSettings settings;
  settings.id = id;
  settings.client_id = non_empty_string(section, "client_id");
  settings.client_secret = non_empty_string(section, "client_secret");
  if (const auto file = non_empty_string(section, "client_secret_file")) {
    if (settings.client_secret) {
      problem(section + ".client_secret", "set client_secret or client_secret_file, not both");
    }
    settings.client_secret = read_private_file(section + ".client_secret_file", *file,
                                               "write the provider's client secret into it");
    if (settings.client_secret)
      *settings.client_secret = trim_trailing_newlines(*settings.client_secret);
  }
  settings.redirect_uri = non_empty_string(section, "redirect_uri");
  if (const auto* scopes = raw<std::vector<std::string>>(section, "scopes"))
    settings.scopes = *scopes;
  if (const auto* allowed = raw<std::vector<std::string>>(section, "allowed_scopes"))
    settings.allowed_scopes = *allowed;
  if (const auto* insecure = raw<bool>(section, "allow_insecure_loopback")) {
    settings.allow_insecure_loopback = *insecure;
  }
  for (const auto& field : providers::overridable_fields()) {
    if (const auto value = non_empty_string(section, field))
      settings.overrides.emplace_back(field, *value);
  }
  return settings;
}

void ConfigBuilder::build_providers(std::vector<providers::Provider>& enabled,
                                    const ServerConfig& server) {
  std::set<std::string> ids;
  const auto prefix = fmt::format("{}.", kProvidersSection);
  for (const auto& [name, value] : raw_) {
    if (name.rfind(prefix, 0) != 0) continue;
    ids.insert(name.substr(prefix.size(), name.find('.', prefix.size()) - prefix.size()));
  }
  const auto& catalog = providers::builtin_catalog();
  for (const auto& id : ids) {
    const auto entry = catalog.find(id);
    auto [provider, provider_problems] = providers::resolve_provider(
        provider_settings(id), entry == catalog.end() ? nullptr : &entry->second,
        server.public_url);
    for (auto& found : provider_problems) problem(std::move(found.key), std::move(found.message));
    if (provider) enabled.push_back(std::move(*provider));
  }
}

void ConfigBuilder::build_webhooks(WebhooksConfig& webhooks) {
  const auto url = non_empty_string("webhooks", "url");
  if (const auto* insecure = raw<bool>("webhooks", "allow_insecure_loopback")) {
    webhooks.allow_insecure_loopback = *insecure;
  }
  auto secret = non_empty_string("webhooks", "secret");
  if (const auto file = non_empty_string("webhooks", "secret_file")) {
    secret = read_private_file("webhooks.secret_file", *file, "write the webhook secret into it");
    if (secret) secret = trim_trailing_newlines(*secret);
  }
  if (!url) return;
  if (!providers::endpoint_allowed(*url, webhooks.allow_insecure_loopback)) {
    problem("webhooks.url",
            "must be https:// (http:// only to a loopback address with "
            "webhooks.allow_insecure_loopback = true)");
    return;
  }
  // 32 bytes: the HMAC-SHA256 key should be as long as its output (RFC 2104 §3).
  if (!secret || secret->size() < 32) {
    problem("webhooks.secret",
            "a secret of at least 32 bytes is required to sign webhooks (secret or "
            "secret_file), e.g. `head -c 32 /dev/urandom | base64`");
    return;
  }
  webhooks.url = url;
  webhooks.secret = crypto::SecretBytes::take(std::move(*secret));
}

}  // namespace oauth_manager::config
