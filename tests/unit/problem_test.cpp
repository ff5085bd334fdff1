#include "api/problem.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

namespace oauth_manager::api {
namespace {

using core::Code;

constexpr Code kAllCodes[] = {
    Code::invalid_request,    Code::unauthenticated,    Code::forbidden,
    Code::not_found,          Code::method_not_allowed, Code::conflict,
    Code::payload_too_large,  Code::headers_too_large,  Code::provider_unknown,
    Code::state_invalid,      Code::state_expired,      Code::needs_reauth,
    Code::insufficient_scope, Code::provider_error,     Code::provider_misconfigured,
    Code::rate_limited,       Code::unavailable,        Code::internal,
};

TEST(Problem, EveryCodeHasAUniqueNameAndAnErrorStatus) {
  std::set<std::string_view> names;
  for (auto code : kAllCodes) {
    names.insert(core::code_name(code));
    EXPECT_GE(http_status(code), 400) << core::code_name(code);
    EXPECT_LT(http_status(code), 600) << core::code_name(code);
  }
  EXPECT_EQ(names.size(), std::size(kAllCodes));
}

TEST(Problem, StatusesFollowTheDocumentedTable) {
  EXPECT_EQ(http_status(Code::invalid_request), 400);
  EXPECT_EQ(http_status(Code::unauthenticated), 401);
  EXPECT_EQ(http_status(Code::forbidden), 403);
  EXPECT_EQ(http_status(Code::not_found), 404);
  EXPECT_EQ(http_status(Code::needs_reauth), 409);
  EXPECT_EQ(http_status(Code::headers_too_large), 431);
  EXPECT_EQ(http_status(Code::rate_limited), 429);
  EXPECT_EQ(http_status(Code::unavailable), 503);
  EXPECT_EQ(http_status(Code::internal), 500);
}

TEST(Problem, BodyIsRfc9457WithTheStableCode) {
  http::Request request;
  request.request_id = "req-42";
  const auto response = problem_response(
      core::make_error(Code::state_expired, "the state expired; start the connection again"),
      request);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.content_type, "application/problem+json");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["type"], "urn:oauth-manager:problem:state_expired");
  EXPECT_EQ(body["code"], "state_expired");
  EXPECT_EQ(body["status"], 400);
  EXPECT_EQ(body["detail"], "the state expired; start the connection again");
  EXPECT_EQ(body["request_id"], "req-42");
  EXPECT_TRUE(body["title"].is_string());
}

TEST(Problem, InvalidUtf8InADetailStillYieldsValidJson) {
  const auto response =
      problem_response(core::make_error(Code::invalid_request, "bad \xff byte"), http::Request{});
  EXPECT_TRUE(nlohmann::json::accept(response.body));
}

TEST(Problem, RetryAfterIsWholeSecondsAtLeastOne) {
  auto error = core::make_error(core::Code::rate_limited, "slow down");
  error.retry_after = std::chrono::seconds(0);
  const auto response = api::problem_response(error, http::Request{});
  EXPECT_EQ(response.status, 429);
  ASSERT_EQ(response.headers.size(), 1U);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));
}

// What a database driver or the keyring says names hosts, users and key ids: callers (even
// anonymous ones at the callback) get a generic detail and the request id; the log gets the rest.
TEST(Problem, InternalAndUnavailableShowOnlyAGenericDetailAndTheRequestId) {
  http::Request request;
  request.request_id = "req-42";
  const auto database = core::make_error(
      Code::unavailable,
      "connection to server at \"10.0.0.5\", port 5432 failed: password authentication failed "
      "for user \"oam_prod\"");
  const auto keyring = core::make_error(Code::internal, "no data key \"k9\" in the keyring");
  for (const auto& error : {database, keyring}) {
    const auto body = nlohmann::json::parse(problem_response(error, request).body);
    const auto detail = body["detail"].get<std::string>();
    EXPECT_EQ(detail.find("10.0.0.5"), std::string::npos) << detail;
    EXPECT_EQ(detail.find("oam_prod"), std::string::npos) << detail;
    EXPECT_EQ(detail.find("k9"), std::string::npos) << detail;
    EXPECT_NE(detail.find("req-42"), std::string::npos) << detail;
    EXPECT_EQ(body["request_id"], "req-42");
  }
  auto unreachable = core::make_error(Code::provider_error, "google cannot be reached");
  unreachable.cause = "connect to oauth2.googleapis.com:443 failed: timed out";
  const auto body = nlohmann::json::parse(problem_response(unreachable, request).body);
  EXPECT_EQ(body["detail"], "google cannot be reached") << "the cause is for the log only";
}

}  // namespace
}  // namespace oauth_manager::api
