#include "net/url.hpp"

#include <gtest/gtest.h>

namespace oauth_manager::net {
namespace {

TEST(ParseUrl, SplitsSchemeHostPortAndTarget) {
  const auto url = parse_url("https://Accounts.Example.COM:8443/o/oauth2/token?a=1&b=2");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "accounts.example.com");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/o/oauth2/token?a=1&b=2");
  EXPECT_TRUE(url->https());
}

TEST(ParseUrl, DefaultPortsAndTargetFollowTheScheme) {
  const auto secure = parse_url("HTTPS://example.com");
  ASSERT_TRUE(secure);
  EXPECT_EQ(secure->scheme, "https");
  EXPECT_EQ(secure->port, 443);
  EXPECT_EQ(secure->target, "/");
  const auto plain = parse_url("http://example.com?x=1");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->target, "/?x=1");
}

TEST(ParseUrl, DropsTheFragment) {
  EXPECT_EQ(parse_url("https://example.com/cb?state=s#frag")->target, "/cb?state=s");
  EXPECT_EQ(parse_url("https://example.com#frag")->target, "/");
}

TEST(ParseUrl, ReadsBracketedIpv6Hosts) {
  const auto url = parse_url("http://[::1]:8080/x");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->host_header(), "[::1]:8080");
  EXPECT_TRUE(url->loopback_host());
  EXPECT_EQ(parse_url("https://[2001:db8::1]/")->port, 443);
}

TEST(ParseUrl, RefusesWhatItCannotUseOrMustNotCarry) {
  for (const auto* bad :
       {"example.com/path", "ftp://example.com/", "https://user:pass@example.com/",
        "https://user@example.com/", "https:///path", "https://:443/", "http://[::1/",
        "http://[::1]x/", "http://example.com:0/", "http://example.com:65536/",
        "http://example.com:80x/", "http://example.com:-1/"}) {
    const auto url = parse_url(bad);
    ASSERT_FALSE(url) << bad;
    EXPECT_EQ(url.error().code, core::Code::invalid_request) << bad;
  }
}

TEST(ParseUrl, TheRefusalOfCredentialsDoesNotEchoThem) {
  const auto url = parse_url("https://user:hunter2@example.com/");
  ASSERT_FALSE(url);
  EXPECT_EQ(url.error().message.find("hunter2"), std::string::npos);
}

TEST(Url, LoopbackHostsAreNamedLiterally) {
  for (const auto* loopback :
       {"http://127.0.0.1:1/", "http://127.1.2.3/", "http://localhost/", "http://[::1]/"}) {
    EXPECT_TRUE(parse_url(loopback)->loopback_host()) << loopback;
  }
  for (const auto* remote :
       {"http://128.0.0.1/", "http://localhost.example/", "http://example.com/", "http://[::2]/"}) {
    EXPECT_FALSE(parse_url(remote)->loopback_host()) << remote;
  }
}

TEST(Url, HostHeaderOmitsOnlyTheSchemesDefaultPort) {
  EXPECT_EQ(parse_url("https://example.com:443/")->host_header(), "example.com");
  EXPECT_EQ(parse_url("http://example.com:80/")->host_header(), "example.com");
  EXPECT_EQ(parse_url("https://example.com:80/")->host_header(), "example.com:80");
  EXPECT_EQ(parse_url("http://example.com:443/")->host_header(), "example.com:443");
}

TEST(PercentEncode, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("a b+c/d?e=f&g"), "a%20b%2Bc%2Fd%3Fe%3Df%26g");
  EXPECT_EQ(percent_encode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(percent_encode(""), "");
}

TEST(FormEncode, JoinsEncodedPairsWithAmpersands) {
  EXPECT_EQ(form_encode({{"grant_type", "refresh_token"}, {"scope", "a b"}}),
            "grant_type=refresh_token&scope=a%20b");
  EXPECT_EQ(form_encode({}), "");
}

TEST(WithQuery, AppendsAfterExistingParametersAndBeforeTheFragment) {
  EXPECT_EQ(with_query("https://e.com/a", {{"x", "1"}}), "https://e.com/a?x=1");
  EXPECT_EQ(with_query("https://e.com/a?y=2", {{"x", "1 2"}}), "https://e.com/a?y=2&x=1%202");
  EXPECT_EQ(with_query("https://e.com/a#top", {{"x", "1"}}), "https://e.com/a?x=1#top");
  EXPECT_EQ(with_query("https://e.com/a?y=2", {}), "https://e.com/a?y=2");
}

}  // namespace
}  // namespace oauth_manager::net
