// Seeds a database for the HTTP benchmarks: COUNT integrations (user-N at provider google, one
// account each) with token sets sealed under the configured data key, fresh for a day. The
// configuration comes from OAUTH_MANAGER_* variables, exactly as `oauth-manager serve` reads it.
// Prints the id of the first integration.
//
// Usage: OAUTH_MANAGER_DATABASE_URL=... OAUTH_MANAGER_CRYPTO_KEYS=... oauth_manager_bench_seed
// COUNT
#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "crypto/keyring.hpp"
#include "crypto/openssl_random.hpp"
#include "manager/token_vault.hpp"
#include "store/open_store.hpp"

namespace oauth_manager {
namespace {

constexpr int kPerTransaction = 1000;

core::Integration integration_of(int index, core::Timestamp now) {
  core::Integration integration;
  integration.id = fmt::format("bench-{:07}", index);
  integration.user_id = fmt::format("user-{}", index);
  integration.provider = "google";
  integration.provider_account_id = fmt::format("g-{}", index);
  integration.granted_scopes = {"openid", "email", "https://www.googleapis.com/auth/calendar"};
  integration.created_at = integration.updated_at = now;
  return integration;
}

int seed(int count) {
  const auto loaded = config::load_config(std::nullopt, config::process_environment());
  if (!loaded.config) {
    for (const auto& problem : loaded.problems) {
      std::fprintf(stderr, "%s: %s\n", problem.key.c_str(), problem.message.c_str());
    }
    return 2;
  }
  auto store = store::open_store(loaded.config->database.url, 1);
  if (!store || !(*store)->migrate()) {
    std::fprintf(stderr, "cannot open or migrate the database\n");
    return 1;
  }
  crypto::OpenSslRandom random;
  const crypto::Keyring keyring(loaded.config->crypto.keys, random);
  const manager::TokenVault vault(keyring);
  const core::SystemClock clock;
  const auto now = clock.now();
  manager::TokenSet tokens;
  tokens.access_token = "ya29." + std::string(200, 'a');
  tokens.refresh_token = "1//" + std::string(100, 'r');
  tokens.expires_at = now + std::chrono::hours(24);
  for (int first = 0; first < count; first += kPerTransaction) {
    auto written = (*store)->transact([&](store::Store& tx) -> core::Status {
      for (int index = first; index < std::min(count, first + kPerTransaction); ++index) {
        auto stored = tx.upsert_integration(integration_of(index, now));
        if (!stored) return stored.error();
        if (auto put = tx.put_tokens(vault.seal(stored->id, tokens, now)); !put) {
          return put.error();
        }
      }
      return core::Status{};
    });
    if (!written) {
      std::fprintf(stderr, "seeding failed: %s\n", written.error().message.c_str());
      return 1;
    }
  }
  std::printf("%s\n", integration_of(0, now).id.c_str());
  return 0;
}

}  // namespace
}  // namespace oauth_manager

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s COUNT\n", argv[0]);
    return 2;
  }
  return oauth_manager::seed(std::stoi(argv[1]));
}
