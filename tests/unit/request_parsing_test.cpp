#include <gtest/gtest.h>

#include "api/request_parsing.hpp"

namespace oauth_manager {
namespace {

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

}  // namespace
}  // namespace oauth_manager
