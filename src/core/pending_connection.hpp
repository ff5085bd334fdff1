#pragma once

#include <string>

#include "core/clock.hpp"

namespace oauth_manager::core {

// A connect flow the provider finished, held until the application confirms that the user
// whose session reached its confirm_url is the one who began the flow (RFC 9700 §4.7: a start
// link forwarded to someone else). Only the SHA-256 of the one-time id the browser carried is
// stored; the connection itself (account, scopes, tokens) is one encrypted payload.
struct PendingConnection {
  std::string id_hash;
  std::string user_id;  // who began the flow
  std::string provider;
  std::string payload_ciphertext;
  Timestamp created_at;
  Timestamp expires_at;
};

}  // namespace oauth_manager::core
