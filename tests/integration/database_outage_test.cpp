// The connect callback while PostgreSQL is unreachable: a forwarder between the service and the
// database drops every connection, as when the database host goes away. The callback must answer
// a clean 503 that names nothing internal, and a new flow must work once the database is back.
#include <gtest/gtest.h>

#include <regex>

#include "support/api_harness.hpp"
#include "support/fake_provider.hpp"
#include "support/manual_clock.hpp"
#include "support/raw_http.hpp"
#include "support/tcp_forwarder.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager {
namespace {

using testing::Reply;

constexpr const char* kReturnTo = "https://app.example.test/settings";

class DatabaseOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OAM_REQUIRE_POSTGRES(server);
    schema_ = std::make_unique<testing::PostgresSchema>(*server);
    const std::regex address(R"(127\.0\.0\.1:(\d+))");
    std::smatch database;
    ASSERT_TRUE(std::regex_search(schema_->url(), database, address)) << schema_->url();
    forwarder_.start(static_cast<std::uint16_t>(std::stoi(database[1])));
    const auto forwarded = "127.0.0.1:" + std::to_string(forwarder_.port());
    const config::Environment env = {
        {"OAUTH_MANAGER_DATABASE_URL", std::regex_replace(schema_->url(), address, forwarded,
                                                          std::regex_constants::format_first_only)},
        {"OAUTH_MANAGER_SERVER_PUBLIC_URL", "https://oauth.example.test"},
        {"OAUTH_MANAGER_SERVER_ALLOWED_RETURN_URLS", kReturnTo},
        {"OAUTH_MANAGER_RATE_LIMIT_ENABLED", "false"},
        {"OAUTH_MANAGER_PROVIDERS_NOTION_CLIENT_ID", "fake-client-id"},
        {"OAUTH_MANAGER_PROVIDERS_NOTION_CLIENT_SECRET", "fake-client-secret"},
        {"OAUTH_MANAGER_PROVIDERS_NOTION_ALLOW_INSECURE_LOOPBACK", "true"},
        {"OAUTH_MANAGER_PROVIDERS_NOTION_AUTHORIZATION_ENDPOINT", fake_.url("/authorize")},
        {"OAUTH_MANAGER_PROVIDERS_NOTION_TOKEN_ENDPOINT", fake_.url("/token")},
    };
    api_ = std::make_unique<testing::ApiHarness>(dir_, env, clock_);
  }

  void TearDown() override {
    api_.reset();
    schema_.reset();
  }

  // Starts a Notion authorization for alice and opens its start link, as her browser would.
  testing::ApiHarness::OpenedStartLink start() {
    const nlohmann::json body = {{"return_to", kReturnTo}};
    const auto reply = api_->post("/v1/integrations/notion/authorize",
                                  api_->token("alice", {"user"}), body.dump());
    EXPECT_EQ(reply.status, 201) << reply.raw;
    return api_->open_start_link(reply.body.value("authorization_url", ""));
  }

  // The provider's redirect back, from the browser that opened `link`.
  Reply callback(const testing::ApiHarness::OpenedStartLink& link) {
    const auto state = testing::query_params(link.provider_url).at("state");
    return api_->callback("notion", "code=the-code&state=" + state, link);
  }

  void answer_token() {
    fake_.answer_token(200, {{"access_token", "secret_notion_access"},
                             {"token_type", "bearer"},
                             {"bot_id", "bot-123"},
                             {"workspace_name", "Alice's Workspace"},
                             {"owner", {{"type", "user"}, {"user", {{"id", "user-9"}}}}}});
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  testing::FakeProvider fake_;
  std::unique_ptr<testing::PostgresSchema> schema_;
  testing::TcpForwarder forwarder_;  // outlives the service, which connects through it
  std::unique_ptr<testing::ApiHarness> api_;
};

TEST_F(DatabaseOutageTest, ACallbackWhileTheDatabaseIsDownIsA503AndANewFlowWorksOnceItIsBack) {
  const auto link = start();
  forwarder_.set_reachable(false);

  const auto reply = callback(link);
  EXPECT_EQ(reply.status, 503) << reply.raw;
  EXPECT_EQ(reply.header("Content-Type"), "application/problem+json");
  EXPECT_EQ(reply.body.value("code", ""), "unavailable");
  const auto request_id = reply.header("X-Request-Id");
  ASSERT_TRUE(request_id) << reply.raw;
  EXPECT_EQ(reply.body.value("request_id", ""), *request_id);
  const auto body = reply.body.dump();
  const std::vector<std::string> internals = {"127.0.0.1",     std::to_string(forwarder_.port()),
                                              "postgres",      "search_path",
                                              "server closed", "connect"};
  for (const auto& internal : internals) {
    EXPECT_EQ(body.find(internal), std::string::npos) << internal << " in " << body;
  }
  EXPECT_TRUE(fake_.token_requests().empty()) << "no code exchange without a consumed state";
  EXPECT_EQ(callback(link).status, 503) << "the same while it stays down";
  EXPECT_EQ(api_->get("/healthz", std::nullopt).status, 200);

  forwarder_.set_reachable(true);
  answer_token();
  const auto finished = callback(start());
  ASSERT_EQ(finished.status, 303) << finished.raw;
  EXPECT_EQ(testing::query_params(finished.header("Location").value_or("")).at("status"),
            "connected");
}

}  // namespace
}  // namespace oauth_manager
