#pragma once

#include <utility>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <memory>

#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "core/random_source.hpp"
#include "manager/token_service.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

struct RefresherSettings {
  std::chrono::seconds interval{30};
  std::chrono::seconds refresh_ahead{300};
  int concurrency = 4;
  int batch = 200;  // integrations looked at per round
};

// Renews tokens before they expire so callers rarely wait for a refresh: every interval (with
// jitter, so replicas do not march in step) it lists the tokens expiring within refresh_ahead
// and refreshes them, `concurrency` at a time, through TokenService (so the same single-flight,
// leases and backoff apply across replicas).
class BackgroundRefresher {
 public:
  BackgroundRefresher(store::Store& store, core::BlockingPool& blocking, TokenService& tokens,
                      const core::Clock& clock, core::RandomSource& random,
                      RefresherSettings settings);
  void start(boost::asio::io_context& io);
  // Stops after the round in progress; safe from any thread.
  void stop();
  // Drops the timer and strand. Call once the io_context has stopped running and before it is
  // destroyed (they belong to it).
  void release();
  int rounds() const { return rounds_; }

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> round();
  struct Round;
  class WorkerExit;
  boost::asio::awaitable<void> work_through(std::shared_ptr<Round> work, WorkerExit exit);
  boost::asio::awaitable<void> refresh_one(const std::string& id);

  store::Store& store_;
  core::BlockingPool& blocking_;
  TokenService& tokens_;
  const core::Clock& clock_;
  core::RandomSource& random_;
  RefresherSettings settings_;
  std::unique_ptr<boost::asio::strand<boost::asio::io_context::executor_type>> strand_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> rounds_{0};
};

}  // namespace oauth_manager::manager
