#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/async_event.hpp"

namespace oauth_manager::manager {

// Runs at most one `work` per key at a time in this process: callers arriving while it runs
// await the same result instead of starting their own (one provider call for a burst of token
// requests). Followers await an event the leader sets when it is done: they wake at once, on
// their own executors, and cost nothing while they wait.
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
    if (leader) co_return co_await lead(key, std::move(flight), std::move(work));
    co_return co_await follow(flight);
  }

 private:
  struct Flight {
    std::mutex mutex;
    std::optional<T> result;  // empty when done: the leader threw
    core::AsyncEvent done;
  };

  // Finishes the flight however the leader ends: with a result, an exception, or its frame
  // destroyed without resuming (io_context stopped); otherwise its followers would wait forever.
  class Finisher {
   public:
    Finisher(SingleFlight& owner, std::string key, std::shared_ptr<Flight> flight)
        : owner_(owner), key_(std::move(key)), flight_(std::move(flight)) {}
    Finisher(const Finisher&) = delete;
    Finisher& operator=(const Finisher&) = delete;
    ~Finisher() {
      if (flight_) owner_.finish(key_, flight_, std::nullopt);
    }
    void succeed(const T& result) {
      owner_.finish(key_, flight_, result);
      flight_.reset();
    }

   private:
    SingleFlight& owner_;
    std::string key_;
    std::shared_ptr<Flight> flight_;
  };

  boost::asio::awaitable<T> lead(std::string key, std::shared_ptr<Flight> flight, Work work) {
    Finisher finisher(*this, std::move(key), std::move(flight));
    T result = co_await work();
    finisher.succeed(result);
    co_return result;
  }

  void finish(const std::string& key, const std::shared_ptr<Flight>& flight,
              std::optional<T> result) {
    {
      std::lock_guard lock(mutex_);
      flights_.erase(key);
    }
    {
      std::lock_guard lock(flight->mutex);
      flight->result = std::move(result);
    }
    flight->done.set();
  }

  // The leader's result (empty when it threw). Locks stay out of the coroutine bodies: g++ 12
  // mishandles lock_guard locals in coroutines.
  static std::optional<T> outcome(Flight& flight) {
    std::lock_guard lock(flight.mutex);
    return flight.result;
  }

  boost::asio::awaitable<T> follow(std::shared_ptr<Flight> flight) {
    co_await flight->done.wait();
    auto result = outcome(*flight);
    if (!result) throw std::runtime_error("the shared operation failed");
    co_return std::move(*result);
  }

  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace oauth_manager::manager
