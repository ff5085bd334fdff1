#include <gtest/gtest.h>

#include "manager/return_urls.hpp"

namespace oauth_manager {
namespace {

TEST(ReturnUrls, OnlyTheSameOriginAndPathPrefixPass) {
  const std::vector<std::string> allowed = {"https://app.example.com/settings",
                                            "http://127.0.0.1:3000/"};
  EXPECT_TRUE(manager::return_url_allowed("https://app.example.com/settings", allowed));
  EXPECT_TRUE(manager::return_url_allowed("https://APP.example.com/settings/x?y=1", allowed));
  EXPECT_TRUE(manager::return_url_allowed("http://127.0.0.1:3000/anything", allowed));
  for (const auto* bad : {"https://app.example.com/settingsx", "https://app.example.com/",
                          "http://app.example.com/settings", "https://app.example.com:444/settings",
                          "https://app.example.com.evil/settings", "https://evil.example/settings",
                          "https://user@app.example.com/settings", "/settings",
                          "https://app.example.com\\evil/settings", "http://127.0.0.1:3001/"}) {
    EXPECT_FALSE(manager::return_url_allowed(bad, allowed)) << bad;
  }
}

// The browser resolves dot segments (and %2e as a dot) before it requests the path, so the prefix
// must be compared on the path the browser will really load (RFC 3986 §5.2.4, §6.2.2.2).
TEST(ReturnUrls, DotSegmentsCannotClimbOutOfTheAllowedPrefix) {
  const std::vector<std::string> allowed = {"https://app.example.com/settings"};
  for (const auto* bad :
       {"https://app.example.com/settings/../admin",
        "https://app.example.com/settings/%2e%2e/admin",
        "https://app.example.com/settings/%2E%2e/admin",
        "https://app.example.com/settings/.%2e/admin",
        "https://app.example.com/settings/x/../../admin", "https://app.example.com/settings/..",
        "https://app.example.com/settings%2f..%2fadmin", "https://app.example.com/settings/%2F",
        "https://app.example.com/settings/..%5cadmin", "https://app.example.com/settings/%5C"}) {
    EXPECT_FALSE(manager::return_url_allowed(bad, allowed)) << bad;
  }
  for (const auto* good :
       {"https://app.example.com/settings/./x", "https://app.example.com/settings/a/../b?c=1",
        "https://app.example.com/settings/%61"}) {
    EXPECT_TRUE(manager::return_url_allowed(good, allowed)) << good;
  }
}

}  // namespace
}  // namespace oauth_manager
