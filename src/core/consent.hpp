#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace oauth_manager::core {

// One entry of the append-only consent ledger: what was asked, what the provider granted (it may
// grant fewer scopes), and when the grant ended.
struct Consent {
  std::string id;
  std::string user_id;
  std::string integration_id;
  std::vector<std::string> requested_scopes;
  std::vector<std::string> granted_scopes;
  Timestamp created_at;
  std::optional<std::string> ip;
  std::optional<std::string> user_agent;
  std::optional<Timestamp> revoked_at;
};

}  // namespace oauth_manager::core
