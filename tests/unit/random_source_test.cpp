#include "core/random_source.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "support/fixed_random.hpp"

namespace oauth_manager::core {
namespace {

using namespace std::chrono_literals;
using testing::FixedRandom;

TEST(RandomBetween, BothBoundsAreReachableAndNothingOutside) {
  FixedRandom zero(0);
  EXPECT_EQ(random_between(100ms, 200ms, zero), 100ms);
  FixedRandom top(100);  // the span holds 101 values
  EXPECT_EQ(random_between(100ms, 200ms, top), 200ms);
  FixedRandom wrapped(101);
  EXPECT_EQ(random_between(100ms, 200ms, wrapped), 100ms);
  for (const std::uint64_t draw : {std::uint64_t{7}, std::uint64_t{0x0123456789abcdef},
                                   std::numeric_limits<std::uint64_t>::max()}) {
    FixedRandom random(draw);
    const auto value = random_between(100ms, 200ms, random);
    EXPECT_GE(value, 100ms) << draw;
    EXPECT_LE(value, 200ms) << draw;
  }
}

TEST(RandomBetween, EqualOrInvertedBoundsGiveTheLowOneWithoutADraw) {
  FixedRandom random(12345);
  EXPECT_EQ(random_between(250ms, 250ms, random), 250ms);
  EXPECT_EQ(random_between(300ms, 200ms, random), 300ms);
  EXPECT_EQ(random.draws(), 0);
}

}  // namespace
}  // namespace oauth_manager::core
