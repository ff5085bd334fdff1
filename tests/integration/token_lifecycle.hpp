// The token-lifecycle fixture: the service in-process (SQLite file or PostgreSQL) in front of
// the small fake provider (in Google's and Notion's roles) and a webhook receiver. Shared by the
// lifecycle's test files; each instantiates TokenLifecycleTest for both backends.
#pragma once

#include <gtest/gtest.h>

#include <mutex>
#include <sstream>
#include <thread>

#include "core/text.hpp"
#include "crypto/encoding.hpp"
#include "events/webhooks.hpp"
#include "manager/token_vault.hpp"
#include "net/url.hpp"
#include "support/api_harness.hpp"
#include "support/eventually.hpp"
#include "support/fake_provider.hpp"
#include "support/manual_clock.hpp"
#include "support/raw_http.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager::testing {

using namespace std::chrono_literals;

inline constexpr const char* kClientId = "fake-client-id";
inline constexpr const char* kClientSecret = "fake-client-secret";

inline constexpr const char* kWebhookSecret = "webhook-secret-for-the-tests-32-bytes-or-more";

// The application's webhook endpoint: records what arrives, fails the first `failures` times.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    router_.add(
        "POST", "/hook", [this](http::Request& request) -> boost::asio::awaitable<http::Response> {
          std::lock_guard lock(mutex_);
          if (failures_ > 0) {
            --failures_;
            co_return http::json_response(500, "{}");
          }
          received_.emplace_back(
              std::string(request.header("x-oauth-manager-signature").value_or("")), request.body);
          co_return http::json_response(200, "{}");
        });
    server_ = std::make_unique<testing::InProcessServer>(router_);
  }
  std::string url() const { return server_->url("/hook"); }
  void fail_next(int times) {
    std::lock_guard lock(mutex_);
    failures_ = times;
  }
  std::vector<std::pair<std::string, std::string>> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  http::Router router_;
  std::mutex mutex_;
  int failures_ = 0;
  std::vector<std::pair<std::string, std::string>> received_;
  std::unique_ptr<testing::InProcessServer> server_;
};

// Every case on a SQLite file and on PostgreSQL.
class TokenLifecycleTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    config::Environment env = {{"OAUTH_MANAGER_RATE_LIMIT_ENABLED", "false"},
                               {"OAUTH_MANAGER_WEBHOOKS_URL", webhooks_.url()},
                               {"OAUTH_MANAGER_WEBHOOKS_SECRET", kWebhookSecret},
                               {"OAUTH_MANAGER_WEBHOOKS_ALLOW_INSECURE_LOOPBACK", "true"},
                               {"OAUTH_MANAGER_TOKENS_BACKGROUND_INTERVAL_SECONDS", "1"},
                               {"OAUTH_MANAGER_TOKENS_REFRESH_AHEAD_SECONDS", "300"}};
    for (const std::string provider : {"GOOGLE", "NOTION"}) {
      const auto key = [&](const std::string& name) {
        return "OAUTH_MANAGER_PROVIDERS_" + provider + "_" + name;
      };
      env[key("CLIENT_ID")] = kClientId;
      env[key("CLIENT_SECRET")] = kClientSecret;
      env[key("ALLOW_INSECURE_LOOPBACK")] = "true";
      env[key("AUTHORIZATION_ENDPOINT")] = fake_.url("/authorize");
      env[key("TOKEN_ENDPOINT")] = fake_.url("/token");
      env[key("REVOCATION_ENDPOINT")] = fake_.url("/revoke");
      if (provider == "GOOGLE") env[key("JWKS_URI")] = fake_.url("/jwks");
    }
    OAM_BACKEND_URL(url, GetParam(), "sqlite://" + (dir_ / "api.db").string(), schema_);
    env["OAUTH_MANAGER_DATABASE_URL"] = url;
    env_ = env;
    // Webhook retries wait real time (a steady timer): milliseconds, not the default seconds,
    // so the test never races the retry schedule on a loaded machine.
    api_ = std::make_unique<ApiHarness>(dir_, env, clock_, nullptr, [](config::Config& config) {
      config.outbox.first_retry = 10ms;
      config.outbox.max_retry = 100ms;
    });
  }

  // Connects alice's account at `provider` through authorize and the callback; the integration id.
  std::string connect(const std::string& provider, nlohmann::json token_answer) {
    const auto started = api_->post("/v1/integrations/" + provider + "/authorize",
                                    api_->token("alice", {"user"}), "{}");
    const auto link = api_->open_start_link(started.body["authorization_url"].get<std::string>());
    const auto params = testing::query_params(link.provider_url);
    if (provider == "google") {
      const auto now = clock_.unix_seconds();
      token_answer["id_token"] = fake_.key().sign({{"iss", "https://accounts.google.com"},
                                                   {"sub", "g-1"},
                                                   {"aud", kClientId},
                                                   {"iat", now},
                                                   {"exp", now + 600},
                                                   {"nonce", params.at("nonce")}});
    }
    fake_.answer_token(200, token_answer);
    const auto done = api_->callback(provider, "code=c&state=" + params.at("state"), link);
    EXPECT_EQ(done.status, 200) << done.raw;
    return done.body["integration"]["id"].get<std::string>();
  }

  nlohmann::json google_tokens(const std::string& access, const std::string& refresh) const {
    return {{"access_token", access},
            {"token_type", "Bearer"},
            {"expires_in", 3600},
            {"refresh_token", refresh}};
  }

  // DELETE /v1/integrations/{id} as alice; the status.
  int disconnect(const std::string& integration_id) {
    const std::string request =
        "DELETE /v1/integrations/" + integration_id +
        " HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer " +
        api_->token("alice", {"user"}) + "\r\n\r\n";
    return testing::status_of(testing::http_exchange(api_->port(), request));
  }

  testing::Reply token_for(const std::string& integration_id) {
    return api_->post("/v1/tokens", api_->token("agent", {"service"}),
                      nlohmann::json{{"integration_id", integration_id}}.dump());
  }

  std::size_t refresh_calls() {
    std::size_t count = 0;
    for (const auto& request : fake_.token_requests()) {
      if (request.body.find("grant_type=refresh_token") != std::string::npos ||
          request.body.find("\"refresh_token\"") != std::string::npos) {
        ++count;
      }
    }
    return count;
  }

  WebhookReceiver webhooks_;
  testing::TempDir dir_;
  std::unique_ptr<testing::PostgresSchema> schema_;
  config::Environment env_;  // the service's configuration, for a second replica
  testing::ManualClock clock_;
  FakeProvider fake_;
  std::unique_ptr<ApiHarness> api_;
};

}  // namespace oauth_manager::testing
