#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

typedef struct evp_pkey_st EVP_PKEY;

namespace oauth_manager::testing {

// A private key generated for one test, to sign the JWTs a real application (or a provider's
// id_token) would send. The service under test only ever sees the public half.
class SigningKey {
 public:
  static SigningKey rsa(std::string kid = "", int bits = 2048);
  static SigningKey ec_p256(std::string kid = "");

  const std::string& kid() const { return kid_; }
  std::string algorithm() const { return rsa_ ? "RS256" : "ES256"; }
  std::string public_pem() const;
  nlohmann::json public_jwk() const;
  // A compact JWS over `claims`; `header` entries are added to {alg, typ, kid}.
  std::string sign(const nlohmann::json& claims,
                   const nlohmann::json& header = nlohmann::json::object()) const;

 private:
  SigningKey(std::shared_ptr<EVP_PKEY> key, bool rsa, std::string kid)
      : key_(std::move(key)), rsa_(rsa), kid_(std::move(kid)) {}
  std::shared_ptr<EVP_PKEY> key_;
  bool rsa_;
  std::string kid_;
};

// HS256 with `secret`; `header` entries override {alg, typ}.
std::string sign_hs256(const nlohmann::json& claims, const std::string& secret,
                       const nlohmann::json& header = nlohmann::json::object());

// base64url(header) "." base64url(claims) "." base64url(signature), with nothing checked:
// for building malformed tokens.
std::string assemble_jws(const nlohmann::json& header, const nlohmann::json& claims,
                         const std::string& signature);

// {"keys": [...]} of the given public JWKs.
std::string jwks_document(const std::vector<nlohmann::json>& jwks);

}  // namespace oauth_manager::testing
