#pragma once

#include <string>
#include <string_view>

namespace oauth_manager::crypto {

// Raw 32-byte SHA-256 digest.
std::string sha256(std::string_view data);
// Lowercase hex of the SHA-256 digest.
std::string sha256_hex(std::string_view data);
// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);
// Compares secrets in time independent of where they differ (CRYPTO_memcmp), never with ==.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace oauth_manager::crypto
