#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.hpp"

namespace oauth_manager::core {

// The stored token set of one integration. The token fields hold ciphertext envelopes only:
// encryption happens in one layer above the Store, so a backend never sees a plaintext token.
struct TokenRecord {
  std::string integration_id;
  std::string access_token_ciphertext;
  std::optional<std::string> refresh_token_ciphertext;
  std::string token_type;
  std::optional<Timestamp> expires_at;
  std::string key_id;
  // Optimistic concurrency: every successful update increments it; an update that names a stale
  // version fails, so a slower writer cannot overwrite a newer refresh token.
  std::int64_t version = 0;
  Timestamp updated_at;
};

}  // namespace oauth_manager::core
