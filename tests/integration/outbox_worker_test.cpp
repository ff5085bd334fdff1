// The outbox worker against a real SQLite store: a handler that throws, or a database that
// refuses a claim, must never stop the worker; a job it cannot handle here is left alone.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "crypto/openssl_random.hpp"
#include "events/outbox_worker.hpp"
#include "store/open_store.hpp"
#include "support/eventually.hpp"
#include "support/temp_dir.hpp"

namespace oauth_manager {
namespace {

using namespace std::chrono_literals;

// Throws at its first delivery, delivers every later one.
class FlakyHandler final : public events::OutboxHandler {
 public:
  boost::asio::awaitable<events::Delivery> deliver(const core::OutboxJob&) override {
    if (calls_++ == 0) throw std::runtime_error("a bug in a handler");
    co_return events::Delivery::done();
  }
  events::OutboxSubject subject_of(const core::OutboxJob&) const override { return {}; }
  int calls() const { return calls_; }

 private:
  std::atomic<int> calls_{0};
};

class OutboxWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_->migrate()); }

  void run_worker(events::OutboxWorker& worker, const std::function<bool()>& until) {
    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    worker.start(io);
    (void)testing::eventually(until, 30s);  // the test's assertions say what was reached
    worker.stop();
    work.reset();
    io.stop();
    runner.join();
    blocking_.join();
    worker.release();
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_ =
      std::move(*store::open_store("sqlite://" + (dir_ / "o.db").string(), 2));
  crypto::OpenSslRandom random_;
  const core::SystemClock clock_;
  core::BlockingPool blocking_{2};
};

TEST_F(OutboxWorkerTest, AHandlerThatThrowsDoesNotStopTheWorker) {
  events::OutboxSettings settings;
  settings.lease = 1s;  // the job the throw left leased comes back after this
  settings.poll_interval = 200ms;
  events::OutboxWorker worker(*store_, blocking_, clock_, random_, settings);
  FlakyHandler handler;
  worker.add_handler("test", handler);
  ASSERT_TRUE(store_->enqueue_outbox(worker.new_job("test", "{}", false)));
  ASSERT_TRUE(store_->enqueue_outbox(worker.new_job("test", "{}", false)));
  ASSERT_TRUE(store_->enqueue_outbox(worker.new_job("other", "{}", false)));

  run_worker(worker, [&] { return *store_->count_outbox() == 1; });
  EXPECT_EQ(*store_->count_outbox(), 1) << "both test jobs delivered, the throw notwithstanding";
  EXPECT_EQ(handler.calls(), 3) << "the job that threw was delivered again after its lease";
  EXPECT_EQ(worker.delivered(), 2);
  auto left = store_->claim_outbox({"other"}, "me", clock_.now(), clock_.now() + 1s, 10);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1U) << "a kind without a handler here is not touched";
  EXPECT_EQ((*left)[0].attempts, 0);
}

}  // namespace
}  // namespace oauth_manager
