// Two oauth-manager processes on one PostgreSQL, against the real OIDC provider: a burst of token
// requests spread over both replicas for an expiring token causes exactly one refresh.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/api_harness.hpp"
#include "support/browser.hpp"
#include "support/oidc_provider_peer.hpp"
#include "support/raw_http.hpp"
#include "support/running_service.hpp"
#include "support/tcp_forwarder.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager {
namespace {

const std::string kBinary = OAUTH_MANAGER_BINARY;

TEST(Replicas, TwoProcessesOnOnePostgresRefreshAnExpiringTokenOnce) {
  OAM_REQUIRE_POSTGRES(server_url);
  // The provider must know the redirect URI and the replicas their public URL before they
  // start, and a process bound to port 0 tells its port only once it runs: the public URL is a
  // load balancer's (a forwarder the test binds first), which leads to replica A.
  testing::TcpForwarder front;
  const auto callback = front.url() + "/v1/oauth/callback/testidp";
  testing::OidcProviderPeer::Options options;
  options.redirect_uris = {callback};
  options.access_token_ttl_seconds = 30;  // the first token is about to expire
  OAM_START_OIDC_PROVIDER(peer, options);
  testing::PostgresSchema schema(*server_url);
  const std::map<std::string, std::string> common = {
      {"OAUTH_MANAGER_DATABASE_URL", schema.url()},
      {"OAUTH_MANAGER_SERVER_PUBLIC_URL", front.url()},
      {"OAUTH_MANAGER_PROVIDERS_TESTIDP_ISSUER", peer->issuer()},
      {"OAUTH_MANAGER_PROVIDERS_TESTIDP_CLIENT_ID", options.client_id},
      {"OAUTH_MANAGER_PROVIDERS_TESTIDP_CLIENT_SECRET", options.client_secret},
      {"OAUTH_MANAGER_PROVIDERS_TESTIDP_ALLOW_INSECURE_LOOPBACK", "true"},
      {"OAUTH_MANAGER_PROVIDERS_TESTIDP_SCOPES", "openid,email,offline_access"},
      {"OAUTH_MANAGER_RATE_LIMIT_ENABLED", "false"},
      {"OAUTH_MANAGER_TOKENS_BACKGROUND_REFRESH", "false"}};
  testing::TempDir dir_a;
  testing::TempDir dir_b;
  testing::RunningService a(kBinary, dir_a, common);
  ASSERT_NE(a.port(), 0) << a.process().stderr_text();
  front.start(a.port());
  testing::RunningService b(kBinary, dir_b, common);
  ASSERT_NE(b.port(), 0) << b.process().stderr_text();

  // Alice connects through replica A.
  const auto started = a.post("/v1/integrations/testidp/authorize",
                              testing::service_caller_token("alice", "user"), "{}");
  ASSERT_EQ(testing::status_of(started), 201) << started;
  const auto url = nlohmann::json::parse(testing::body_of(started))["authorization_url"];
  testing::Browser browser;
  const auto page = browser.open(url.get<std::string>());
  ASSERT_EQ(page.status, 200) << page.body;
  const auto integration_id =
      nlohmann::json::parse(page.body)["integration"]["id"].get<std::string>();

  // The next token will live an hour; the one stored has 30 s left, under min_ttl_seconds (60).
  peer->set_access_token_ttl(3600);
  const auto service = testing::service_caller_token("calendar-agent", "service");
  const auto request = nlohmann::json{{"integration_id", integration_id}}.dump();
  constexpr int kCallers = 100;
  std::vector<std::string> replies(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    const auto* replica = i % 2 == 0 ? &a : &b;
    callers.emplace_back(
        [&, i, replica] { replies[i] = replica->post("/v1/tokens", service, request); });
  }
  for (auto& caller : callers) caller.join();

  std::set<std::string> tokens;
  for (const auto& reply : replies) {
    ASSERT_EQ(testing::status_of(reply), 200) << reply;
    tokens.insert(
        nlohmann::json::parse(testing::body_of(reply))["access_token"].get<std::string>());
  }
  EXPECT_EQ(tokens.size(), 1U) << "both replicas hand out the same token";
  EXPECT_EQ(peer->stats()["refresh_token"], 1) << "one refresh across both replicas";
}

}  // namespace
}  // namespace oauth_manager
