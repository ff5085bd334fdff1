#include "demo/demo_provider.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/scopes.hpp"
#include "core/text.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/pkce.hpp"
#include "net/url.hpp"

namespace oauth_manager::demo {
namespace {

constexpr auto kInteractionLifetime = std::chrono::minutes(10);
constexpr auto kCodeLifetime = std::chrono::seconds(60);
constexpr std::size_t kMaxNameLength = 64;
const std::vector<std::string> kScopes = {"openid", "email", "profile", "offline_access"};

core::Error invalid(std::string message) {
  return core::make_error(core::Code::invalid_request, std::move(message));
}

template <typename T>
OAuthResult<T> oauth_error(int status, std::string error, std::string description) {
  return {std::nullopt, {status, std::move(error), std::move(description)}};
}

std::string field(const std::map<std::string, std::string>& form, const std::string& name) {
  const auto found = form.find(name);
  return found == form.end() ? std::string() : found->second;
}

std::int64_t seconds_since_epoch(core::Timestamp time) { return core::to_unix_ms(time) / 1000; }

}  // namespace

DemoProvider::DemoProvider(DemoSettings settings, const core::Clock& clock,
                           core::RandomSource& random)
    : settings_(std::move(settings)),
      clock_(clock),
      random_(random),
      key_(crypto::RsaSigningKey::generate("demo-" +
                                           crypto::new_random_token(random).substr(0, 8))) {}

nlohmann::json DemoProvider::discovery() const {
  const auto& issuer = settings_.issuer;
  return {{"issuer", issuer},
          {"authorization_endpoint", issuer + "/authorize"},
          {"token_endpoint", issuer + "/token"},
          {"revocation_endpoint", issuer + "/revoke"},
          {"jwks_uri", issuer + "/jwks"},
          {"response_types_supported", {"code"}},
          {"grant_types_supported", {"authorization_code", "refresh_token"}},
          {"subject_types_supported", {"public"}},
          {"id_token_signing_alg_values_supported", {"RS256"}},
          {"code_challenge_methods_supported", {"S256"}},
          {"token_endpoint_auth_methods_supported", {"client_secret_basic", "client_secret_post"}},
          {"scopes_supported", kScopes},
          {"claims_supported", {"sub", "email", "email_verified", "name"}},
          {"authorization_response_iss_parameter_supported", true}};
}

nlohmann::json DemoProvider::jwks() const { return {{"keys", {key_.public_jwk()}}}; }

core::Result<std::string> DemoProvider::begin(const AuthorizationParams& params) {
  if (params.client_id != settings_.client_id) return invalid("unknown client_id");
  if (params.redirect_uri != settings_.redirect_uri) return invalid("unregistered redirect_uri");
  if (params.response_type != "code") return invalid("response_type must be code");
  if (params.code_challenge.empty() || params.code_challenge_method != "S256") {
    return invalid("PKCE with S256 is required");
  }
  const auto now = clock_.now();
  const auto id = crypto::new_random_token(random_);
  std::lock_guard lock(mutex_);
  forget_expired(now);
  pending_[id] = Pending{params, "", now + kInteractionLifetime};
  return id;
}

core::Result<Interaction> DemoProvider::interaction(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto found = pending_.find(id);
  if (found == pending_.end() || found->second.expires_at <= clock_.now()) {
    return invalid("this sign-in has expired; start again from the application");
  }
  return Interaction{found->second.name, core::split_scopes(found->second.params.scope)};
}

core::Status DemoProvider::log_in(const std::string& id, const std::string& name) {
  const bool printable = std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == ' ' || c == '-' || c == '.' || c == '_';
  });
  if (name.empty() || name.size() > kMaxNameLength || !printable) {
    return invalid("type a name of letters, digits, spaces, dots or dashes (up to 64)");
  }
  std::lock_guard lock(mutex_);
  const auto found = pending_.find(id);
  if (found == pending_.end() || found->second.expires_at <= clock_.now()) {
    return invalid("this sign-in has expired; start again from the application");
  }
  found->second.name = name;
  return core::Status{};
}

core::Result<std::string> DemoProvider::decide(const std::string& id, bool allowed) {
  std::lock_guard lock(mutex_);
  const auto found = pending_.find(id);
  if (found == pending_.end() || found->second.name.empty() ||
      found->second.expires_at <= clock_.now()) {
    return invalid("this sign-in has expired; start again from the application");
  }
  const auto pending = std::move(found->second);
  pending_.erase(found);
  std::vector<std::pair<std::string, std::string>> answer;
  if (!allowed) {
    answer = {{"error", "access_denied"}, {"state", pending.params.state}};
  } else {
    const auto grant_id = crypto::new_random_token(random_);
    grants_[grant_id] = Grant{pending.name, core::split_scopes(pending.params.scope), true};
    const auto code = crypto::new_random_token(random_);
    codes_[code] = Code{grant_id, pending.params, clock_.now() + kCodeLifetime};
    answer = {{"code", code}, {"state", pending.params.state}};
  }
  answer.emplace_back("iss", settings_.issuer);  // RFC 9207
  return net::with_query(pending.params.redirect_uri, answer);
}

bool DemoProvider::client_authenticated(const std::map<std::string, std::string>& form,
                                        const std::optional<std::string>& authorization) const {
  std::string id = field(form, "client_id");
  std::string secret = field(form, "client_secret");
  if (authorization && authorization->rfind("Basic ", 0) == 0) {
    // RFC 6749 §2.3.1: form-urlencoded id and secret, base64, joined by a colon.
    const auto decoded = crypto::base64_decode(authorization->substr(6));
    if (!decoded) return false;
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return false;
    auto decoded_id = core::percent_decode(decoded->substr(0, colon));
    auto decoded_secret = core::percent_decode(decoded->substr(colon + 1));
    if (!decoded_id || !decoded_secret) return false;
    id = std::move(*decoded_id);
    secret = std::move(*decoded_secret);
  }
  return id == settings_.client_id && crypto::constant_time_equal(secret, settings_.client_secret);
}

OAuthResult<nlohmann::json> DemoProvider::token(const std::map<std::string, std::string>& form,
                                                const std::optional<std::string>& authorization) {
  if (!client_authenticated(form, authorization)) {
    return oauth_error<nlohmann::json>(401, "invalid_client", "client authentication failed");
  }
  const auto grant_type = field(form, "grant_type");
  std::lock_guard lock(mutex_);
  forget_expired(clock_.now());
  if (grant_type == "authorization_code") return exchange_code(form);
  if (grant_type == "refresh_token") return exchange_refresh(form);
  return oauth_error<nlohmann::json>(400, "unsupported_grant_type",
                                     "authorization_code or refresh_token");
}

OAuthResult<nlohmann::json> DemoProvider::exchange_code(
    const std::map<std::string, std::string>& form) {
  const auto found = codes_.find(field(form, "code"));
  if (found == codes_.end()) {
    return oauth_error<nlohmann::json>(400, "invalid_grant", "unknown or used code");
  }
  const auto code = std::move(found->second);
  codes_.erase(found);  // single use, whatever comes next
  if (field(form, "redirect_uri") != code.params.redirect_uri) {
    return oauth_error<nlohmann::json>(400, "invalid_grant", "redirect_uri differs");
  }
  const auto verifier = field(form, "code_verifier");
  if (!crypto::constant_time_equal(crypto::pkce_s256_challenge(verifier),
                                   code.params.code_challenge)) {
    return oauth_error<nlohmann::json>(400, "invalid_grant", "PKCE verification failed");
  }
  std::optional<std::string> nonce;
  if (!code.params.nonce.empty()) nonce = code.params.nonce;
  return {issue(code.grant_id, nonce), {}};
}

OAuthResult<nlohmann::json> DemoProvider::exchange_refresh(
    const std::map<std::string, std::string>& form) {
  const auto found = tokens_.find(field(form, "refresh_token"));
  if (found == tokens_.end() || found->second.expires_at) {
    return oauth_error<nlohmann::json>(400, "invalid_grant", "unknown refresh token");
  }
  const auto grant_id = found->second.grant_id;
  if (found->second.rotated) {
    // A rotated refresh token used again: someone holds a copy. End the whole grant.
    end_grant(grant_id);
    return oauth_error<nlohmann::json>(400, "invalid_grant", "refresh token reused");
  }
  const auto grant = grants_.find(grant_id);
  if (grant == grants_.end() || !grant->second.alive) {
    return oauth_error<nlohmann::json>(400, "invalid_grant", "the grant was revoked");
  }
  found->second.rotated = true;
  return {issue(grant_id, std::nullopt), {}};
}

nlohmann::json DemoProvider::issue(const std::string& grant_id,
                                   const std::optional<std::string>& nonce) {
  const auto& grant = grants_.at(grant_id);
  const auto now = clock_.now();
  const auto access_token = crypto::new_random_token(random_);
  tokens_[access_token] = Token{grant_id, now + settings_.access_token_lifetime, false};
  nlohmann::json answer = {{"access_token", access_token},
                           {"token_type", "Bearer"},
                           {"expires_in", settings_.access_token_lifetime.count()},
                           {"scope", core::join_scopes(grant.scopes)}};
  const bool offline =
      std::find(grant.scopes.begin(), grant.scopes.end(), "offline_access") != grant.scopes.end();
  if (offline) {
    const auto refresh_token = crypto::new_random_token(random_);
    tokens_[refresh_token] = Token{grant_id, std::nullopt, false};
    answer["refresh_token"] = refresh_token;
  }
  if (nonce) {
    const auto slug = subject_of(grant.name);
    answer["id_token"] = key_.sign_jwt({{"iss", settings_.issuer},
                                        {"sub", slug},
                                        {"aud", settings_.client_id},
                                        {"iat", seconds_since_epoch(now)},
                                        {"exp", seconds_since_epoch(now) + 600},
                                        {"nonce", *nonce},
                                        {"email", slug + "@demo.invalid"},
                                        {"email_verified", true},
                                        {"name", grant.name}});
  }
  return answer;
}

OAuthResult<bool> DemoProvider::revoke(const std::map<std::string, std::string>& form,
                                       const std::optional<std::string>& authorization) {
  if (!client_authenticated(form, authorization)) {
    return oauth_error<bool>(401, "invalid_client", "client authentication failed");
  }
  std::lock_guard lock(mutex_);
  const auto found = tokens_.find(field(form, "token"));
  if (found == tokens_.end()) return {true, {}};  // RFC 7009 §2.2: unknown is fine
  if (found->second.expires_at) {
    tokens_.erase(found);  // an access token: just that one
  } else {
    end_grant(found->second.grant_id);  // a refresh token ends its grant (RFC 7009 §2.1)
  }
  return {true, {}};
}

void DemoProvider::end_grant(const std::string& grant_id) {
  grants_.erase(grant_id);
  std::erase_if(tokens_, [&](const auto& entry) { return entry.second.grant_id == grant_id; });
}

// The account's immutable id: the name as typed, folded to a slug ("Ada Lovelace" →
// "ada-lovelace").
std::string DemoProvider::subject_of(const std::string& name) const {
  std::string slug;
  for (const unsigned char c : name) {
    slug += std::isalnum(c) != 0 ? static_cast<char>(std::tolower(c)) : '-';
  }
  return slug;
}

void DemoProvider::forget_expired(core::Timestamp now) {
  std::erase_if(pending_, [&](const auto& entry) { return entry.second.expires_at <= now; });
  std::erase_if(codes_, [&](const auto& entry) { return entry.second.expires_at <= now; });
  std::erase_if(tokens_, [&](const auto& entry) {
    return entry.second.expires_at && *entry.second.expires_at <= now;
  });
}

}  // namespace oauth_manager::demo
