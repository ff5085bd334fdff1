#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace oauth_manager::core {

// A pending authorization request. Only the SHA-256 of the state value is stored, so a database
// leak cannot be replayed against the callback; the PKCE verifier is stored encrypted.
struct AuthState {
  std::string state_hash;
  std::string user_id;
  std::string provider;
  std::string pkce_verifier_ciphertext;
  std::optional<std::string> nonce;
  std::vector<std::string> requested_scopes;
  std::optional<std::string> return_to;
  Timestamp created_at;
  Timestamp expires_at;
  std::optional<Timestamp> consumed_at;
  // The browser binding (RFC 9700 §4.7): the start link's id and the cookie set by its first
  // visit are stored as SHA-256 only; the provider URL the start link leads to, encrypted.
  std::string flow_hash;
  std::string start_url_ciphertext;
  std::optional<std::string> browser_hash;  // set once, by the first visit of the start link
  // A reconnect of this integration: the account that comes back must be the same one.
  std::optional<std::string> reconnect_integration_id;
};

}  // namespace oauth_manager::core
