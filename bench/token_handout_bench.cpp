// POST /v1/tokens end to end, for a token that is still fresh (no provider call): caller JWT
// verification, the integration and token reads, decryption, the batched audit event and the
// HTTP exchange. 8 client threads, one TCP connection per request, against the in-process
// service on 2 I/O threads; SQLite file and PostgreSQL.
#include <benchmark/benchmark.h>

#include <stdexcept>
#include <thread>

#include "core/clock.hpp"
#include "manager/token_vault.hpp"
#include "support/api_harness.hpp"
#include "support/raw_http.hpp"
#include "support/temp_dir.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager {
namespace {

constexpr int kClients = 8;
constexpr int kRequestsPerClient = 100;

// Alice's Google integration with an access token valid for a day.
std::string seed_integration(testing::ApiHarness& api, const core::Clock& clock) {
  core::Integration integration;
  integration.id = "bench-integration";
  integration.user_id = "alice";
  integration.provider = "google";
  integration.provider_account_id = "g-1";
  integration.granted_scopes = {"openid", "email"};
  integration.created_at = integration.updated_at = clock.now();
  const auto stored = *api.store().upsert_integration(integration);
  manager::TokenSet tokens;
  tokens.access_token = "ya29." + std::string(200, 'a');
  tokens.refresh_token = "1//" + std::string(100, 'r');
  tokens.expires_at = clock.now() + std::chrono::hours(24);
  const manager::TokenVault vault(api.service().keyring());
  if (!api.store().put_tokens(vault.seal(stored.id, tokens, clock.now()))) {
    throw std::runtime_error("could not store the token set");
  }
  return stored.id;
}

void token_handout(benchmark::State& state, bool postgres) {
  testing::TempDir dir;
  config::Environment env = {{"OAUTH_MANAGER_RATE_LIMIT_ENABLED", "false"},
                             {"OAUTH_MANAGER_TOKENS_BACKGROUND_REFRESH", "false"}};
  std::unique_ptr<testing::PostgresSchema> schema;
  if (postgres) {
    const auto server = testing::postgres_url();
    if (!server) {
      state.SkipWithError("no PostgreSQL (run through scripts/with-test-services)");
      return;
    }
    schema = std::make_unique<testing::PostgresSchema>(*server);
    env["OAUTH_MANAGER_DATABASE_URL"] = schema->url();
  }
  core::SystemClock clock;
  testing::ApiHarness api(dir, env, clock);
  const auto body = nlohmann::json{{"integration_id", seed_integration(api, clock)}}.dump();
  const auto bearer = api.token("calendar-agent", {"service"});
  std::atomic<int> failures{0};
  for (auto _ : state) {
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&] {
        for (int i = 0; i < kRequestsPerClient; ++i) {
          if (api.post("/v1/tokens", bearer, body).status != 200) ++failures;
        }
      });
    }
    for (auto& client : clients) client.join();
  }
  if (failures > 0) state.SkipWithError("some token requests failed");
  state.SetItemsProcessed(state.iterations() * kClients * kRequestsPerClient);
}

BENCHMARK_CAPTURE(token_handout, sqlite, false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(token_handout, postgres, true)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace oauth_manager
