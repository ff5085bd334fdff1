#include "core/caller.hpp"

#include <array>

namespace oauth_manager::core {
namespace {

constexpr std::array kAllPermissions = {
    Permission::integrations_read, Permission::integrations_write, Permission::tokens_read,
    Permission::audit_read,        Permission::users_any,          Permission::admin};

}  // namespace

std::string_view permission_name(Permission permission) {
  switch (permission) {
    case Permission::integrations_read:
      return "integrations:read";
    case Permission::integrations_write:
      return "integrations:write";
    case Permission::tokens_read:
      return "tokens:read";
    case Permission::audit_read:
      return "audit:read";
    case Permission::users_any:
      return "users:any";
    case Permission::admin:
      return "admin";
  }
  return "";
}

std::optional<Permission> parse_permission(std::string_view name) {
  for (auto permission : kAllPermissions) {
    if (permission_name(permission) == name) return permission;
  }
  return std::nullopt;
}

std::vector<std::string> permission_names() {
  std::vector<std::string> names;
  for (auto permission : kAllPermissions) names.emplace_back(permission_name(permission));
  return names;
}

bool Caller::can(Permission permission) const {
  return granted.count(Permission::admin) > 0 || granted.count(permission) > 0;
}

bool Caller::may_act_for(std::string_view user_id) const {
  return user_id == subject || may_act_for_anyone();
}

}  // namespace oauth_manager::core
