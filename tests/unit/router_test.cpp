#include "http/router.hpp"

#include <gtest/gtest.h>

#include "core/text.hpp"

namespace oauth_manager::http {
namespace {

Handler noop() {
  return [](Request&) -> boost::asio::awaitable<Response> { co_return Response{}; };
}

TEST(Router, MatchesLiteralAndParameterSegments) {
  Router router;
  router.add("GET", "/v1/integrations", noop());
  router.add("GET", "/v1/integrations/{id}", noop());
  router.add("DELETE", "/v1/integrations/{id}", noop());
  const auto match = router.match("GET", "/v1/integrations/abc%2F1");
  ASSERT_EQ(match.outcome, Router::Match::Outcome::found);
  EXPECT_EQ(match.params.at("id"), "abc/1");
  EXPECT_EQ(router.match("GET", "/v1/integrations").outcome, Router::Match::Outcome::found);
}

TEST(Router, ReportsAllowedMethodsForAKnownPath) {
  Router router;
  router.add("GET", "/v1/integrations/{id}", noop());
  router.add("DELETE", "/v1/integrations/{id}", noop());
  const auto match = router.match("PUT", "/v1/integrations/x");
  EXPECT_EQ(match.outcome, Router::Match::Outcome::method_not_allowed);
  EXPECT_EQ(match.allowed_methods, (std::vector<std::string>{"GET", "DELETE"}));
}

TEST(Router, RejectsUnknownEmptyAndMalformedSegments) {
  Router router;
  router.add("GET", "/v1/integrations/{id}", noop());
  EXPECT_EQ(router.match("GET", "/v1/integrations/").outcome, Router::Match::Outcome::not_found);
  EXPECT_EQ(router.match("GET", "/v1/integrations/a/b").outcome, Router::Match::Outcome::not_found);
  EXPECT_EQ(router.match("GET", "/v1/integrations/%zz").outcome, Router::Match::Outcome::not_found);
  EXPECT_EQ(router.match("GET", "/v1/integrations/%00").outcome, Router::Match::Outcome::not_found);
  EXPECT_EQ(router.match("GET", "v1/integrations/x").outcome, Router::Match::Outcome::not_found);
}

TEST(Router, PercentDecodingIsStrict) {
  EXPECT_EQ(core::percent_decode("a%20b%2fc"), "a b/c");
  EXPECT_FALSE(core::percent_decode("%"));
  EXPECT_FALSE(core::percent_decode("%4"));
  EXPECT_FALSE(core::percent_decode("%g1"));
  EXPECT_FALSE(core::percent_decode("%00"));
}

TEST(Router, ListsItsRoutes) {
  Router router;
  router.add("GET", "/healthz", noop());
  router.add("POST", "/v1/tokens", noop());
  const auto routes = router.routes();
  ASSERT_EQ(routes.size(), 2U);
  EXPECT_EQ(routes[1], (std::pair<std::string, std::string>{"POST", "/v1/tokens"}));
}

}  // namespace
}  // namespace oauth_manager::http
