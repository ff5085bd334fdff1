// The service killed (SIGKILL) while a call to a slow peer is in flight, then started again on
// the same database:
// - mid-refresh: the integration still works. The provider is the small fake in Google's role:
//   Google does not rotate refresh tokens (PROVIDERS.md), so the one we hold stays valid whatever
//   happened to the refresh that never came back;
// - mid-revocation and mid-webhook: the provider (or the application) may have acted, but the
//   service never recorded it; after the restart the outbox does it again (at least once), so
//   no revocation and no webhook is lost.
#include <gtest/gtest.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <csignal>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "net/url.hpp"
#include "support/api_harness.hpp"
#include "support/eventually.hpp"
#include "support/fake_provider.hpp"
#include "support/in_process_server.hpp"
#include "support/raw_http.hpp"
#include "support/running_service.hpp"
#include "support/temp_dir.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

const std::string kBinary = OAUTH_MANAGER_BINARY;
constexpr const char* kClientId = "crash-client";

// The application's webhook endpoint: records each delivery as it arrives, and answers it only
// after `hold` (the service may die meanwhile).
class SlowWebhookReceiver {
 public:
  SlowWebhookReceiver() {
    router_.add("POST", "/hook",
                [this](http::Request& request) -> boost::asio::awaitable<http::Response> {
                  std::chrono::milliseconds hold{0};
                  {
                    std::lock_guard lock(mutex_);
                    received_.push_back(request.body);
                    hold = hold_;
                  }
                  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, hold);
                  boost::system::error_code ignored;
                  co_await timer.async_wait(
                      boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
                  co_return http::json_response(200, "{}");
                });
    server_ = std::make_unique<testing::InProcessServer>(router_);
  }
  std::string url() const { return server_->url("/hook"); }
  void hold(std::chrono::milliseconds hold) {
    std::lock_guard lock(mutex_);
    hold_ = hold;
  }
  std::vector<std::string> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  http::Router router_;
  std::mutex mutex_;
  std::chrono::milliseconds hold_{0};
  std::vector<std::string> received_;
  std::unique_ptr<testing::InProcessServer> server_;
};

class CrashRecoveryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    OAM_BACKEND_URL(url, GetParam(), "sqlite://var/crash.db", schema_);
    env_ = {{"OAUTH_MANAGER_DATABASE_URL", url},
            {"OAUTH_MANAGER_SERVER_PUBLIC_URL", "http://127.0.0.1:9"},  // callbacks come by hand
            {"OAUTH_MANAGER_RATE_LIMIT_ENABLED", "false"},
            {"OAUTH_MANAGER_TOKENS_BACKGROUND_REFRESH", "false"},
            // The shortest leases allowed: a lease left by the killed process lapses soon.
            {"OAUTH_MANAGER_TOKENS_REFRESH_LEASE_SECONDS", "15"},
            {"OAUTH_MANAGER_OUTBOX_LEASE_SECONDS", "30"},
            {"OAUTH_MANAGER_WEBHOOKS_URL", webhooks_.url()},
            {"OAUTH_MANAGER_WEBHOOKS_SECRET", "crash-webhook-secret-of-32-bytes-or-more"},
            {"OAUTH_MANAGER_WEBHOOKS_ALLOW_INSECURE_LOOPBACK", "true"},
            {"OAUTH_MANAGER_PROVIDERS_GOOGLE_CLIENT_ID", kClientId},
            {"OAUTH_MANAGER_PROVIDERS_GOOGLE_CLIENT_SECRET", "crash-secret"},
            {"OAUTH_MANAGER_PROVIDERS_GOOGLE_ALLOW_INSECURE_LOOPBACK", "true"},
            {"OAUTH_MANAGER_PROVIDERS_GOOGLE_AUTHORIZATION_ENDPOINT", fake_.url("/authorize")},
            {"OAUTH_MANAGER_PROVIDERS_GOOGLE_TOKEN_ENDPOINT", fake_.url("/token")},
            {"OAUTH_MANAGER_PROVIDERS_GOOGLE_REVOCATION_ENDPOINT", fake_.url("/revoke")},
            {"OAUTH_MANAGER_PROVIDERS_GOOGLE_JWKS_URI", fake_.url("/jwks")}};
  }

  std::unique_ptr<testing::RunningService> start() {
    auto service = std::make_unique<testing::RunningService>(kBinary, dir_, env_);
    EXPECT_NE(service->port(), 0) << service->process().stderr_text();
    return service;
  }

  // Alice connects her Google account through authorize and the callback.
  std::string connect(testing::RunningService& service) {
    const auto started = service.post("/v1/integrations/google/authorize",
                                      testing::service_caller_token("alice", "user"), "{}");
    EXPECT_EQ(testing::status_of(started), 201) << started;
    // The browser's first visit of the start link: the provider URL and the binding cookie.
    const auto link = nlohmann::json::parse(testing::body_of(started))["authorization_url"];
    const auto opened = service.get(net::parse_url(link.get<std::string>())->target, "");
    EXPECT_EQ(testing::status_of(opened), 303) << opened;
    const auto params = testing::query_params(testing::header_of(opened, "Location").value_or(""));
    const auto set_cookie = testing::header_of(opened, "Set-Cookie").value_or("");
    const auto cookie = set_cookie.substr(0, set_cookie.find(';'));
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    fake_.answer_token(200, {{"access_token", "ya29.first"},
                             {"token_type", "Bearer"},
                             {"expires_in", 3600},
                             {"refresh_token", "1//kept"},
                             {"id_token", fake_.key().sign({{"iss", "https://accounts.google.com"},
                                                            {"sub", "g-1"},
                                                            {"aud", kClientId},
                                                            {"iat", now},
                                                            {"exp", now + 600},
                                                            {"nonce", params.at("nonce")}})}});
    const auto done = service.get(
        "/v1/oauth/callback/google?code=c&state=" + net::percent_encode(params.at("state")), "",
        cookie);
    EXPECT_EQ(testing::status_of(done), 200) << done;
    // The start link is a capability: the access log names its route, never the link itself.
    const auto flow_id = link.get<std::string>().substr(link.get<std::string>().rfind('/') + 1);
    // Info lines reach stderr in batches up to 10 ms apart: wait for the access line.
    auto log = service.process().stderr_text();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (log.find("/v1/oauth/start/{flow}") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      log = service.process().stderr_text();
    }
    EXPECT_EQ(log.find(flow_id), std::string::npos);
    EXPECT_NE(log.find("/v1/oauth/start/{flow}"), std::string::npos);
    return nlohmann::json::parse(testing::body_of(done))["integration"]["id"].get<std::string>();
  }

  std::string token(const testing::RunningService& service, const std::string& integration_id,
                    int min_ttl_seconds) {
    return service.post(
        "/v1/tokens", testing::service_caller_token("agent", "service"),
        nlohmann::json{{"integration_id", integration_id}, {"min_ttl_seconds", min_ttl_seconds}}
            .dump(),
        60s);
  }

  std::vector<std::string> refresh_tokens_sent() const {
    std::vector<std::string> sent;
    for (const auto& request : fake_.token_requests()) {
      const auto form = testing::query_params("?" + request.body);
      if (form.count("grant_type") != 0 && form.at("grant_type") == "refresh_token") {
        sent.push_back(form.at("refresh_token"));
      }
    }
    return sent;
  }

  // The tokens the provider was asked to revoke, with repeats.
  std::multiset<std::string> revoked_tokens() const {
    std::multiset<std::string> tokens;
    for (const auto& request : fake_.revoke_requests()) {
      tokens.insert(testing::query_params("?" + request.body).at("token"));
    }
    return tokens;
  }

  // Kills `service` with SIGKILL once `in_flight` holds (a call it made is at the peer).
  template <typename Predicate>
  void kill_when(std::unique_ptr<testing::RunningService>& service, Predicate in_flight) {
    ASSERT_TRUE(eventually(in_flight, 10s)) << "the call never reached the peer";
    service->process().send_signal(SIGKILL);
    ASSERT_TRUE(service->process().wait_for_exit(5s));
    service.reset();
  }

  SlowWebhookReceiver webhooks_;
  testing::FakeProvider fake_;
  testing::TempDir dir_;
  std::unique_ptr<testing::PostgresSchema> schema_;
  std::map<std::string, std::string> env_;
};

TEST_P(CrashRecoveryTest, AServiceKilledMidRefreshComesBackWithAWorkingIntegration) {
  auto first = start();
  ASSERT_NE(first->port(), 0);
  const auto integration_id = connect(*first);

  // The refresh reaches the provider, whose answer takes 4 s; the service dies meanwhile.
  fake_.delay_token(4s);
  fake_.answer_token(
      200,
      {{"access_token", "ya29.lost-in-the-crash"}, {"token_type", "Bearer"}, {"expires_in", 3600}});
  std::thread caller([&] { token(*first, integration_id, 7200); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (refresh_tokens_sent().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(refresh_tokens_sent().size(), 1U) << "the refresh is in flight";
  first->process().send_signal(SIGKILL);
  caller.join();
  ASSERT_TRUE(first->process().wait_for_exit(5s));
  first.reset();

  auto second = start();
  ASSERT_NE(second->port(), 0);
  // The stored token set is intact: the old access token is still good for an hour.
  const auto still_valid = token(*second, integration_id, 60);
  ASSERT_EQ(testing::status_of(still_valid), 200) << still_valid;
  EXPECT_EQ(nlohmann::json::parse(testing::body_of(still_valid))["access_token"], "ya29.first");

  // A refresh now waits out the dead process's lease, then uses the refresh token we kept.
  fake_.delay_token(0ms);
  fake_.answer_token(
      200, {{"access_token", "ya29.second"}, {"token_type", "Bearer"}, {"expires_in", 3600}});
  const auto refreshed = token(*second, integration_id, 7200);
  ASSERT_EQ(testing::status_of(refreshed), 200) << refreshed;
  EXPECT_EQ(nlohmann::json::parse(testing::body_of(refreshed))["access_token"], "ya29.second");
  EXPECT_EQ(refresh_tokens_sent(), (std::vector<std::string>{"1//kept", "1//kept"}));

  const auto integration = second->get("/v1/integrations/" + integration_id,
                                       testing::service_caller_token("alice", "user"));
  EXPECT_EQ(nlohmann::json::parse(testing::body_of(integration))["status"], "active");
}

TEST_P(CrashRecoveryTest, AServiceKilledMidRevocationRevokesAfterTheRestart) {
  auto first = start();
  ASSERT_NE(first->port(), 0);
  const auto integration_id = connect(*first);

  // The revocation reaches the provider, whose answer takes 30 s; the service dies meanwhile.
  fake_.delay_revoke(30s);
  const auto port = first->port();
  std::thread caller([&] {
    const std::string request =
        "DELETE /v1/integrations/" + integration_id +
        " HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer " +
        testing::service_caller_token("alice", "user") + "\r\n\r\n";
    (void)testing::http_exchange(port, request, 40s);
  });
  kill_when(first, [&] { return fake_.revoke_requests().size() == 1; });
  caller.join();
  EXPECT_EQ(revoked_tokens(), std::multiset<std::string>{"1//kept"}) << "the refresh token first";

  // After the dead process's lease lapses (30 s), the restarted service revokes both tokens; the
  // refresh token again, as nobody knew it was done.
  fake_.delay_revoke(0ms);
  auto second = start();
  ASSERT_NE(second->port(), 0);
  ASSERT_TRUE(eventually(
      [&] {
        return revoked_tokens() == std::multiset<std::string>{"1//kept", "1//kept", "ya29.first"};
      },
      90s))
      << revoked_tokens().size();
  const auto integration = second->get("/v1/integrations/" + integration_id,
                                       testing::service_caller_token("alice", "user"));
  EXPECT_EQ(nlohmann::json::parse(testing::body_of(integration))["status"], "revoked");
}

TEST_P(CrashRecoveryTest, AServiceKilledMidWebhookDeliversItAfterTheRestart) {
  webhooks_.hold(30s);
  auto first = start();
  ASSERT_NE(first->port(), 0);
  connect(*first);
  kill_when(first, [&] { return webhooks_.received().size() == 1; });

  webhooks_.hold(0ms);
  auto second = start();
  ASSERT_NE(second->port(), 0);
  ASSERT_TRUE(eventually([&] { return webhooks_.received().size() >= 2; }, 60s));
  const auto received = webhooks_.received();
  const auto first_try = nlohmann::json::parse(received[0]);
  EXPECT_EQ(first_try["type"], "integration.connected");
  EXPECT_EQ(nlohmann::json::parse(received[1])["id"], first_try["id"])
      << "the same event again, which the receiver can recognise by its id";
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashRecoveryTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace oauth_manager
