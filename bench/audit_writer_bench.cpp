// Why token reads are audited in batches: N concurrent token reads recorded write-through (each
// waits for its own transaction on the audit chain) against recorded by BatchingAuditWriter and
// flushed, with and without coalescing, on a SQLite file and on PostgreSQL (when
// OAM_TEST_POSTGRES_URL is set, as under scripts/with-test-services).
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "core/clock.hpp"
#include "crypto/openssl_random.hpp"
#include "events/batching_audit_writer.hpp"
#include "store/open_store.hpp"
#include "support/temp_dir.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager {
namespace {

constexpr int kReadsPerIteration = 2000;

enum class Mode { write_through, batched, batched_coalesced };

struct Database {
  testing::TempDir dir;
  std::unique_ptr<testing::PostgresSchema> schema;
  std::unique_ptr<store::Store> store;
};

// nullptr when PostgreSQL is asked for and none is running.
std::unique_ptr<Database> open_database(bool postgres) {
  auto database = std::make_unique<Database>();
  std::string url = "sqlite://" + (database->dir / "bench.db").string();
  if (postgres) {
    const auto server = testing::postgres_url();
    if (!server) return nullptr;
    database->schema = std::make_unique<testing::PostgresSchema>(*server);
    url = database->schema->url();
  }
  database->store = std::move(*store::open_store(url, 8));
  if (!database->store->migrate()) return nullptr;
  return database;
}

void record_reads(events::AuditWriter& writer, int count) {
  boost::asio::io_context io;
  for (int i = 0; i < count; ++i) {
    core::AuditEvent read;
    read.actor = "sub:agent-" + std::to_string(i % 4);
    read.event = "token.read";
    read.user_id = "alice";
    read.integration_id = "int-" + std::to_string(i % 8);
    read.outcome = "ok";
    read.request_id = "req-" + std::to_string(i);
    boost::asio::co_spawn(
        io,
        [&writer, read]() mutable -> boost::asio::awaitable<void> {
          co_await writer.record(std::move(read));
        },
        boost::asio::detached);
  }
  io.run();
}

void token_read_audit(benchmark::State& state, bool postgres, Mode mode) {
  auto database = open_database(postgres);
  if (!database) {
    state.SkipWithError("no PostgreSQL (run through scripts/with-test-services)");
    return;
  }
  core::SystemClock clock;
  crypto::OpenSslRandom random;
  core::BlockingPool blocking(8);
  events::StoreAuditWriter direct(*database->store, blocking, clock, random);
  events::AuditBatchSettings settings;
  settings.coalesce = mode == Mode::batched_coalesced;
  events::BatchingAuditWriter batching(*database->store, direct, clock, random, settings);
  events::AuditWriter& writer =
      mode == Mode::write_through ? static_cast<events::AuditWriter&>(direct) : batching;
  for (auto _ : state) {
    record_reads(writer, kReadsPerIteration);
    if (!batching.flush()) state.SkipWithError("the audit batch failed");
  }
  state.SetItemsProcessed(state.iterations() * kReadsPerIteration);
  batching.close();
}

BENCHMARK_CAPTURE(token_read_audit, sqlite_write_through, false, Mode::write_through)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(token_read_audit, sqlite_batched, false, Mode::batched)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(token_read_audit, sqlite_batched_coalesced, false, Mode::batched_coalesced)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(token_read_audit, postgres_write_through, true, Mode::write_through)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(token_read_audit, postgres_batched, true, Mode::batched)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(token_read_audit, postgres_batched_coalesced, true, Mode::batched_coalesced)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace oauth_manager
