// The background refresher against a real SQLite store: one refresh that throws (here, a random
// source that fails while a lease owner is drawn) must not stop background refresh for good.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "crypto/key_material.hpp"
#include "crypto/keyring.hpp"
#include "crypto/openssl_random.hpp"
#include "events/audit_writer.hpp"
#include "manager/background_refresher.hpp"
#include "manager/refresh_engine.hpp"
#include "manager/token_service.hpp"
#include "manager/token_vault.hpp"
#include "providers/registry.hpp"
#include "store/open_store.hpp"
#include "support/temp_dir.hpp"

namespace oauth_manager {
namespace {

using namespace std::chrono_literals;

// Fails every draw: the refresh engine's lease owner cannot be made, and the refresh throws.
class FailingRandom final : public core::RandomSource {
 public:
  std::string bytes(std::size_t) override { throw std::runtime_error("no entropy today"); }
};

TEST(BackgroundRefresher, ARefreshThatThrowsDoesNotStopLaterRounds) {
  testing::TempDir dir;
  auto store = std::move(*store::open_store("sqlite://" + (dir / "r.db").string(), 2));
  ASSERT_TRUE(store->migrate());
  crypto::OpenSslRandom random;
  const core::SystemClock clock;
  const crypto::Keyring keyring(
      {*crypto::parse_data_key("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")}, random);

  core::Integration integration;
  integration.id = "integration-1";
  integration.user_id = "alice";
  integration.provider = "google";
  integration.provider_account_id = "g-1";
  integration.created_at = clock.now();
  integration.updated_at = clock.now();
  ASSERT_TRUE(store->upsert_integration(integration));
  const manager::TokenSet expiring{"access", "refresh", "Bearer", clock.now() + 10s};
  ASSERT_TRUE(
      store->put_tokens(manager::TokenVault(keyring).seal(integration.id, expiring, clock.now())));

  core::BlockingPool blocking(2);
  providers::ProviderRegistry registry({}, clock);
  events::StoreAuditWriter audit(*store, blocking, clock, random);
  FailingRandom failing;
  manager::RefreshEngine engine(*store, blocking, registry, keyring, audit, clock, failing, {});
  manager::TokenService tokens(*store, blocking, engine);
  manager::RefresherSettings settings;
  settings.interval = 1s;
  settings.refresh_ahead = 300s;
  manager::BackgroundRefresher refresher(*store, blocking, tokens, clock, random, settings);

  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  refresher.start(io);
  // Each round tries the expiring integration and throws; rounds must keep coming anyway. The
  // deadline only matters when they stopped (the old code waited for a worker that was gone).
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (refresher.rounds() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GE(refresher.rounds(), 2);
  refresher.stop();
  work.reset();
  io.stop();
  runner.join();
  blocking.join();
  refresher.release();
}

}  // namespace
}  // namespace oauth_manager
