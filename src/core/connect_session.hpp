#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace oauth_manager::core {

// A short-lived grant the application hands to the hosted connect page (/connect) for one of its
// users: the page may list the allowed providers and that user's integrations, start a connect
// or reconnect, and disconnect; nothing else. Only the SHA-256 of its bearer token is stored.
struct ConnectSession {
  std::string id;
  std::string token_hash;
  std::string user_id;
  std::vector<std::string> providers;         // the allow-list; empty: every enabled provider
  std::optional<std::string> return_to;       // the application page the connect page links back to
  std::optional<std::string> integration_id;  // a session made to reconnect this integration
  std::string created_by;                     // the audit actor that made it
  Timestamp created_at;
  Timestamp expires_at;
  std::optional<Timestamp> revoked_at;
};

}  // namespace oauth_manager::core
