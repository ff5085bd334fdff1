#include "manager/backoff_policy.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace oauth_manager::manager {

std::chrono::milliseconds random_between(std::chrono::milliseconds low,
                                         std::chrono::milliseconds high,
                                         core::RandomSource& random) {
  if (high <= low) return low;
  const auto bytes = random.bytes(sizeof(std::uint64_t));
  std::uint64_t draw = 0;
  std::memcpy(&draw, bytes.data(), std::min(bytes.size(), sizeof(draw)));
  // The span is at most minutes in milliseconds, so the modulo bias is below 2^-40.
  const auto span = static_cast<std::uint64_t>((high - low).count()) + 1;
  return low + std::chrono::milliseconds(static_cast<std::int64_t>(draw % span));
}

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int failures,
                                        std::optional<std::chrono::seconds> provider_asked,
                                        core::RandomSource& random) {
  const auto doublings = std::clamp(failures, 0, 20);
  const auto step =
      std::min<std::chrono::milliseconds>(policy.max, policy.base * (std::int64_t{1} << doublings));
  const auto jittered = random_between(step / 2, step, random);
  return std::max<std::chrono::milliseconds>(jittered,
                                             provider_asked.value_or(std::chrono::seconds(0)));
}

}  // namespace oauth_manager::manager
