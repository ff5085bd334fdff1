#pragma once

#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <mutex>
#include <vector>

namespace oauth_manager::core {

// A one-shot event that coroutines on any executor and thread can await: wait() completes once
// set() has been called, at once if it already was, and resumes each waiter on its own executor.
// Waiting costs nothing and wakes at once: no timer, no poll. (Boost 1.74 has no thread-safe
// awaitable channel; this is the smallest thing that does the job.)
class AsyncEvent {
 public:
  AsyncEvent() = default;
  AsyncEvent(const AsyncEvent&) = delete;
  AsyncEvent& operator=(const AsyncEvent&) = delete;

  void set() {
    std::vector<std::unique_ptr<Waiter>> waiting;
    {
      std::lock_guard lock(mutex_);
      if (set_) return;
      set_ = true;
      waiting.swap(waiters_);
    }
    for (auto& waiter : waiting) waiter->complete();
  }

  bool is_set() const {
    std::lock_guard lock(mutex_);
    return set_;
  }

  boost::asio::awaitable<void> wait() {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void()>(
        [this](auto handler) { add(std::move(handler)); }, boost::asio::use_awaitable);
  }

 private:
  struct Waiter {
    virtual ~Waiter() = default;
    virtual void complete() = 0;
  };

  template <typename Handler>
  struct HandlerWaiter final : Waiter {
    explicit HandlerWaiter(Handler h)
        : handler(std::move(h)),
          // Counts as work for the waiter's io_context, so run() does not return under it.
          work(boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                   boost::asio::execution::outstanding_work.tracked)) {}
    void complete() override {
      auto executor = boost::asio::get_associated_executor(handler);
      boost::asio::post(executor, std::move(handler));
    }
    Handler handler;
    boost::asio::any_io_executor work;
  };

  template <typename Handler>
  void add(Handler handler) {
    auto waiter = std::make_unique<HandlerWaiter<Handler>>(std::move(handler));
    {
      std::lock_guard lock(mutex_);
      if (!set_) {
        waiters_.push_back(std::move(waiter));
        return;
      }
    }
    waiter->complete();
  }

  mutable std::mutex mutex_;
  bool set_ = false;
  std::vector<std::unique_ptr<Waiter>> waiters_;
};

}  // namespace oauth_manager::core
