#include "support/signing_keys.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace oauth_manager::testing {
namespace {

std::shared_ptr<EVP_PKEY> owned(EVP_PKEY* key) {
  if (key == nullptr) throw std::runtime_error("test key generation failed");
  return {key, EVP_PKEY_free};
}

std::string bn_param(EVP_PKEY* key, const char* name, std::size_t pad_to = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("no key parameter");
  const auto size = std::max(static_cast<std::size_t>(BN_num_bytes(bn)), pad_to);
  std::string bytes(size, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(size));
  BN_free(bn);
  return bytes;
}

std::string digest_sign(EVP_PKEY* key, const std::string& input) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  std::size_t length = 0;
  std::string signature;
  if (EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(context, nullptr, &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1) {
    signature.resize(length);
    if (EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      length = 0;
    }
  }
  EVP_MD_CTX_free(context);
  if (length == 0) throw std::runtime_error("test signing failed");
  signature.resize(length);
  return signature;
}

// JWS ES256 signatures are r || s, 32 bytes each (RFC 7518 §3.4), not OpenSSL's DER.
std::string der_to_jose(const std::string& der) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &bytes, static_cast<long>(der.size()));
  if (sig == nullptr) throw std::runtime_error("bad ECDSA signature");
  std::string jose(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(jose.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(jose.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return jose;
}

}  // namespace

SigningKey SigningKey::rsa(std::string kid, int bits) {
  return SigningKey(owned(EVP_RSA_gen(static_cast<unsigned>(bits))), true, std::move(kid));
}

SigningKey SigningKey::ec_p256(std::string kid) {
  return SigningKey(owned(EVP_EC_gen("P-256")), false, std::move(kid));
}

std::string SigningKey::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key_.get());
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

nlohmann::json SigningKey::public_jwk() const {
  nlohmann::json jwk;
  if (rsa_) {
    jwk = {{"kty", "RSA"},
           {"n", crypto::base64url_encode(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N))},
           {"e", crypto::base64url_encode(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E))},
           {"alg", "RS256"}};
  } else {
    jwk = {{"kty", "EC"},
           {"crv", "P-256"},
           {"x", crypto::base64url_encode(bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32))},
           {"y", crypto::base64url_encode(bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32))},
           {"alg", "ES256"}};
  }
  jwk["use"] = "sig";
  if (!kid_.empty()) jwk["kid"] = kid_;
  return jwk;
}

std::string SigningKey::sign(const nlohmann::json& claims, const nlohmann::json& header) const {
  nlohmann::json full = {{"alg", algorithm()}, {"typ", "JWT"}};
  if (!kid_.empty()) full["kid"] = kid_;
  full.update(header);
  const auto input =
      crypto::base64url_encode(full.dump()) + "." + crypto::base64url_encode(claims.dump());
  auto signature = digest_sign(key_.get(), input);
  if (!rsa_) signature = der_to_jose(signature);
  return input + "." + crypto::base64url_encode(signature);
}

std::string sign_hs256(const nlohmann::json& claims, const std::string& secret,
                       const nlohmann::json& header) {
  nlohmann::json full = {{"alg", "HS256"}, {"typ", "JWT"}};
  full.update(header);
  const auto input =
      crypto::base64url_encode(full.dump()) + "." + crypto::base64url_encode(claims.dump());
  return input + "." + crypto::base64url_encode(crypto::hmac_sha256(secret, input));
}

std::string assemble_jws(const nlohmann::json& header, const nlohmann::json& claims,
                         const std::string& signature) {
  return crypto::base64url_encode(header.dump()) + "." + crypto::base64url_encode(claims.dump()) +
         "." + crypto::base64url_encode(signature);
}

std::string jwks_document(const std::vector<nlohmann::json>& jwks) {
  return nlohmann::json{{"keys", jwks}}.dump();
}

}  // namespace oauth_manager::testing
