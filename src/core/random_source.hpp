#pragma once

#include <cstddef>
#include <string>

namespace oauth_manager::core {

// Injected wherever randomness matters (ids, state, nonces, keys) so tests can pin it.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Returns `count` uniformly random bytes.
  virtual std::string bytes(std::size_t count) = 0;
};

}  // namespace oauth_manager::core
