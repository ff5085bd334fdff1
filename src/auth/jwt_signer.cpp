#include "auth/jwt_signer.hpp"

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace oauth_manager::auth {

std::string sign_hs256_jwt(const nlohmann::json& claims, std::string_view secret) {
  const nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  auto signing_input =
      crypto::base64url_encode(header.dump()) + "." + crypto::base64url_encode(claims.dump());
  const auto signature = crypto::hmac_sha256(secret, signing_input);
  return signing_input + "." + crypto::base64url_encode(signature);
}

}  // namespace oauth_manager::auth
