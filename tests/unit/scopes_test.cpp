#include <gtest/gtest.h>

#include "core/scopes.hpp"

namespace oauth_manager {
namespace {

TEST(Scopes, SplitAndJoinAreInverse) {
  const std::vector<std::string> scopes = {"openid", "https://www.googleapis.com/auth/calendar"};
  EXPECT_EQ(core::split_scopes(core::join_scopes(scopes)), scopes);
  EXPECT_EQ(core::split_scopes("  a   b "), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(core::split_scopes("").empty());
  EXPECT_EQ(core::join_scopes({}), "");
}

}  // namespace
}  // namespace oauth_manager
