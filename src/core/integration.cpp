#include "core/integration.hpp"

namespace oauth_manager::core {

std::string_view status_name(IntegrationStatus status) {
  switch (status) {
    case IntegrationStatus::active:
      return "active";
    case IntegrationStatus::needs_reauth:
      return "needs_reauth";
    case IntegrationStatus::revoked:
      return "revoked";
  }
  return "active";
}

std::optional<IntegrationStatus> parse_status(std::string_view name) {
  for (auto status :
       {IntegrationStatus::active, IntegrationStatus::needs_reauth, IntegrationStatus::revoked}) {
    if (status_name(status) == name) return status;
  }
  return std::nullopt;
}

}  // namespace oauth_manager::core
