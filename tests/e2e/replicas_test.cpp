// Two oauth-manager processes on one PostgreSQL, against the real OIDC provider: a burst of token
// requests spread over both replicas for an expiring token causes exactly one refresh, and what
// one replica writes reaches the other's hand-out cache within the staleness bound.
#include <gtest/gtest.h>

#include <chrono>
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

// What both replicas are configured with: one database, one public URL, the test provider.
std::map<std::string, std::string> replica_environment(
    const std::string& database_url, const std::string& public_url,
    const testing::OidcProviderPeer& peer, const testing::OidcProviderPeer::Options& options) {
  return {{"OAUTH_MANAGER_DATABASE_URL", database_url},
          {"OAUTH_MANAGER_SERVER_PUBLIC_URL", public_url},
          {"OAUTH_MANAGER_PROVIDERS_TESTIDP_ISSUER", peer.issuer()},
          {"OAUTH_MANAGER_PROVIDERS_TESTIDP_CLIENT_ID", options.client_id},
          {"OAUTH_MANAGER_PROVIDERS_TESTIDP_CLIENT_SECRET", options.client_secret},
          {"OAUTH_MANAGER_PROVIDERS_TESTIDP_ALLOW_INSECURE_LOOPBACK", "true"},
          {"OAUTH_MANAGER_PROVIDERS_TESTIDP_SCOPES", "openid,email,offline_access"},
          {"OAUTH_MANAGER_RATE_LIMIT_ENABLED", "false"},
          {"OAUTH_MANAGER_TOKENS_BACKGROUND_REFRESH", "false"}};
}

// Replica A (behind the front door) and replica B, on one configuration.
struct TwoReplicas {
  explicit TwoReplicas(const std::map<std::string, std::string>& environment)
      : a(kBinary, dir_a, environment), b(kBinary, dir_b, environment) {}

  // Whether both run (the log of one that does not is printed); then `front` leads to A.
  bool started(testing::TcpForwarder& front) {
    EXPECT_NE(a.port(), 0) << a.process().stderr_text();
    EXPECT_NE(b.port(), 0) << b.process().stderr_text();
    if (a.port() == 0 || b.port() == 0) return false;
    front.start(a.port());
    return true;
  }

  testing::TempDir dir_a;
  testing::TempDir dir_b;
  testing::RunningService a;
  testing::RunningService b;
};

// Alice connects through `replica` (with the provider's consent page answered by a browser);
// the new integration's id, or "" (with a test failure) when the flow fails.
std::string connect_alice(const testing::RunningService& replica) {
  const auto started = replica.post("/v1/integrations/testidp/authorize",
                                    testing::service_caller_token("alice", "user"), "{}");
  EXPECT_EQ(testing::status_of(started), 201) << started;
  if (testing::status_of(started) != 201) return "";
  const auto url = nlohmann::json::parse(testing::body_of(started))["authorization_url"];
  testing::Browser browser;
  const auto page = browser.open(url.get<std::string>());
  EXPECT_EQ(page.status, 200) << page.body;
  if (page.status != 200) return "";
  return nlohmann::json::parse(page.body)["integration"]["id"].get<std::string>();
}

TEST(Replicas, TwoProcessesOnOnePostgresRefreshAnExpiringTokenOnce) {
  OAM_REQUIRE_POSTGRES(server_url);
  // The provider must know the redirect URI and the replicas their public URL before they
  // start, and a process bound to port 0 tells its port only once it runs: the public URL is a
  // load balancer's (a forwarder the test binds first), which leads to replica A.
  testing::TcpForwarder front;
  testing::OidcProviderPeer::Options options;
  options.redirect_uris = {front.url() + "/v1/oauth/callback/testidp"};
  options.access_token_ttl_seconds = 30;  // the first token is about to expire
  OAM_START_OIDC_PROVIDER(peer, options);
  testing::PostgresSchema schema(*server_url);
  TwoReplicas replicas(replica_environment(schema.url(), front.url(), *peer, options));
  ASSERT_TRUE(replicas.started(front));
  auto& a = replicas.a;
  auto& b = replicas.b;
  const auto integration_id = connect_alice(a);
  ASSERT_FALSE(integration_id.empty());

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

// The hand-out cache's promise across replicas: a write on one replica (a refresh, a disconnect)
// reaches the other's copies within the staleness bound (1 s). The copies here would otherwise
// live a minute (cache_staleness_ms), so only the change notice (PostgreSQL NOTIFY) can make
// replica A see replica B's writes in time: without it A hands out the old token, and then the
// disconnected integration's, for that minute.
TEST(Replicas, WritesOnOneReplicaReachTheOthersCacheWithinTheStalenessBound) {
  OAM_REQUIRE_POSTGRES(server_url);
  testing::TcpForwarder front;
  testing::OidcProviderPeer::Options options;
  options.redirect_uris = {front.url() + "/v1/oauth/callback/testidp"};
  OAM_START_OIDC_PROVIDER(peer, options);
  testing::PostgresSchema schema(*server_url);
  auto common = replica_environment(schema.url(), front.url(), *peer, options);
  common["OAUTH_MANAGER_TOKENS_CACHE_STALENESS_MS"] = "60000";
  TwoReplicas replicas(common);
  ASSERT_TRUE(replicas.started(front));
  auto& a = replicas.a;
  auto& b = replicas.b;
  const auto integration_id = connect_alice(a);
  ASSERT_FALSE(integration_id.empty());

  const auto service = testing::service_caller_token("calendar-agent", "service");
  const auto by_id = nlohmann::json{{"integration_id", integration_id}}.dump();
  const auto by_account = nlohmann::json{{"user_id", "alice"}, {"provider", "testidp"}}.dump();
  const auto access_token = [&](const std::string& reply) {
    return nlohmann::json::parse(testing::body_of(reply)).value("access_token", "");
  };
  // Replica A reads both lookups once: from now on it answers from its copies.
  const auto first = a.post("/v1/tokens", service, by_id);
  ASSERT_EQ(testing::status_of(first), 200) << first;
  ASSERT_EQ(testing::status_of(a.post("/v1/tokens", service, by_account)), 200);

  // Replica B refreshes: A hands out the new token within the bound.
  const auto alice = testing::service_caller_token("alice", "user");
  const auto refreshed = b.post("/v1/integrations/" + integration_id + "/refresh", alice, "{}");
  ASSERT_EQ(testing::status_of(refreshed), 200) << refreshed;
  const auto new_token = access_token(b.post("/v1/tokens", service, by_id));
  ASSERT_NE(new_token, access_token(first));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  std::string seen = access_token(first);
  while (seen != new_token && std::chrono::steady_clock::now() < deadline) {
    seen = access_token(a.post("/v1/tokens", service, by_id));
  }
  EXPECT_EQ(seen, new_token) << "replica A still hands out the token replaced on replica B";

  // Replica B disconnects: within the bound A refuses both lookups.
  const auto removed = b.remove("/v1/integrations/" + integration_id, alice);
  ASSERT_EQ(testing::status_of(removed), 204) << removed;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  int by_id_status = 200;
  int by_account_status = 200;
  while ((by_id_status == 200 || by_account_status == 200) &&
         std::chrono::steady_clock::now() < deadline) {
    by_id_status = testing::status_of(a.post("/v1/tokens", service, by_id));
    by_account_status = testing::status_of(a.post("/v1/tokens", service, by_account));
  }
  EXPECT_EQ(by_id_status, 404) << "replica A still hands out a token B disconnected";
  EXPECT_EQ(by_account_status, 404) << "replica A still finds alice's disconnected integration";
}

}  // namespace
}  // namespace oauth_manager
