#pragma once

#include <map>
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

// Grants come from the roles claim (an array, or a space-separated string) through `roles`, and
// directly from a space-separated `scope` claim naming permissions. Unknown names grant nothing.
core::Caller caller_from_claims(const nlohmann::json& claims, std::string_view roles_claim,
                                const RoleMap& roles);

}  // namespace oauth_manager::auth
