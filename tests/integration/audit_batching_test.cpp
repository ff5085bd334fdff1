// The batching audit writer on a real SQLite file and a real PostgreSQL: token reads leave the
// request path, but every one of them reaches the hash chain — after a database failure, past
// the queue limit, and on close — coalesced into counted rows.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.hpp"
#include "crypto/openssl_random.hpp"
#include "events/batching_audit_writer.hpp"
#include "store/audit_chain.hpp"
#include "store/open_store.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "support/manual_clock.hpp"
#include "support/temp_dir.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager {
namespace {

using namespace std::chrono_literals;

class AuditBatchingTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    OAM_BACKEND_URL(url, GetParam(), "sqlite://" + (dir_ / "audit.db").string(), schema_);
    url_ = url;
    store_ = std::move(*store::open_store(url_, 4));
    ASSERT_TRUE(store_->migrate());
    direct_ = std::make_unique<events::StoreAuditWriter>(*store_, blocking_, clock_, random_);
  }

  std::unique_ptr<events::BatchingAuditWriter> writer(events::AuditBatchSettings settings,
                                                      const core::Clock* clock = nullptr) {
    return std::make_unique<events::BatchingAuditWriter>(
        *store_, *direct_, clock != nullptr ? *clock : clock_, random_, std::move(settings));
  }

  // `count` reads by one caller of one integration, without request ids: alike in everything
  // but their time.
  void record_alike(events::AuditWriter& writer, int count) {
    boost::asio::io_context io;
    for (int i = 0; i < count; ++i) {
      core::AuditEvent read;
      read.actor = "sub:agent-a";
      read.event = "token.read";
      read.user_id = "alice";
      read.integration_id = "int-1";
      read.outcome = "ok";
      boost::asio::co_spawn(
          io,
          [&writer, read]() mutable -> boost::asio::awaitable<void> {
            EXPECT_TRUE(co_await writer.record(std::move(read)));
          },
          boost::asio::detached);
    }
    io.run();
  }

  // Records `count` events through `writer` from coroutines on one io_context, as the guard does.
  void record(events::AuditWriter& writer, int count, const std::string& event = "token.read") {
    boost::asio::io_context io;
    for (int i = 0; i < count; ++i) {
      core::AuditEvent read;
      read.actor = i % 2 == 0 ? "sub:agent-a" : "sub:agent-b";
      read.event = event;
      read.user_id = "alice";
      read.integration_id = i % 3 == 0 ? "int-1" : "int-2";
      read.outcome = "ok";
      read.request_id = "req-" + std::to_string(i);
      boost::asio::co_spawn(
          io,
          [&writer, read]() mutable -> boost::asio::awaitable<void> {
            const auto written = co_await writer.record(std::move(read));
            EXPECT_TRUE(written);
          },
          boost::asio::detached);
    }
    io.run();
  }

  // Rows in the store, and the reads they stand for (a coalesced row counts for several).
  std::pair<std::size_t, std::int64_t> stored(const std::string& event = "token.read") {
    store::AuditQuery query;
    query.event = event;
    query.limit = 100000;
    const auto events = *store_->list_audit(query);
    std::int64_t reads = 0;
    for (const auto& row : events) {
      reads += nlohmann::json::parse(row.details).value("count", std::int64_t{1});
    }
    return {events.size(), reads};
  }

  void expect_chain_intact() {
    const auto verification = store::verify_audit_chain(*store_);
    ASSERT_TRUE(verification);
    EXPECT_TRUE(verification->intact) << verification->problem;
  }

  // Renames the audit table away (every append fails) or back, behind the store's back.
  void audit_table_reachable(bool reachable) {
    auto raw = GetParam() == "postgres" ? store::postgres::connect(url_)
                                        : store::sqlite::connect((dir_ / "audit.db").string());
    ASSERT_TRUE(raw);
    ASSERT_TRUE((*raw)->run_script(reachable
                                       ? "ALTER TABLE audit_events_away RENAME TO audit_events"
                                       : "ALTER TABLE audit_events RENAME TO audit_events_away"));
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::PostgresSchema> schema_;
  std::string url_;
  std::unique_ptr<store::Store> store_;
  core::SystemClock clock_;
  crypto::OpenSslRandom random_;
  core::BlockingPool blocking_{2};
  std::unique_ptr<events::StoreAuditWriter> direct_;  // the write-through path
};

TEST_P(AuditBatchingTest, ClosingWritesEveryQueuedReadEvenBeforeTheFirstFlush) {
  events::AuditBatchSettings settings;
  settings.flush_interval = std::chrono::hours(1);
  auto batching = writer(settings);
  record(*batching, 600);
  EXPECT_EQ(batching->pending(), 600U) << "the reads left the request path";
  EXPECT_EQ(stored().first, 0U);
  batching->close();
  const auto [rows, reads] = stored();
  EXPECT_EQ(reads, 600) << "not one read lost on shutdown";
  // Two callers times two integrations, within one or two minutes.
  EXPECT_LE(rows, 8U);
  expect_chain_intact();
}

TEST_P(AuditBatchingTest, WithoutCoalescingEveryReadIsItsOwnRow) {
  events::AuditBatchSettings settings;
  settings.coalesce = false;
  auto batching = writer(settings);
  record(*batching, 120);
  ASSERT_TRUE(batching->flush());
  EXPECT_EQ(stored(), std::make_pair(std::size_t{120}, std::int64_t{120}));
}

TEST_P(AuditBatchingTest, ABatchTheDatabaseRefusesIsKeptAndWrittenWhenItRecovers) {
  events::AuditBatchSettings settings;
  settings.flush_interval = 20ms;
  settings.retry_pause = 50ms;
  auto batching = writer(settings);
  audit_table_reachable(false);
  record(*batching, 100);
  EXPECT_FALSE(batching->flush()) << "the table is gone: the batch fails, and stays queued";
  audit_table_reachable(true);
  // Wait for the durable outcome, not for the queue to empty: the writer takes a batch off the
  // queue before its transaction commits, so an empty queue alone may still mean "in flight"
  // (this raced once under AddressSanitizer on 2 loaded cores).
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (stored().second < 100 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(stored().second, 100) << "the writer thread retried on its own";
  EXPECT_EQ(batching->pending(), 0U);
  expect_chain_intact();
}

// A failed batch goes back merged. Merged again on the next failure, two rows alike (same
// count, same times: a frozen clock) became one row counting two reads instead of six.
TEST_P(AuditBatchingTest, RowsBackFromAFailedBatchAreNotMergedAgain) {
  testing::ManualClock frozen;
  events::AuditBatchSettings settings;
  settings.flush_interval = std::chrono::hours(1);
  auto batching = writer(settings, &frozen);
  audit_table_reachable(false);
  record_alike(*batching, 3);
  EXPECT_FALSE(batching->flush());
  record_alike(*batching, 3);
  EXPECT_FALSE(batching->flush()) << "two rows of three reads each, alike in every field";
  EXPECT_FALSE(batching->flush());
  audit_table_reachable(true);
  ASSERT_TRUE(batching->flush());
  EXPECT_EQ(stored(), std::make_pair(std::size_t{2}, std::int64_t{6}));
  expect_chain_intact();
}

TEST_P(AuditBatchingTest, PastTheQueueLimitReadsAreWrittenThrough) {
  events::AuditBatchSettings settings;
  settings.flush_interval = std::chrono::hours(1);
  settings.max_pending = 10;
  auto batching = writer(settings);
  record(*batching, 25);
  EXPECT_EQ(batching->pending(), 10U);
  EXPECT_EQ(stored(), std::make_pair(std::size_t{15}, std::int64_t{15}));
  batching->close();
  EXPECT_EQ(stored().second, 25);
  expect_chain_intact();
}

TEST_P(AuditBatchingTest, OtherEventsAreWrittenBeforeRecordReturns) {
  auto batching = writer({});
  record(*batching, 3, "integration.connected");
  EXPECT_EQ(batching->pending(), 0U);
  EXPECT_EQ(stored("integration.connected").first, 3U);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditBatchingTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace oauth_manager
