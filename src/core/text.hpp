#pragma once

#include <string>
#include <string_view>

namespace oauth_manager::core {

// ASCII-only lowercasing, for protocol tokens (header names, schemes, hosts): never locale-aware.
std::string ascii_lowercase(std::string_view text);

}  // namespace oauth_manager::core
