#include "providers/oauth_client.hpp"

#include <gtest/gtest.h>

namespace oauth_manager::providers {
namespace {

// RFC 6749 §5.2 error codes of the token endpoint, and what each means for a refresh.
TEST(RefreshFailureOf, InvalidGrantMeansTheGrantIsRefused) {
  EXPECT_EQ(refresh_failure_of("invalid_grant"), RefreshFailure::grant_refused);
}

TEST(RefreshFailureOf, InvalidOrUnauthorizedClientMeansOurClientIsRefused) {
  EXPECT_EQ(refresh_failure_of("invalid_client"), RefreshFailure::client_refused);
  EXPECT_EQ(refresh_failure_of("unauthorized_client"), RefreshFailure::client_refused);
}

TEST(RefreshFailureOf, EveryOtherCodeIsTransient) {
  for (const auto* code :
       {"", "invalid_request", "invalid_scope", "temporarily_unavailable", "server_error",
        "rate_limit_exceeded", "INVALID_GRANT", "invalid_grant ", "something_new"}) {
    EXPECT_EQ(refresh_failure_of(code), RefreshFailure::transient) << code;
  }
}

}  // namespace
}  // namespace oauth_manager::providers
