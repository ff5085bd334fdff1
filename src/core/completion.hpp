#pragma once

#include <utility>  // before Asio's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace oauth_manager::core {

// A suspended coroutine waiting for a T that someone else hands over later, from any thread: a
// connection coming free, a group of audit events committed. Move-only. complete() resumes the
// coroutine on its own executor, never inline, so it may be called under a lock. Dropping an
// uncompleted one abandons its coroutine (as io_context shutdown does with pending work).
template <typename T>
class Completion {
 public:
  Completion() = default;
  template <typename Handler>
  explicit Completion(Handler handler)
      : waiting_(std::make_unique<Waiting<Handler>>(std::move(handler))) {}

  void complete(T value) {
    auto waiting = std::move(waiting_);
    waiting->resume(std::move(value));
  }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void resume(T value) = 0;
  };

  template <typename Handler>
  struct Waiting final : Base {
    explicit Waiting(Handler h) : handler(std::move(h)) {}
    void resume(T value) override {
      auto executor = boost::asio::get_associated_executor(handler);
      boost::asio::post(executor,
                        [handler = std::move(handler), value = std::move(value)]() mutable {
                          handler(std::move(value));
                        });
    }
    Handler handler;
  };

  std::unique_ptr<Base> waiting_;
};

// Suspends the calling coroutine and gives its Completion to `keep` (called at once, on this
// thread), which stores it or completes it; resumes with the value it is completed with.
template <typename T, typename Keep>
boost::asio::awaitable<T> until_completed(Keep keep) {
  auto initiation = [&keep](auto handler) { keep(Completion<T>(std::move(handler))); };
  auto waiting = boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(T)>(
      initiation, boost::asio::use_awaitable);
  co_return co_await std::move(waiting);
}

}  // namespace oauth_manager::core
