#pragma once

#include <string>

namespace oauth_manager::core {

// A scope a provider is known to offer, with a description a user can understand.
struct ScopeInfo {
  std::string provider;
  std::string name;
  std::string description;
};

}  // namespace oauth_manager::core
