#pragma once

#include <utility>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <memory>

#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "manager/connect_confirmation.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

// Deletes authorization states that expired (used or not): they are worth nothing after their
// expiry, and without this every abandoned or forged flow would stay in the database for good.
// Every replica may run it; the DELETE is idempotent. Held connect flows nobody confirmed in
// time go too, their grants revoked, and expired connect sessions.
class StatePurger {
 public:
  StatePurger(store::Store& store, core::BlockingPool& blocking, const core::Clock& clock,
              std::chrono::seconds interval = std::chrono::minutes(1))
      : store_(store), blocking_(blocking), clock_(clock), interval_(interval) {}

  // One purge now; how many states (and held flows) went.
  boost::asio::awaitable<core::Result<int>> purge_once();
  void set_confirmation(ConnectConfirmation* confirmation) { confirmation_ = confirmation; }
  void start(boost::asio::io_context& io);
  void stop();     // safe from any thread
  void release();  // after the io_context stopped, before it is destroyed

 private:
  boost::asio::awaitable<void> loop(std::shared_ptr<boost::asio::steady_timer> timer);

  store::Store& store_;
  core::BlockingPool& blocking_;
  const core::Clock& clock_;
  std::chrono::seconds interval_;
  ConnectConfirmation* confirmation_ = nullptr;
  std::shared_ptr<boost::asio::steady_timer> timer_;
  std::atomic<bool> stopping_{false};
};

}  // namespace oauth_manager::manager
