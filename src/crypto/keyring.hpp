#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/random_source.hpp"
#include "crypto/key_material.hpp"

namespace oauth_manager::crypto {

// AES-256-GCM under a set of data keys, the first being the primary. Every value gets a fresh
// 96-bit random nonce; the associated data binds a ciphertext to where it belongs (row and
// field), so a ciphertext copied to another row or field fails to decrypt.
//
// Envelope: 0x01 | kid length (1 byte) | kid | nonce (12) | ciphertext | tag (16).
class Keyring {
 public:
  // `keys` must not be empty (the configuration guarantees it).
  Keyring(std::vector<DataKey> keys, core::RandomSource& random);

  std::string encrypt(std::string_view plaintext, std::string_view associated_data) const;
  // `internal` on a tampered envelope, the wrong associated data, or a key id that is not
  // loaded (a message naming the kid, never garbage).
  core::Result<std::string> decrypt(std::string_view envelope,
                                    std::string_view associated_data) const;

  const std::string& primary_id() const { return keys_.front().id; }
  // The key id an envelope was sealed with, without decrypting it.
  static core::Result<std::string> key_id_of(std::string_view envelope);

 private:
  const DataKey* find(std::string_view kid) const;

  std::vector<DataKey> keys_;
  core::RandomSource& random_;
};

}  // namespace oauth_manager::crypto
