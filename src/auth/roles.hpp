#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/caller.hpp"

namespace oauth_manager::auth {

// Role name -> what it grants.
using RoleMap = std::map<std::string, std::set<core::Permission>>;

// user: own integrations; service: tokens and integrations of any user; admin: everything.
RoleMap default_roles();

// Where a caller's JWT says what it may do.
struct PermissionClaims {
  std::string roles_claim = "roles";  // an array, or a space-separated string, of role names
  // Scope words with this prefix name a permission directly ("<prefix>tokens:read"). Unset, the
  // `scope` claim grants nothing: another API's scopes ("admin", "read") must never become ours.
  std::optional<std::string> scope_prefix;
};

// Grants come from the configured roles claim through `roles`, and from prefixed scope words.
// Unknown names grant nothing.
core::Caller caller_from_claims(const nlohmann::json& claims, const PermissionClaims& where,
                                const RoleMap& roles);

}  // namespace oauth_manager::auth
