#pragma once

#include <string>

#include "core/random_source.hpp"

namespace oauth_manager::crypto {

// RFC 7636: a verifier of 43 characters (32 random bytes, base64url) and its S256 challenge.
std::string new_pkce_verifier(core::RandomSource& random);
std::string pkce_s256_challenge(const std::string& verifier);

// 256 bits of randomness, base64url: OAuth state values and OIDC nonces.
std::string new_random_token(core::RandomSource& random);

}  // namespace oauth_manager::crypto
