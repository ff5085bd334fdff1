#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "crypto/verification_key.hpp"

namespace oauth_manager::crypto {

// A compact JWS split into its parts; nothing is trusted yet.
struct DecodedJwt {
  JwsAlgorithm algorithm;
  std::optional<std::string> key_id;
  std::optional<std::string> type;  // the header's typ, when present
  nlohmann::json claims;
  std::string signing_input;  // base64url(header) "." base64url(payload)
  std::string signature;      // raw bytes
};

struct ClaimRules {
  std::optional<std::string> issuer;    // required value of `iss`, when set
  std::optional<std::string> audience;  // must be `aud` or one of its entries, when set
  std::chrono::seconds leeway{30};      // clock skew tolerated on exp, nbf and iat (≤ kMaxLeeway)
  // An explicit typ header must be one of these (compared as RFC 7515 §4.1.9 says: without case
  // and with "application/" optional); a token without typ is accepted.
  std::vector<std::string> allowed_types = {"JWT", "at+jwt"};
};

// More clock skew than this is not skew: a configured leeway is capped here.
inline constexpr std::chrono::seconds kMaxLeeway{300};

// Splits and decodes a token. Failures are `unauthenticated` with a reason that never repeats
// the token.
core::Result<DecodedJwt> decode_jwt(std::string_view token, std::size_t max_bytes = 8192);

// Verifies the signature with the key that fits (by `kid`, else the only key of the algorithm),
// then the claims: exp (required), nbf, iat, iss, aud, sub (required). Returns the claims.
core::Result<nlohmann::json> verify_jwt(const DecodedJwt& jwt,
                                        const std::vector<VerificationKey>& keys,
                                        const ClaimRules& rules, core::Timestamp now);

}  // namespace oauth_manager::crypto
