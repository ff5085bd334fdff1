#pragma once

#include <chrono>
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

// A uniformly random duration in [low, high] (jitter), drawn from `random`: tests pin it, and no
// thread_local generator is needed (g++ 12 may keep a thread_local's address across a co_await).
std::chrono::milliseconds random_between(std::chrono::milliseconds low,
                                         std::chrono::milliseconds high, RandomSource& random);

}  // namespace oauth_manager::core
