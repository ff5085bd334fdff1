#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "core/random_source.hpp"

namespace oauth_manager::testing {

// A RandomSource whose every draw is the same 64-bit value (its bytes in memory order, repeated):
// what core::random_between makes of a draw is then known to the test.
class FixedRandom final : public core::RandomSource {
 public:
  explicit FixedRandom(std::uint64_t draw) : draw_(draw) {}

  std::string bytes(std::size_t count) override {
    std::string pattern(sizeof(draw_), '\0');
    std::memcpy(pattern.data(), &draw_, sizeof(draw_));
    std::string out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) out.push_back(pattern[i % pattern.size()]);
    ++draws_;
    return out;
  }

  int draws() const { return draws_; }

 private:
  std::uint64_t draw_;
  int draws_ = 0;
};

}  // namespace oauth_manager::testing
