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

namespace {

void grant_prefixed_scopes(core::Caller& caller, const nlohmann::json& claims,
                           const std::string& prefix) {
  const auto scope = claims.find("scope");
  if (scope == claims.end() || !scope->is_string()) return;
  for (const auto& word : core::split_scopes(scope->get<std::string>())) {
    if (word.size() <= prefix.size() || word.compare(0, prefix.size(), prefix) != 0) continue;
    if (const auto permission = core::parse_permission(word.substr(prefix.size()))) {
      caller.granted.insert(*permission);
    }
  }
}

}  // namespace

core::Caller caller_from_claims(const nlohmann::json& claims, const PermissionClaims& where,
                                const RoleMap& roles) {
  core::Caller caller;
  caller.subject = claims.value("sub", "");
  const auto roles_value = claims.find(where.roles_claim);
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
  if (where.scope_prefix) grant_prefixed_scopes(caller, claims, *where.scope_prefix);
  return caller;
}

}  // namespace oauth_manager::auth
