// rotate-keys on 10,000 integrations while other threads keep reading tokens: no read fails,
// every token set ends under the new key, and the old key can then be dropped. On SQLite and
// PostgreSQL.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "core/ids.hpp"
#include "crypto/openssl_random.hpp"
#include "manager/key_rotation.hpp"
#include "store/open_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager {
namespace {

constexpr int kIntegrations = 10000;

class KeyRotationTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    OAM_BACKEND_URL(url, GetParam(), "sqlite://" + (dir_ / "rotation.db").string(), schema_);
    store_ = std::move(*store::open_store(url, 8));
    ASSERT_TRUE(store_->migrate());
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::PostgresSchema> schema_;
  std::unique_ptr<store::Store> store_;
  crypto::OpenSslRandom random_;
  core::SystemClock clock_;
};

TEST_P(KeyRotationTest, TenThousandTokenSetsMoveToTheNewKeyWhileBeingRead) {
  const auto old_key = *crypto::parse_data_key("old:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  const auto new_key = *crypto::parse_data_key("new:HxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwIBAB8eHR0=");
  const crypto::Keyring before({old_key}, random_);
  const manager::TokenVault old_vault(before);
  std::vector<std::string> ids;
  for (int i = 0; i < kIntegrations; ++i) {
    core::Integration integration;
    integration.id = core::new_id(random_);
    integration.user_id = "user-" + std::to_string(i % 100);
    integration.provider = "google";
    integration.provider_account_id = "account-" + std::to_string(i);
    integration.created_at = core::from_unix_ms(1'700'000'000'000);
    integration.updated_at = integration.created_at;
    ASSERT_TRUE(store_->upsert_integration(integration));
    const manager::TokenSet tokens{"access-" + std::to_string(i), "refresh-" + std::to_string(i),
                                   "Bearer", std::nullopt};
    ASSERT_TRUE(store_->put_tokens(old_vault.seal(integration.id, tokens, integration.created_at)));
    ids.push_back(integration.id);
  }

  // The service, restarted with the new primary and the old key kept for reading.
  const crypto::Keyring during({new_key, old_key}, random_);
  const manager::TokenVault vault(during);
  std::atomic<bool> rotating{true};
  std::atomic<int> reads{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&, r] {
      std::mt19937 pick(static_cast<unsigned>(r));
      std::uniform_int_distribution<std::size_t> index(0, ids.size() - 1);
      while (rotating) {
        const auto i = index(pick);
        auto record = store_->get_tokens(ids[i]);
        auto opened =
            record ? vault.open(*record) : core::Result<manager::TokenSet>(record.error());
        if (!opened || opened->access_token != "access-" + std::to_string(i)) ++failures;
        ++reads;
      }
    });
  }
  manager::KeyRotation rotation(*store_, during, random_, clock_);
  int batches = 0;
  auto done = rotation.run(500, [&](const manager::RotationProgress&) { ++batches; });
  rotating = false;
  for (auto& reader : readers) reader.join();

  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->reencrypted, kIntegrations);
  EXPECT_EQ(done->remaining, 0);
  EXPECT_EQ(batches, kIntegrations / 500);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(failures.load(), 0) << "of " << reads.load() << " reads during the rotation";
  EXPECT_EQ(*store_->count_tokens_not_under("new"), 0);

  // The old key can go: everything opens with the new one alone.
  const crypto::Keyring after({new_key}, random_);
  const manager::TokenVault new_vault(after);
  for (int i = 0; i < kIntegrations; i += 997) {
    auto opened = new_vault.open(*store_->get_tokens(ids[static_cast<std::size_t>(i)]));
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(opened->refresh_token, "refresh-" + std::to_string(i));
  }
  // And a reader that lacks the new key gets a clear error, never garbage.
  const auto stale = old_vault.open(*store_->get_tokens(ids[0]));
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.error().message.find("\"new\""), std::string::npos);
}

// A refresh in flight holds the integration's lease, and its provider may be rotating the refresh
// token right now: rotation must not re-seal (and so bump the version of) that row under it. The
// row is skipped, the others move, and the next run, once the lease is gone, finishes the job.
TEST_P(KeyRotationTest, ARowWhoseRefreshIsInFlightIsSkippedAndDoneLater) {
  const auto old_key = *crypto::parse_data_key("old:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  const auto new_key = *crypto::parse_data_key("new:HxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwIBAB8eHR0=");
  const crypto::Keyring before({old_key}, random_);
  const manager::TokenVault old_vault(before);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    core::Integration integration;
    integration.id = "integration-" + std::to_string(i);
    integration.user_id = "alice";
    integration.provider = "notion";
    integration.provider_account_id = "bot-" + std::to_string(i);
    integration.created_at = clock_.now();
    integration.updated_at = integration.created_at;
    ASSERT_TRUE(store_->upsert_integration(integration));
    const manager::TokenSet tokens{"access", "refresh", "Bearer", std::nullopt};
    ASSERT_TRUE(store_->put_tokens(old_vault.seal(integration.id, tokens, clock_.now())));
    ids.push_back(integration.id);
  }
  const auto now = clock_.now();
  ASSERT_TRUE(
      *store_->acquire_refresh_lease(ids[1], "a-refresh", now, now + std::chrono::hours(1)));
  const auto version_before = store_->get_tokens(ids[1])->version;

  const crypto::Keyring during({new_key, old_key}, random_);
  manager::KeyRotation rotation(*store_, during, random_, clock_, std::chrono::milliseconds(1));
  auto blocked = rotation.run(10, [](const manager::RotationProgress&) {});
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, core::Code::conflict);
  EXPECT_EQ(store_->get_tokens(ids[1])->version, version_before) << "the leased row is untouched";
  EXPECT_EQ(store_->get_tokens(ids[1])->key_id, "old");
  EXPECT_EQ(store_->get_tokens(ids[0])->key_id, "new");
  EXPECT_EQ(store_->get_tokens(ids[2])->key_id, "new");

  ASSERT_TRUE(store_->release_refresh_lease(ids[1], "a-refresh"));
  auto done = rotation.run(10, [](const manager::RotationProgress&) {});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->remaining, 0);
  EXPECT_EQ(store_->get_tokens(ids[1])->key_id, "new");
}

INSTANTIATE_TEST_SUITE_P(Backends, KeyRotationTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace oauth_manager
