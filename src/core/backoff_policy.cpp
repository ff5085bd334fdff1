#include "core/backoff_policy.hpp"

#include <algorithm>
#include <cstdint>

namespace oauth_manager::core {

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int failures,
                                        std::optional<std::chrono::seconds> provider_asked,
                                        RandomSource& random) {
  const auto doublings = std::clamp(failures, 0, 20);
  const auto step =
      std::min<std::chrono::milliseconds>(policy.max, policy.base * (std::int64_t{1} << doublings));
  const auto jittered = random_between(step / 2, step, random);
  return std::max<std::chrono::milliseconds>(jittered,
                                             provider_asked.value_or(std::chrono::seconds(0)));
}

}  // namespace oauth_manager::core
