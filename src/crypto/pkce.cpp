#include "crypto/pkce.hpp"

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace oauth_manager::crypto {

std::string new_pkce_verifier(core::RandomSource& random) {
  return base64url_encode(random.bytes(32));
}

std::string pkce_s256_challenge(const std::string& verifier) {
  return base64url_encode(sha256(verifier));
}

std::string new_random_token(core::RandomSource& random) {
  return base64url_encode(random.bytes(32));
}

}  // namespace oauth_manager::crypto
