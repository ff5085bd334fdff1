// The verified-token cache never outlives the token, nor its recheck time, nor its bounds.
#include "auth/verified_tokens.hpp"

#include <gtest/gtest.h>

namespace oauth_manager {
namespace {

using auth::VerifiedToken;
using auth::VerifiedTokens;

const core::Timestamp kNow = core::from_unix_ms(1'800'000'000'000);

VerifiedToken verified_until(core::Timestamp until) {
  VerifiedToken token;
  token.caller.subject = "calendar-agent";
  token.until = until;
  return token;
}

TEST(VerifiedTokens, AnEntryEndsWithItsToken) {
  VerifiedTokens cache;
  cache.put("t1", verified_until(kNow + std::chrono::seconds(10)), kNow);
  ASSERT_TRUE(cache.find("t1", kNow + std::chrono::seconds(9)));
  EXPECT_EQ(cache.find("t1", kNow + std::chrono::seconds(9))->caller.subject, "calendar-agent");
  EXPECT_FALSE(cache.find("t1", kNow + std::chrono::seconds(10))) << "expired: verify again";
}

TEST(VerifiedTokens, ALongLivedTokenIsVerifiedAgainAfterTheRecheckTime) {
  VerifiedTokens cache;
  cache.put("t1", verified_until(kNow + std::chrono::hours(24)), kNow);
  EXPECT_TRUE(cache.find("t1", kNow + VerifiedTokens::kRecheckAfter - std::chrono::seconds(1)));
  EXPECT_FALSE(cache.find("t1", kNow + VerifiedTokens::kRecheckAfter));
}

TEST(VerifiedTokens, OnlyTheExactTokenMatches) {
  VerifiedTokens cache;
  cache.put("header.payload.signature", verified_until(kNow + std::chrono::minutes(5)), kNow);
  EXPECT_FALSE(cache.find("header.payload.signaturX", kNow));
  EXPECT_FALSE(cache.find("header.payload.", kNow));
}

TEST(VerifiedTokens, StaysBounded) {
  VerifiedTokens cache;
  const std::string long_token(VerifiedTokens::kMaxTokenBytes + 1, 'a');
  cache.put(long_token, verified_until(kNow + std::chrono::minutes(5)), kNow);
  EXPECT_FALSE(cache.find(long_token, kNow)) << "long tokens are not kept";
  for (std::size_t i = 0; i < VerifiedTokens::kMaxEntries + 10; ++i) {
    cache.put("t" + std::to_string(i), verified_until(kNow + std::chrono::minutes(5)), kNow);
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < VerifiedTokens::kMaxEntries + 10; ++i) {
    if (cache.find("t" + std::to_string(i), kNow)) ++kept;
  }
  EXPECT_LE(kept, VerifiedTokens::kMaxEntries);
}

}  // namespace
}  // namespace oauth_manager
