#pragma once

// <utility> must precede Asio's headers with Boost 1.74 and g++ 12 (asio issue 944).
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <type_traits>

#include "core/error.hpp"

namespace oauth_manager::core {

// A bounded set of threads for blocking calls (database, file I/O). An I/O thread awaits the
// result instead of blocking, so a slow database never stalls other requests.
class BlockingPool {
 public:
  explicit BlockingPool(int threads) : pool_(static_cast<std::size_t>(threads)) {}
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;
  ~BlockingPool() { join(); }

  // Runs `work` (returning a core::Result) on the pool and resumes the awaiting coroutine on its
  // own executor. An exception escaping `work` becomes an internal error.
  // Pass lambdas that capture by reference (the awaiting frame outlives the call): g++ 12
  // mishandles a temporary lambda owning a std::string inside a co_await expression (it freed
  // the string twice in the rate limiter), a known class of its coroutine bugs.
  template <typename Work>
  boost::asio::awaitable<std::invoke_result_t<Work>> run(Work work) {
    using R = std::invoke_result_t<Work>;
    auto initiate = [this, work = std::move(work)](auto handler) mutable {
      boost::asio::post(pool_, [work = std::move(work), handler = std::move(handler)]() mutable {
        R result = call(work);
        auto executor = boost::asio::get_associated_executor(handler);
        boost::asio::post(executor,
                          [handler = std::move(handler), result = std::move(result)]() mutable {
                            handler(std::move(result));
                          });
      });
    };
    co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(R)>(
        std::move(initiate), boost::asio::use_awaitable);
  }

  void join() {
    pool_.stop();
    pool_.join();
  }

 private:
  template <typename Work>
  static std::invoke_result_t<Work> call(Work& work) {
    try {
      return work();
    } catch (const std::exception& error) {
      return core::make_error(core::Code::internal, "an internal error occurred");
    }
  }

  boost::asio::thread_pool pool_;
};

}  // namespace oauth_manager::core
