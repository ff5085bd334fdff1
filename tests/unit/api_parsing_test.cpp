#include <gtest/gtest.h>

#include "api/problem.hpp"
#include "api/request_parsing.hpp"
#include "api/views.hpp"
#include "auth/rate_limiter.hpp"
#include "auth/roles.hpp"
#include "support/manual_clock.hpp"

namespace oauth_manager {
namespace {

using namespace std::chrono_literals;

TEST(ParseQuery, DecodesAllowedParameters) {
  auto params =
      api::parse_query("user_id=a%40b&event=integration.read&since=2026-01-01T00%3A00%3A00Z",
                       {"user_id", "event", "since"});
  ASSERT_TRUE(params) << params.error().message;
  EXPECT_EQ(params->at("user_id"), "a@b");
  EXPECT_EQ(params->at("since"), "2026-01-01T00:00:00Z");
  EXPECT_TRUE(api::parse_query("", {"user_id"}));
  EXPECT_TRUE(api::parse_query("&&user_id=x&", {"user_id"}));
  EXPECT_EQ(api::parse_query("user_id=a+b", {"user_id"})->at("user_id"), "a b");
}

TEST(ParseQuery, RejectsUnknownRepeatedAndMalformedParameters) {
  const auto unknown = api::parse_query("user_id=a&debug=1", {"user_id"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, core::Code::invalid_request);
  EXPECT_NE(unknown.error().message.find("\"debug\""), std::string::npos);
  EXPECT_NE(unknown.error().message.find("allowed: user_id"), std::string::npos);
  EXPECT_FALSE(api::parse_query("user_id=a&user_id=b", {"user_id"}));
  EXPECT_FALSE(api::parse_query("user_id=%G1", {"user_id"}));
  EXPECT_FALSE(api::parse_query("user_id=%00", {"user_id"}));
}

http::Request json_request(std::string body, std::string content_type = "application/json") {
  http::Request request;
  request.body = std::move(body);
  request.headers.emplace_back("content-type", std::move(content_type));
  return request;
}

TEST(ParseJsonObject, AcceptsKnownFieldsAndNamesUnknownOnes) {
  const std::vector<std::string_view> allowed = {"scopes", "return_to"};
  auto body = api::parse_json_object(json_request(R"({"scopes":["a"]})"), allowed);
  ASSERT_TRUE(body);
  EXPECT_EQ((*body)["scopes"][0], "a");
  const auto unknown =
      api::parse_json_object(json_request(R"({"scopes":[],"scope":"x"})"), allowed);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown field \"scope\""), std::string::npos);
  EXPECT_TRUE(api::parse_json_object(json_request(""), allowed));
}

TEST(ParseJsonObject, RejectsNonObjectsBadJsonAndOtherContentTypes) {
  const std::vector<std::string_view> allowed = {"a"};
  EXPECT_FALSE(api::parse_json_object(json_request("[1]"), allowed));
  EXPECT_FALSE(api::parse_json_object(json_request("{\"a\":"), allowed));
  EXPECT_FALSE(api::parse_json_object(json_request("{}", "text/plain"), allowed));
  EXPECT_TRUE(
      api::parse_json_object(json_request("{}", "application/json; charset=utf-8"), allowed));
  const auto secret = api::parse_json_object(json_request(R"({"a":1,"s3cr3t-value":2})"), allowed);
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().message.find("\"a\":1"), std::string::npos);
}

TEST(Rfc3339, ParsesOffsetsAndFractionsAndRejectsNonsense) {
  EXPECT_EQ(core::parse_rfc3339("2026-11-24T10:00:00Z"),
            core::parse_rfc3339("2026-11-24T11:00:00+01:00"));
  const auto precise = core::parse_rfc3339("2026-11-24T10:00:00.123456Z");
  ASSERT_TRUE(precise);
  EXPECT_EQ(core::to_rfc3339(*precise), "2026-11-24T10:00:00.123Z");
  EXPECT_EQ(core::to_unix_ms(*core::parse_rfc3339("1970-01-01T00:00:01Z")), 1000);
  for (const auto* bad :
       {"2026-02-30T00:00:00Z", "2026-11-24", "2026-11-24T10:00:00", "2026-11-24T25:00:00Z",
        "2026-11-24T10:00:00.Z", "yesterday", "2026-11-24T10:00:00Zjunk"}) {
    EXPECT_FALSE(core::parse_rfc3339(bad)) << bad;
  }
}

TEST(AuditCursor, RoundTripsAndRejectsForgeries) {
  EXPECT_EQ(api::parse_audit_cursor(api::audit_cursor(42)), 42);
  EXPECT_FALSE(api::parse_audit_cursor("42"));
  EXPECT_FALSE(api::parse_audit_cursor(""));
  EXPECT_FALSE(api::parse_audit_cursor(api::audit_cursor(-1)));
}

TEST(Roles, ClaimsMapToPermissions) {
  const auto roles = auth::default_roles();
  const auto user = auth::caller_from_claims({{"sub", "u"}, {"roles", {"user"}}}, "roles", roles);
  EXPECT_TRUE(user.can(core::Permission::integrations_write));
  EXPECT_FALSE(user.can(core::Permission::tokens_read));
  EXPECT_TRUE(user.may_act_for("u"));
  EXPECT_FALSE(user.may_act_for("v"));

  const auto service =
      auth::caller_from_claims({{"sub", "s"}, {"groups", "service"}}, "groups", roles);
  EXPECT_TRUE(service.can(core::Permission::tokens_read));
  EXPECT_TRUE(service.may_act_for("anyone"));
  EXPECT_FALSE(service.can(core::Permission::audit_read));

  const auto scoped = auth::caller_from_claims(
      {{"sub", "x"}, {"scope", "audit:read openid admin-ish"}}, "roles", roles);
  EXPECT_TRUE(scoped.can(core::Permission::audit_read));
  EXPECT_FALSE(scoped.can(core::Permission::integrations_read));

  const auto admin = auth::caller_from_claims({{"sub", "a"}, {"roles", {"admin"}}}, "roles", roles);
  EXPECT_TRUE(admin.can(core::Permission::tokens_read));
  EXPECT_TRUE(admin.may_act_for("anyone"));
}

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

TEST(Problem, RetryAfterIsWholeSecondsAtLeastOne) {
  auto error = core::make_error(core::Code::rate_limited, "slow down");
  error.retry_after = std::chrono::seconds(0);
  const auto response = api::problem_response(error, http::Request{});
  EXPECT_EQ(response.status, 429);
  ASSERT_EQ(response.headers.size(), 1U);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));
}

}  // namespace
}  // namespace oauth_manager
