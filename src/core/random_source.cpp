#include "core/random_source.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace oauth_manager::core {

std::chrono::milliseconds random_between(std::chrono::milliseconds low,
                                         std::chrono::milliseconds high, RandomSource& random) {
  if (high <= low) return low;
  const auto bytes = random.bytes(sizeof(std::uint64_t));
  std::uint64_t draw = 0;
  std::memcpy(&draw, bytes.data(), std::min(bytes.size(), sizeof(draw)));
  // The span is at most minutes in milliseconds, so the modulo bias is below 2^-40.
  const auto span = static_cast<std::uint64_t>((high - low).count()) + 1;
  return low + std::chrono::milliseconds(static_cast<std::int64_t>(draw % span));
}

}  // namespace oauth_manager::core
