#include "providers/id_token.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "crypto/hash.hpp"
#include "crypto/jwt.hpp"

namespace oauth_manager::providers {
namespace {

constexpr std::size_t kMaxIdTokenBytes = 16384;
constexpr std::chrono::seconds kLeeway{60};
// An id_token is issued at the code exchange that returns it: one issued earlier than this is a
// replayed or pre-made token, not the answer to our request.
constexpr std::chrono::minutes kMaxIdTokenAge{5};

core::Error rejected(std::string_view why) {
  return core::make_error(core::Code::provider_error, fmt::format("id_token rejected: {}", why));
}

std::optional<std::string> string_claim(const nlohmann::json& claims, const char* name) {
  const auto found = claims.find(name);
  if (found == claims.end() || !found->is_string()) return std::nullopt;
  return found->get<std::string>();
}

core::Status check_issuer(const ProviderSpec& spec, const nlohmann::json& claims) {
  const auto iss = string_claim(claims, "iss");
  if (!iss || !spec.issuer) return rejected("no iss claim");
  auto expected = *spec.issuer;
  constexpr std::string_view kTenantTemplate = "{tenantid}";
  if (const auto at = expected.find(kTenantTemplate); at != std::string::npos) {
    // Microsoft: the template becomes the token's own tenant, then must match exactly.
    const auto tid = string_claim(claims, "tid");
    if (!tid || tid->empty()) return rejected("no tid claim to fill the issuer template");
    expected.replace(at, kTenantTemplate.size(), *tid);
  }
  const bool accepted =
      *iss == expected || std::find(spec.accepted_issuers.begin(), spec.accepted_issuers.end(),
                                    *iss) != spec.accepted_issuers.end();
  if (!accepted) return rejected("the issuer (iss) is not the provider's");
  return core::Status{};
}

core::Status check_authorized_party(const Provider& provider, const nlohmann::json& claims) {
  const auto aud = claims.find("aud");
  const bool several = aud != claims.end() && aud->is_array() && aud->size() > 1;
  const auto azp = string_claim(claims, "azp");
  if (several && !azp) return rejected("several audiences and no azp");
  if (azp && *azp != provider.client_id) return rejected("azp is not our client_id");
  return core::Status{};
}

core::Status check_nonce(const nlohmann::json& claims, const std::optional<std::string>& expected) {
  if (!expected) return core::Status{};
  const auto nonce = string_claim(claims, "nonce");
  if (!nonce || !crypto::constant_time_equal(*nonce, *expected)) {
    return rejected("the nonce is not the one this authorization request sent");
  }
  return core::Status{};
}

}  // namespace

boost::asio::awaitable<core::Result<nlohmann::json>> validate_id_token(
    const Provider& provider, const std::string& id_token,
    const std::optional<std::string>& expected_nonce, crypto::KeySource& keys,
    core::Timestamp now) {
  auto decoded = crypto::decode_jwt(id_token, kMaxIdTokenBytes);
  if (!decoded) co_return rejected(decoded.error().message);
  const auto& allowed = provider.spec.id_token_algorithms;
  const auto algorithm = std::string(crypto::algorithm_name(decoded->algorithm));
  if (std::find(allowed.begin(), allowed.end(), algorithm) == allowed.end()) {
    co_return rejected(fmt::format("{} is not an algorithm this provider signs with", algorithm));
  }
  auto verification_keys = co_await keys.keys_for(decoded->key_id);
  if (!verification_keys) co_return rejected(verification_keys.error().message);
  crypto::ClaimRules rules{std::nullopt, provider.client_id, kLeeway};
  // An ID token is never an access token (RFC 9068 §4 gives at+jwt to those): only JWT, or none.
  rules.allowed_types = {"JWT"};
  auto claims = crypto::verify_jwt(*decoded, *verification_keys, rules, now);
  if (!claims) co_return rejected(claims.error().message);
  if (!claims->contains("iat")) co_return rejected("no iat claim");
  // verify_jwt checked iat is a valid NumericDate.
  const auto issued_at =
      core::from_unix_ms(static_cast<std::int64_t>((*claims)["iat"].get<double>() * 1000));
  if (now - issued_at > kMaxIdTokenAge + kLeeway) {
    co_return rejected("it was issued too long before this exchange (iat)");
  }
  if (auto issuer = check_issuer(provider.spec, *claims); !issuer) co_return issuer.error();
  if (auto party = check_authorized_party(provider, *claims); !party) co_return party.error();
  if (auto nonce = check_nonce(*claims, expected_nonce); !nonce) co_return nonce.error();
  co_return std::move(*claims);
}

}  // namespace oauth_manager::providers
