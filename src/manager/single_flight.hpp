#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

namespace oauth_manager::manager {

// Runs at most one `work` per key at a time in this process: callers arriving while it runs
// await the same result instead of starting their own (one provider call for a burst of token
// requests). Followers poll the shared result with a short, growing sleep: Boost 1.74 has no
// thread-safe awaitable channel, and callers live on different strands and threads.
template <typename T>
class SingleFlight {
 public:
  using Work = std::function<boost::asio::awaitable<T>()>;

  boost::asio::awaitable<T> run(const std::string& key, Work work) {
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
      std::lock_guard lock(mutex_);
      auto& slot = flights_[key];
      if (!slot) {
        slot = std::make_shared<Flight>();
        leader = true;
      }
      flight = slot;
    }
    if (leader) co_return co_await lead(key, flight, std::move(work));
    co_return co_await follow(flight);
  }

 private:
  struct Flight {
    std::mutex mutex;
    bool done = false;
    std::optional<T> result;  // empty when done: the leader threw
  };

  boost::asio::awaitable<T> lead(const std::string& key, std::shared_ptr<Flight> flight,
                                 Work work) {
    std::optional<T> result;
    try {
      result.emplace(co_await work());
    } catch (...) {
      finish(key, flight, std::nullopt);
      throw;
    }
    finish(key, flight, *result);
    co_return std::move(*result);
  }

  void finish(const std::string& key, const std::shared_ptr<Flight>& flight,
              std::optional<T> result) {
    {
      std::lock_guard lock(mutex_);
      flights_.erase(key);
    }
    std::lock_guard lock(flight->mutex);
    flight->result = std::move(result);
    flight->done = true;
  }

  // nullopt while running; then the result (empty when the leader threw). Locks stay out of
  // the coroutine bodies: g++ 12 mishandles lock_guard locals in coroutine loops.
  static std::optional<std::optional<T>> poll(Flight& flight) {
    std::lock_guard lock(flight.mutex);
    if (!flight.done) return std::nullopt;
    return flight.result;
  }

  boost::asio::awaitable<T> follow(std::shared_ptr<Flight> flight) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    auto pause = std::chrono::milliseconds(1);
    auto outcome = poll(*flight);
    while (!outcome) {
      timer.expires_after(pause);
      boost::system::error_code ignored;
      co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
      pause = std::min(pause * 2, std::chrono::milliseconds(20));
      outcome = poll(*flight);
    }
    if (!*outcome) throw std::runtime_error("the shared operation failed");
    co_return std::move(**outcome);
  }

  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace oauth_manager::manager
