#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace oauth_manager::core {

enum class IntegrationStatus { active, needs_reauth, revoked };

std::string_view status_name(IntegrationStatus status);
std::optional<IntegrationStatus> parse_status(std::string_view name);

// One connected third-party account of one user. Keyed by (user_id, provider,
// provider_account_id): a second account at the same provider is a second integration.
struct Integration {
  std::string id;
  std::string user_id;
  std::string provider;
  std::string provider_account_id;
  std::optional<std::string> account_email;
  std::optional<std::string> account_name;
  IntegrationStatus status = IntegrationStatus::active;
  std::vector<std::string> granted_scopes;
  Timestamp created_at;
  Timestamp updated_at;
  std::optional<Timestamp> last_refreshed_at;
};

}  // namespace oauth_manager::core
