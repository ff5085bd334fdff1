#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace oauth_manager::crypto {

// An RSA key that signs JWTs with RS256, made fresh in memory (never stored). Only the demo
// provider signs anything; the service itself only verifies what others signed.
class RsaSigningKey {
 public:
  static RsaSigningKey generate(std::string kid);

  // The compact JWS of `claims`, with `kid` in the header.
  std::string sign_jwt(const nlohmann::json& claims) const;
  // The public half as a JWK (RFC 7517): kty, n, e, kid, use, alg.
  nlohmann::json public_jwk() const;

 private:
  RsaSigningKey(std::shared_ptr<void> key, std::string kid)
      : key_(std::move(key)), kid_(std::move(kid)) {}

  std::shared_ptr<void> key_;  // EVP_PKEY, kept opaque so OpenSSL stays out of the header
  std::string kid_;
};

}  // namespace oauth_manager::crypto
