#pragma once

#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/token_record.hpp"
#include "crypto/keyring.hpp"

namespace oauth_manager::manager {

// A token set in plaintext: only ever in memory, only as long as a request needs it.
struct TokenSet {
  std::string access_token;
  std::optional<std::string> refresh_token;
  std::string token_type = "Bearer";
  std::optional<core::Timestamp> expires_at;
};

// The one layer that encrypts tokens before they reach the Store and decrypts them after: the
// associated data is "<integration id>/<field>", so a ciphertext moved to another integration or
// field does not decrypt.
class TokenVault {
 public:
  explicit TokenVault(const crypto::Keyring& keyring) : keyring_(keyring) {}

  core::TokenRecord seal(const std::string& integration_id, const TokenSet& tokens,
                         core::Timestamp now) const;
  core::Result<TokenSet> open(const core::TokenRecord& record) const;
  // The access token alone (refresh_token stays empty): one decryption for a hand-out that
  // needs no refresh.
  core::Result<TokenSet> open_access(const core::TokenRecord& record) const;
  // One sealed field ("access_token" or "refresh_token") of `integration_id`, on its own (a
  // revocation job carries the ciphertext it was given).
  core::Result<std::string> open_field(const std::string& integration_id, std::string_view field,
                                       std::string_view ciphertext) const;

 private:
  const crypto::Keyring& keyring_;
};

}  // namespace oauth_manager::manager
