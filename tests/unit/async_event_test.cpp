#include <utility>

#include "core/async_event.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace oauth_manager::core {
namespace {

// Only matters when something is broken: a woken waiter finishes in microseconds.
constexpr auto kDeadline = std::chrono::seconds(60);

// Waits for `event` and answers the thread it was resumed on.
boost::asio::awaitable<std::thread::id> wake_on(AsyncEvent& event) {
  co_await event.wait();
  co_return std::this_thread::get_id();
}

std::future<std::thread::id> spawn_waiter(boost::asio::io_context& io, AsyncEvent& event) {
  return boost::asio::co_spawn(io, wake_on(event), boost::asio::use_future);
}

bool ready(std::future<std::thread::id>& future) {
  return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

TEST(AsyncEvent, AWaiterWakesWhenSetIsCalledFromAnotherThread) {
  boost::asio::io_context io;
  AsyncEvent event;
  auto woke = spawn_waiter(io, event);
  io.poll();  // the waiter runs up to its wait() and is registered
  ASSERT_FALSE(ready(woke));
  EXPECT_FALSE(event.is_set());

  std::thread setter([&] { event.set(); });
  io.run();  // returns once the waiter finished: it counts as work until then
  setter.join();
  ASSERT_EQ(woke.wait_for(kDeadline), std::future_status::ready);
  EXPECT_EQ(woke.get(), std::this_thread::get_id()) << "resumed on its own io_context";
  EXPECT_TRUE(event.is_set());
}

TEST(AsyncEvent, WaitAfterSetCompletesAtOnce) {
  boost::asio::io_context io;
  AsyncEvent event;
  event.set();
  event.set();  // a second set changes nothing
  auto woke = spawn_waiter(io, event);
  io.run();
  EXPECT_TRUE(ready(woke));
}

TEST(AsyncEvent, WaitersOnSeveralIoContextsAllWakeOnTheirOwnThreads) {
  constexpr int kContexts = 3;
  AsyncEvent event;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
  std::vector<std::future<std::thread::id>> woke;
  for (int i = 0; i < kContexts; ++i) {
    contexts.push_back(std::make_unique<boost::asio::io_context>());
    woke.push_back(spawn_waiter(*contexts.back(), event));
    woke.push_back(spawn_waiter(*contexts.back(), event));
    contexts.back()->poll();
  }
  std::vector<std::thread> threads;
  std::vector<std::thread::id> thread_ids;
  for (auto& io : contexts) {
    threads.emplace_back([&io] { io->run(); });
    thread_ids.push_back(threads.back().get_id());
  }
  for (auto& future : woke) EXPECT_FALSE(ready(future));

  event.set();
  std::vector<std::thread::id> resumed_on;
  for (auto& future : woke) {
    ASSERT_EQ(future.wait_for(kDeadline), std::future_status::ready);
    resumed_on.push_back(future.get());
  }
  for (int i = 0; i < kContexts; ++i) {
    threads[i].join();
    EXPECT_EQ(resumed_on[2 * i], thread_ids[i]) << i;
    EXPECT_EQ(resumed_on[2 * i + 1], thread_ids[i]) << i;
  }
}

}  // namespace
}  // namespace oauth_manager::core
