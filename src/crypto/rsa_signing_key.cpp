#include "crypto/rsa_signing_key.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <stdexcept>
#include <vector>

#include "crypto/encoding.hpp"

namespace oauth_manager::crypto {
namespace {

constexpr unsigned kBits = 2048;

EVP_PKEY* pkey(const std::shared_ptr<void>& key) { return static_cast<EVP_PKEY*>(key.get()); }

std::string big_endian(EVP_PKEY* key, const char* name) {
  BIGNUM* number = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &number) != 1) {
    throw std::runtime_error("the RSA key has no parameter " + std::string(name));
  }
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(number)), '\0');
  BN_bn2bin(number, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(number);
  return bytes;
}

}  // namespace

RsaSigningKey RsaSigningKey::generate(std::string kid) {
  EVP_PKEY* key = EVP_RSA_gen(kBits);
  if (key == nullptr) throw std::runtime_error("RSA key generation failed");
  return RsaSigningKey(
      std::shared_ptr<void>(key, [](void* owned) { EVP_PKEY_free(static_cast<EVP_PKEY*>(owned)); }),
      std::move(kid));
}

std::string RsaSigningKey::sign_jwt(const nlohmann::json& claims) const {
  const nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kid_}};
  const auto input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  std::size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (!context ||
      EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, pkey(key_)) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &length, data, input.size()) != 1) {
    throw std::runtime_error("RS256 signing failed");
  }
  std::vector<unsigned char> signature(length);
  if (EVP_DigestSign(context.get(), signature.data(), &length, data, input.size()) != 1) {
    throw std::runtime_error("RS256 signing failed");
  }
  return input + "." +
         base64url_encode(
             std::string_view(reinterpret_cast<const char*>(signature.data()), length));
}

nlohmann::json RsaSigningKey::public_jwk() const {
  return {{"kty", "RSA"},
          {"n", base64url_encode(big_endian(pkey(key_), OSSL_PKEY_PARAM_RSA_N))},
          {"e", base64url_encode(big_endian(pkey(key_), OSSL_PKEY_PARAM_RSA_E))},
          {"kid", kid_},
          {"use", "sig"},
          {"alg", "RS256"}};
}

}  // namespace oauth_manager::crypto
