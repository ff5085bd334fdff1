#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "crypto/jws_algorithm.hpp"
#include "crypto/secret_bytes.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace oauth_manager::crypto {

// A key that can verify JWS signatures of exactly one algorithm: the algorithm comes from the
// key's type, never from the token, so an RSA public key can never be used as an HMAC secret.
class VerificationKey {
 public:
  static core::Result<VerificationKey> hmac(std::string_view secret);
  // A PEM "PUBLIC KEY": RSA (RS256, at least 2048 bits) or EC P-256 (ES256).
  static core::Result<VerificationKey> from_pem(std::string_view pem);
  // One JWK: kty RSA (n, e) or EC (crv P-256, x, y); `use` other than "sig" and `alg` other than
  // the key type's are refused.
  static core::Result<VerificationKey> from_jwk(const nlohmann::json& jwk);

  JwsAlgorithm algorithm() const { return algorithm_; }
  const std::optional<std::string>& key_id() const { return key_id_; }
  bool verify(std::string_view signing_input, std::string_view signature) const;

 private:
  VerificationKey(JwsAlgorithm algorithm, std::optional<std::string> key_id)
      : algorithm_(algorithm), key_id_(std::move(key_id)) {}

  JwsAlgorithm algorithm_;
  std::optional<std::string> key_id_;
  SecretBytes hmac_secret_;
  std::shared_ptr<EVP_PKEY> public_key_;
};

// Parses a JWK Set document. Keys we cannot use (other types, encryption keys) are skipped;
// a document without a single usable key is an error.
core::Result<std::vector<VerificationKey>> parse_jwks(std::string_view document);

}  // namespace oauth_manager::crypto
