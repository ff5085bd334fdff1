#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace oauth_manager::core {

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
// Every permission's name, for messages and suggestions.
std::vector<std::string> permission_names();

// Who is calling, as the application vouched for it in a verified JWT.
struct Caller {
  std::string subject;  // the user id the application logged in
  std::vector<std::string> roles;
  std::set<Permission> granted;
  std::optional<std::string> session_id;
  // Set when the hosted connect page calls with a connect session's token instead of a JWT.
  std::optional<std::string> connect_session_id;

  bool can(Permission permission) const;
  // The caller's own records, or anyone's with users:any (or admin).
  bool may_act_for(std::string_view user_id) const;
  bool may_act_for_anyone() const { return can(Permission::users_any); }
  // How the audit trail names this caller.
  std::string actor() const {
    return connect_session_id ? "connect_session:" + *connect_session_id : "sub:" + subject;
  }
};

}  // namespace oauth_manager::core
