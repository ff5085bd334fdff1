#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oauth_manager::core {

// RFC 6749 §3.3: a scope list is space-delimited and scope tokens never contain a space.
std::string join_scopes(const std::vector<std::string>& scopes);
std::vector<std::string> split_scopes(std::string_view joined);

}  // namespace oauth_manager::core
