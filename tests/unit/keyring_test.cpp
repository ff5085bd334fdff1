#include <gtest/gtest.h>

#include "crypto/key_material.hpp"
#include "crypto/keyring.hpp"
#include "crypto/openssl_random.hpp"

namespace oauth_manager {
namespace {

constexpr const char* kKey = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

TEST(Keyring, SealsWithThePrimaryAndOpensWithAnyLoadedKey) {
  crypto::OpenSslRandom random;
  const auto old_key = *crypto::parse_data_key("old:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  const auto new_key = *crypto::parse_data_key("new:HxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwIBAB8eHR0=");
  const crypto::Keyring before({old_key}, random);
  const auto sealed = before.encrypt("ya29.secret", "integration-1/access_token");
  EXPECT_EQ(sealed.find("ya29.secret"), std::string::npos);
  EXPECT_NE(sealed, before.encrypt("ya29.secret", "integration-1/access_token"));  // fresh nonce
  const crypto::Keyring after({new_key, old_key}, random);
  EXPECT_EQ(after.decrypt(sealed, "integration-1/access_token").value(), "ya29.secret");
  EXPECT_EQ(crypto::Keyring::key_id_of(after.encrypt("x", "a")).value(), "new");
}

TEST(Keyring, RefusesWrongPlacesTamperingAndUnknownKeys) {
  crypto::OpenSslRandom random;
  const crypto::Keyring keyring({*crypto::parse_data_key(kKey)}, random);
  auto sealed = keyring.encrypt("refresh-secret", "integration-1/refresh_token");
  EXPECT_FALSE(keyring.decrypt(sealed, "integration-2/refresh_token"));
  EXPECT_FALSE(keyring.decrypt(sealed, "integration-1/access_token"));
  auto tampered = sealed;
  tampered[tampered.size() - 20] ^= 0x01;
  EXPECT_FALSE(keyring.decrypt(tampered, "integration-1/refresh_token"));
  EXPECT_FALSE(keyring.decrypt(sealed.substr(0, 10), "integration-1/refresh_token"));
  const crypto::Keyring other(
      {*crypto::parse_data_key("k9:HxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwIBAB8eHR0=")}, random);
  const auto unknown = other.decrypt(sealed, "integration-1/refresh_token");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("\"k1\" that sealed this value is not loaded"),
            std::string::npos);
}

}  // namespace
}  // namespace oauth_manager
