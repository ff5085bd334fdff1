#include "crypto/jwt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/text.hpp"
#include "crypto/encoding.hpp"

namespace oauth_manager::crypto {
namespace {

core::Error rejected(std::string reason) {
  return core::make_error(core::Code::unauthenticated, std::move(reason));
}

std::optional<nlohmann::json> decode_json_part(std::string_view part) {
  const auto bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  auto json = nlohmann::json::parse(*bytes, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

// The last second of year 9999: any later NumericDate is not a date but an attempt to overflow.
constexpr double kLatestNumericDate = 253402300799.0;

// NumericDate (RFC 7519 §2): seconds since the epoch, possibly fractional, checked to be a finite
// number in [0, year 9999] before it is converted (a double beyond int64 is undefined behaviour).
core::Result<std::int64_t> numeric_date_ms(const nlohmann::json& value, const char* name) {
  const auto invalid = [name] {
    return rejected(fmt::format("{} is not a valid NumericDate", name));
  };
  if (!value.is_number()) return invalid();
  const auto seconds = value.get<double>();
  if (!std::isfinite(seconds) || seconds < 0 || seconds > kLatestNumericDate) return invalid();
  return static_cast<std::int64_t>(seconds * 1000);
}

// nullopt when the claim is absent.
core::Result<std::optional<std::int64_t>> optional_date_ms(const nlohmann::json& claims,
                                                           const char* name) {
  const auto found = claims.find(name);
  if (found == claims.end()) return std::optional<std::int64_t>{};
  auto ms = numeric_date_ms(*found, name);
  if (!ms) return ms.error();
  return std::optional<std::int64_t>{*ms};
}

core::Status check_times(const nlohmann::json& claims, const ClaimRules& rules,
                         core::Timestamp now) {
  const auto now_ms = core::to_unix_ms(now);
  const auto leeway_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::min(rules.leeway, kMaxLeeway))
          .count();
  auto exp = optional_date_ms(claims, "exp");
  if (!exp) return exp.error();
  if (!*exp) return rejected("the token has no exp claim; tokens must expire");
  if (now_ms >= **exp + leeway_ms) return rejected("the token has expired");
  auto nbf = optional_date_ms(claims, "nbf");
  if (!nbf) return nbf.error();
  if (*nbf && now_ms + leeway_ms < **nbf) return rejected("the token is not valid yet (nbf)");
  auto iat = optional_date_ms(claims, "iat");
  if (!iat) return iat.error();
  if (*iat && now_ms + leeway_ms < **iat) {
    return rejected("the token was issued in the future (iat)");
  }
  return {};
}

// RFC 7515 §4.1.9: media types compare without case, and "application/" may be left out.
std::string media_type(std::string_view typ) {
  auto lower = core::ascii_lowercase(typ);
  constexpr std::string_view kApplication = "application/";
  if (lower.rfind(kApplication, 0) == 0) lower.erase(0, kApplication.size());
  return lower;
}

core::Status check_type(const DecodedJwt& jwt, const ClaimRules& rules) {
  if (!jwt.type) return {};
  const auto type = media_type(*jwt.type);
  const bool allowed =
      std::any_of(rules.allowed_types.begin(), rules.allowed_types.end(),
                  [&](const std::string& candidate) { return media_type(candidate) == type; });
  if (!allowed) return rejected("the token's type (typ) is not accepted here");
  return {};
}

core::Status check_identity(const nlohmann::json& claims, const ClaimRules& rules) {
  if (rules.issuer) {
    const auto iss = claims.find("iss");
    if (iss == claims.end() || !iss->is_string() || iss->get<std::string>() != *rules.issuer) {
      return rejected("the token's issuer (iss) is not the configured one");
    }
  }
  if (rules.audience) {
    const auto aud = claims.find("aud");
    bool matched = false;
    if (aud != claims.end() && aud->is_string())
      matched = aud->get<std::string>() == *rules.audience;
    if (aud != claims.end() && aud->is_array()) {
      matched = std::any_of(aud->begin(), aud->end(), [&](const nlohmann::json& entry) {
        return entry.is_string() && entry.get<std::string>() == *rules.audience;
      });
    }
    if (!matched) return rejected("the token's audience (aud) does not include this service");
  }
  const auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get<std::string>().empty()) {
    return rejected("the token has no sub claim naming the user");
  }
  if (sub->get<std::string>().size() > 255) return rejected("the token's sub is too long");
  return {};
}

const VerificationKey* choose_key(const DecodedJwt& jwt, const std::vector<VerificationKey>& keys) {
  const VerificationKey* only_candidate = nullptr;
  int candidates = 0;
  for (const auto& key : keys) {
    if (key.algorithm() != jwt.algorithm) continue;
    if (jwt.key_id && key.key_id() == jwt.key_id) return &key;
    ++candidates;
    only_candidate = &key;
  }
  // A token without kid, or a key without one (a configured PEM or secret), is matched only when
  // exactly one key of the algorithm could be meant.
  if (candidates == 1 && (!jwt.key_id || !only_candidate->key_id())) return only_candidate;
  return nullptr;
}

}  // namespace

core::Result<DecodedJwt> decode_jwt(std::string_view token, std::size_t max_bytes) {
  if (token.size() > max_bytes) {
    return rejected(fmt::format("the token is longer than {} bytes", max_bytes));
  }
  const auto first_dot = token.find('.');
  const auto second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return rejected("the token is not a JWS in compact form (three base64url parts)");
  }
  const auto header = decode_json_part(token.substr(0, first_dot));
  const auto claims = decode_json_part(token.substr(first_dot + 1, second_dot - first_dot - 1));
  const auto signature = base64url_decode(token.substr(second_dot + 1));
  if (!header || !claims || !signature) {
    return rejected("the token's parts are not base64url-encoded JSON objects");
  }
  const auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) return rejected("the token header has no alg");
  const auto algorithm = parse_algorithm(alg->get<std::string>());
  if (!algorithm) {
    return rejected(
        fmt::format("the token's algorithm \"{}\" is not accepted (HS256, RS256, ES256)",
                    alg->get<std::string>().substr(0, 16)));
  }
  // RFC 7515 §4.1.11: a critical extension we do not understand makes the token invalid.
  if (header->contains("crit")) return rejected("the token uses critical header extensions");
  DecodedJwt decoded{
      *algorithm, std::nullopt, std::nullopt, *claims, std::string(token.substr(0, second_dot)),
      *signature};
  if (const auto kid = header->find("kid"); kid != header->end() && kid->is_string()) {
    decoded.key_id = kid->get<std::string>();
  }
  if (const auto typ = header->find("typ"); typ != header->end()) {
    if (!typ->is_string()) return rejected("the token header's typ is not a string");
    decoded.type = typ->get<std::string>();
  }
  return decoded;
}

core::Result<nlohmann::json> verify_jwt(const DecodedJwt& jwt,
                                        const std::vector<VerificationKey>& keys,
                                        const ClaimRules& rules, core::Timestamp now) {
  const bool any_of_algorithm = std::any_of(
      keys.begin(), keys.end(), [&](const auto& key) { return key.algorithm() == jwt.algorithm; });
  if (!any_of_algorithm) {
    return rejected(fmt::format("the token is signed with {}, which the configured keys do not use",
                                algorithm_name(jwt.algorithm)));
  }
  const auto* key = choose_key(jwt, keys);
  if (key == nullptr) return rejected("the token's signing key (kid) is unknown");
  if (!key->verify(jwt.signing_input, jwt.signature)) {
    return rejected("the token's signature is invalid");
  }
  if (auto type = check_type(jwt, rules); !type) return type.error();
  if (auto times = check_times(jwt.claims, rules, now); !times) return times.error();
  if (auto identity = check_identity(jwt.claims, rules); !identity) return identity.error();
  return jwt.claims;
}

}  // namespace oauth_manager::crypto
