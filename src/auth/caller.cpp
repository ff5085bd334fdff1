#include "auth/caller.hpp"

#include "core/scopes.hpp"

namespace oauth_manager::auth {

std::string_view permission_name(Permission permission) {
  switch (permission) {
    case Permission::integrations_read: return "integrations:read";
    case Permission::integrations_write: return "integrations:write";
    case Permission::tokens_read: return "tokens:read";
    case Permission::audit_read: return "audit:read";
    case Permission::users_any: return "users:any";
    case Permission::admin: return "admin";
  }
  return "";
}

std::optional<Permission> parse_permission(std::string_view name) {
  for (auto permission : {Permission::integrations_read, Permission::integrations_write,
                          Permission::tokens_read, Permission::audit_read, Permission::users_any,
                          Permission::admin}) {
    if (permission_name(permission) == name) return permission;
  }
  return std::nullopt;
}

RoleMap default_roles() {
  return {
      {"user", {Permission::integrations_read, Permission::integrations_write}},
      {"service", {Permission::tokens_read, Permission::integrations_read, Permission::users_any}},
      {"admin", {Permission::admin}},
  };
}

bool Caller::can(Permission permission) const {
  return granted.count(Permission::admin) > 0 || granted.count(permission) > 0;
}

bool Caller::may_act_for(std::string_view user_id) const {
  return user_id == subject || can(Permission::users_any);
}

Caller caller_from_claims(const nlohmann::json& claims, std::string_view roles_claim,
                          const RoleMap& roles) {
  Caller caller;
  caller.subject = claims.value("sub", "");
  const auto roles_value = claims.find(std::string(roles_claim));
  if (roles_value != claims.end() && roles_value->is_array()) {
    for (const auto& role : *roles_value) {
      if (role.is_string()) caller.roles.push_back(role.get<std::string>());
    }
  } else if (roles_value != claims.end() && roles_value->is_string()) {
    caller.roles = core::split_scopes(roles_value->get<std::string>());
  }
  for (const auto& role : caller.roles) {
    if (const auto found = roles.find(role); found != roles.end()) {
      caller.granted.insert(found->second.begin(), found->second.end());
    }
  }
  if (const auto scope = claims.find("scope"); scope != claims.end() && scope->is_string()) {
    for (const auto& name : core::split_scopes(scope->get<std::string>())) {
      if (const auto permission = parse_permission(name)) caller.granted.insert(*permission);
    }
  }
  return caller;
}

}  // namespace oauth_manager::auth
