#pragma once

#include <optional>
#include <string>

#include "core/caller.hpp"
#include "core/error.hpp"

namespace oauth_manager::manager {

// The user a request is about: `requested` if the caller may act for it, else the caller itself.
// not_found for another user's id without users:any.
core::Result<std::string> resolve_user(const core::Caller& caller,
                                       const std::optional<std::string>& requested);

}  // namespace oauth_manager::manager
