#include <gtest/gtest.h>

#include <string>

#include "auth/rate_limiter.hpp"
#include "support/manual_clock.hpp"

namespace oauth_manager {
namespace {

using namespace std::chrono_literals;

TEST(LocalRateLimiter, BucketRefillsAtTheConfiguredRate) {
  testing::ManualClock clock;
  auth::LocalRateLimiter limiter({2.0, 2}, clock);
  EXPECT_TRUE(limiter.take("a")->allowed);
  EXPECT_TRUE(limiter.take("a")->allowed);
  const auto refused = *limiter.take("a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 500ms);
  EXPECT_TRUE(limiter.take("b")->allowed);
  clock.advance(500ms);
  EXPECT_TRUE(limiter.take("a")->allowed);
  EXPECT_FALSE(limiter.take("a")->allowed);
  clock.advance(1h);  // never more than the burst
  EXPECT_TRUE(limiter.take("a")->allowed);
  EXPECT_TRUE(limiter.take("a")->allowed);
  EXPECT_FALSE(limiter.take("a")->allowed);
}

// Full buckets are forgotten by a periodic sweep (not a scan on every request past a size), and a
// bucket that still holds state survives it.
TEST(LocalRateLimiter, FullBucketsAreSweptPeriodicallyAndBusyOnesKept) {
  testing::ManualClock clock;
  auth::LocalRateLimiter limiter({10.0, 5}, clock);  // a full refill takes 0.5 s: sweeps every 1 s
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.take("key-" + std::to_string(i))->allowed);
  EXPECT_EQ(limiter.tracked_keys(), 1000U);

  clock.advance(900ms);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.take("busy")->allowed);
  EXPECT_FALSE(limiter.take("busy")->allowed);
  EXPECT_EQ(limiter.tracked_keys(), 1001U);  // no sweep before the interval

  clock.advance(100ms);  // 1 s since the start: the idle keys are full again, "busy" is not
  ASSERT_TRUE(limiter.take("new")->allowed);
  EXPECT_EQ(limiter.tracked_keys(), 2U);  // "busy" and "new"
  // "busy" kept its state: 0.1 s of refill is one token, where a fresh bucket would hold five.
  EXPECT_TRUE(limiter.take("busy")->allowed);
  EXPECT_FALSE(limiter.take("busy")->allowed);
}

}  // namespace
}  // namespace oauth_manager
