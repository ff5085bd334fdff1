#include <gtest/gtest.h>

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

}  // namespace
}  // namespace oauth_manager
