#include "core/backoff_policy.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "support/fixed_random.hpp"

namespace oauth_manager::core {
namespace {

using namespace std::chrono_literals;
using testing::FixedRandom;

// random_between(step / 2, step) picks step / 2 + draw % (step / 2 + 1) for an even step.
FixedRandom lowest() { return FixedRandom(0); }
FixedRandom highest(std::chrono::milliseconds step) {
  return FixedRandom(static_cast<std::uint64_t>(step.count() / 2));
}

TEST(BackoffDelay, StepsDoubleFromTheBaseUpToTheMax) {
  const core::BackoffPolicy policy{1000ms, 8000ms};
  const std::chrono::milliseconds steps[] = {1s, 2s, 4s, 8s, 8s, 8s};
  for (int failures = 0; failures < 6; ++failures) {
    const auto step = steps[failures];
    auto top = highest(step);
    EXPECT_EQ(core::backoff_delay(policy, failures, std::nullopt, top), step) << failures;
    auto bottom = lowest();
    EXPECT_EQ(core::backoff_delay(policy, failures, std::nullopt, bottom), step / 2) << failures;
  }
}

TEST(BackoffDelay, JitterStaysWithinHalfToAllOfTheStep) {
  const core::BackoffPolicy policy;
  for (const std::uint64_t draw :
       {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{499}, std::uint64_t{500},
        std::uint64_t{501}, std::uint64_t{0x0123456789abcdef},
        std::numeric_limits<std::uint64_t>::max()}) {
    for (int failures = 0; failures < 12; ++failures) {
      FixedRandom random(draw);
      const auto step = std::min<std::chrono::milliseconds>(
          policy.max, policy.base * (std::int64_t{1} << failures));
      const auto delay = core::backoff_delay(policy, failures, std::nullopt, random);
      EXPECT_GE(delay, step / 2) << "draw " << draw << ", failures " << failures;
      EXPECT_LE(delay, step) << "draw " << draw << ", failures " << failures;
    }
  }
}

TEST(BackoffDelay, AProvidersRetryAfterIsAFloor) {
  const core::BackoffPolicy policy;
  auto random = highest(1s);
  EXPECT_EQ(core::backoff_delay(policy, 0, std::chrono::seconds(120), random), 120s);
  // A wish shorter than our own pause does not shorten it.
  auto bottom = lowest();
  EXPECT_EQ(core::backoff_delay(policy, 3, std::chrono::seconds(1), bottom), 4s);
}

TEST(BackoffDelay, AnyFailureCountStaysBetweenHalfTheBaseAndTheMax) {
  const core::BackoffPolicy policy;
  auto top = highest(policy.max);
  EXPECT_EQ(core::backoff_delay(policy, 1000, std::nullopt, top), policy.max);
  auto bottom = lowest();
  EXPECT_EQ(core::backoff_delay(policy, -3, std::nullopt, bottom), policy.base / 2);
}

}  // namespace
}  // namespace oauth_manager::core
