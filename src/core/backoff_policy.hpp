#pragma once

#include <chrono>
#include <optional>

#include "core/random_source.hpp"

namespace oauth_manager::core {

struct BackoffPolicy {
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds max{std::chrono::minutes(5)};
};

// How long to leave a failing peer (a provider's token endpoint, the application's webhook URL)
// alone after `failures` earlier failures in a row: exponential (base, 2·base, 4·base, ... up to
// max) with jitter between half and all of the step, so replicas that failed together do not
// retry together. The peer's own Retry-After is a floor: we never call again sooner than it asked.
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int failures,
                                        std::optional<std::chrono::seconds> provider_asked,
                                        RandomSource& random);

}  // namespace oauth_manager::core
