#pragma once

#include "core/clock.hpp"

namespace oauth_manager::core {

// After transient refresh failures (network, 5xx, 429): how many in a row, and before when no
// replica may call the provider for this integration again.
struct RefreshBackoff {
  int failures = 0;
  Timestamp retry_at;
};

}  // namespace oauth_manager::core
