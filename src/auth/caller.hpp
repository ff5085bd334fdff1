#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace oauth_manager::auth {

enum class Permission {
  integrations_read,   // "integrations:read"
  integrations_write,  // "integrations:write"
  tokens_read,         // "tokens:read"
  audit_read,          // "audit:read"
  users_any,           // "users:any": the other permissions reach every user, not just `sub`
  admin,               // "admin": everything
};

std::string_view permission_name(Permission permission);
std::optional<Permission> parse_permission(std::string_view name);

// Role name -> what it grants.
using RoleMap = std::map<std::string, std::set<Permission>>;

// user: own integrations; service: tokens and integrations of any user; admin: everything.
RoleMap default_roles();

// Who is calling, established from a verified JWT.
struct Caller {
  std::string subject;
  std::vector<std::string> roles;
  std::set<Permission> granted;
  std::optional<std::string> session_id;

  bool can(Permission permission) const;
  bool may_act_for(std::string_view user_id) const;
  std::string actor() const { return "sub:" + subject; }
};

// Grants come from the roles claim (an array, or a space-separated string) through `roles`, and
// directly from a space-separated `scope` claim naming permissions. Unknown names grant nothing.
Caller caller_from_claims(const nlohmann::json& claims, std::string_view roles_claim,
                          const RoleMap& roles);

}  // namespace oauth_manager::auth
