#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/random_source.hpp"
#include "crypto/secret_bytes.hpp"

namespace oauth_manager::crypto {

// One AES-256 data key. The id travels in every ciphertext envelope so old keys keep decrypting
// after a new primary is loaded.
struct DataKey {
  std::string id;
  SecretBytes secret;  // 32 raw bytes; never logged
};

constexpr std::size_t kDataKeyBytes = 32;

// Parses "<kid>:<base64 of 32 bytes>". The message of a failure never contains the key material.
core::Result<DataKey> parse_data_key(std::string_view spec);
// Parses a keys file: one "<kid>:<base64>" per line, '#' comments and blank lines ignored.
// The first key is the primary.
core::Result<std::vector<DataKey>> parse_keys_file(std::string_view contents);
// A new random key in the "<kid>:<base64>" form, with a kid derived from the creation time.
std::string generate_key_spec(core::RandomSource& random, std::string_view kid);

}  // namespace oauth_manager::crypto
