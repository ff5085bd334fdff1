#include "crypto/verification_key.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"

namespace oauth_manager::crypto {
namespace {

using core::Code;

// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
constexpr std::size_t kMinHmacSecretBytes = 32;
// NIST SP 800-131A: RSA keys below 2048 bits are not acceptable for signatures.
constexpr int kMinRsaBits = 2048;
constexpr std::size_t kEs256SignatureBytes = 64;

core::Error key_error(std::string message) {
  return core::make_error(Code::invalid_request, std::move(message));
}

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) { return {key, &EVP_PKEY_free}; }

core::Result<JwsAlgorithm> algorithm_for(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
      return key_error(fmt::format("RSA keys must have at least {} bits", kMinRsaBits));
    }
    return JwsAlgorithm::rs256;
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &length) != 1 ||
        std::string_view(group) != "prime256v1") {
      return key_error("EC keys must be on curve P-256 (ES256)");
    }
    return JwsAlgorithm::es256;
  }
  return key_error("only RSA (RS256) and EC P-256 (ES256) public keys are supported");
}

core::Result<std::shared_ptr<EVP_PKEY>> key_from_params(const char* type, OSSL_PARAM_BLD* builder) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(builder);
  EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  const bool ok = params != nullptr && context != nullptr && EVP_PKEY_fromdata_init(context) == 1 &&
                  EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(context);
  OSSL_PARAM_free(params);
  if (!ok) return key_error(fmt::format("the {} key parameters do not form a valid key", type));
  return own(key);
}

std::optional<std::string> member(const nlohmann::json& jwk, const char* name) {
  const auto found = jwk.find(name);
  if (found == jwk.end() || !found->is_string()) return std::nullopt;
  return found->get<std::string>();
}

core::Result<std::shared_ptr<EVP_PKEY>> rsa_from_jwk(const nlohmann::json& jwk) {
  const auto n = member(jwk, "n");
  const auto e = member(jwk, "e");
  const auto modulus = n ? base64url_decode(*n) : std::nullopt;
  const auto exponent = e ? base64url_decode(*e) : std::nullopt;
  if (!modulus || !exponent || modulus->empty() || exponent->empty()) {
    return key_error("an RSA JWK needs base64url members n and e");
  }
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(modulus->data()),
                           static_cast<int>(modulus->size()), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(exponent->data()),
                           static_cast<int>(exponent->size()), nullptr);
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, bn_e);
  auto key = key_from_params("RSA", builder);
  OSSL_PARAM_BLD_free(builder);
  BN_free(bn_n);
  BN_free(bn_e);
  return key;
}

core::Result<std::shared_ptr<EVP_PKEY>> ec_from_jwk(const nlohmann::json& jwk) {
  if (member(jwk, "crv") != "P-256") return key_error("EC JWKs must use crv P-256");
  const auto x = member(jwk, "x");
  const auto y = member(jwk, "y");
  const auto x_bytes = x ? base64url_decode(*x) : std::nullopt;
  const auto y_bytes = y ? base64url_decode(*y) : std::nullopt;
  if (!x_bytes || !y_bytes || x_bytes->size() != 32 || y_bytes->size() != 32) {
    return key_error("an EC P-256 JWK needs 32-byte base64url members x and y");
  }
  // SEC 1 §2.3.3 uncompressed point: 0x04 || x || y.
  const std::string point = std::string(1, '\x04') + *x_bytes + *y_bytes;
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  auto key = key_from_params("EC", builder);
  OSSL_PARAM_BLD_free(builder);
  return key;
}

// JWS ES256 signatures are r || s (RFC 7518 §3.4); OpenSSL verifies DER.
std::optional<std::string> es256_signature_to_der(std::string_view signature) {
  if (signature.size() != kEs256SignatureBytes) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (length <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

bool verify_with_public_key(EVP_PKEY* key, std::string_view input, std::string_view signature) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const bool ok =
      context != nullptr &&
      EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) == 1;
  EVP_MD_CTX_free(context);
  return ok;
}

}  // namespace

core::Result<VerificationKey> VerificationKey::hmac(std::string_view secret) {
  if (secret.size() < kMinHmacSecretBytes) {
    return key_error(fmt::format("an HS256 secret must be at least {} bytes", kMinHmacSecretBytes));
  }
  VerificationKey key(JwsAlgorithm::hs256, std::nullopt);
  key.hmac_secret_ = SecretBytes(secret);
  return key;
}

core::Result<VerificationKey> VerificationKey::from_pem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (raw == nullptr) return key_error("not a PEM public key (\"-----BEGIN PUBLIC KEY-----\")");
  auto public_key = own(raw);
  auto algorithm = algorithm_for(public_key.get());
  if (!algorithm) return algorithm.error();
  VerificationKey key(*algorithm, std::nullopt);
  key.public_key_ = std::move(public_key);
  return key;
}

core::Result<VerificationKey> VerificationKey::from_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return key_error("a JWK must be a JSON object");
  if (const auto use = member(jwk, "use"); use && *use != "sig") {
    return key_error("the JWK is not a signing key");
  }
  const auto kty = member(jwk, "kty");
  core::Result<std::shared_ptr<EVP_PKEY>> public_key = key_error("unsupported JWK kty");
  if (kty == "RSA") public_key = rsa_from_jwk(jwk);
  if (kty == "EC") public_key = ec_from_jwk(jwk);
  if (!public_key) return public_key.error();
  auto algorithm = algorithm_for(public_key->get());
  if (!algorithm) return algorithm.error();
  if (const auto alg = member(jwk, "alg"); alg && *alg != algorithm_name(*algorithm)) {
    return key_error(fmt::format("the JWK's alg {} does not fit its key type", *alg));
  }
  VerificationKey key(*algorithm, member(jwk, "kid"));
  key.public_key_ = std::move(*public_key);
  return key;
}

bool VerificationKey::verify(std::string_view signing_input, std::string_view signature) const {
  switch (algorithm_) {
    case JwsAlgorithm::hs256:
      return constant_time_equal(hmac_sha256(hmac_secret_.view(), signing_input), signature);
    case JwsAlgorithm::rs256:
      return verify_with_public_key(public_key_.get(), signing_input, signature);
    case JwsAlgorithm::es256: {
      const auto der = es256_signature_to_der(signature);
      return der && verify_with_public_key(public_key_.get(), signing_input, *der);
    }
  }
  return false;
}

core::Result<std::vector<VerificationKey>> parse_jwks(std::string_view document) {
  const auto json = nlohmann::json::parse(document, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("keys") ||
      !json["keys"].is_array()) {
    return key_error("the JWKS document is not {\"keys\": [...]}");
  }
  std::vector<VerificationKey> keys;
  for (const auto& jwk : json["keys"]) {
    auto key = VerificationKey::from_jwk(jwk);
    if (key) keys.push_back(std::move(*key));
  }
  if (keys.empty()) return key_error("the JWKS document has no RS256 or ES256 signing key");
  return keys;
}

}  // namespace oauth_manager::crypto
