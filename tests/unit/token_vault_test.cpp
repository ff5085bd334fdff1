#include <gtest/gtest.h>

#include "crypto/key_material.hpp"
#include "crypto/keyring.hpp"
#include "crypto/openssl_random.hpp"
#include "manager/token_vault.hpp"

namespace oauth_manager {
namespace {

constexpr const char* kKey = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

TEST(TokenVault, ACiphertextMovedToAnotherIntegrationDoesNotOpen) {
  crypto::OpenSslRandom random;
  const crypto::Keyring keyring({*crypto::parse_data_key(kKey)}, random);
  const manager::TokenVault vault(keyring);
  auto record = vault.seal("integration-1", {"access", std::string("refresh"), "Bearer", {}},
                           core::from_unix_ms(0));
  EXPECT_EQ(vault.open(record)->refresh_token, "refresh");
  record.integration_id = "integration-2";
  EXPECT_FALSE(vault.open(record));
}

}  // namespace
}  // namespace oauth_manager
