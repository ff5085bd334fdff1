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

}  // namespace
}  // namespace oauth_manager
