#include "auth/roles.hpp"

#include "core/scopes.hpp"

namespace oauth_manager::auth {

using core::Permission;

RoleMap default_roles() {
  return {
      {"user", {Permission::integrations_read, Permission::integrations_write}},
      {"service", {Permission::tokens_read, Permission::integrations_read, Permission::users_any}},
      {"admin", {Permission::admin}},
  };
}

core::Caller caller_from_claims(const nlohmann::json& claims, std::string_view roles_claim,
                                const RoleMap& roles) {
  core::Caller caller;
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
      if (const auto permission = core::parse_permission(name)) caller.granted.insert(*permission);
    }
  }
  return caller;
}

}  // namespace oauth_manager::auth
