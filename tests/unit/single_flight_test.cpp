#include <utility>

#include "manager/single_flight.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/async_event.hpp"

namespace oauth_manager::manager {
namespace {

// Work that counts its runs and finishes (with the run's number, or by throwing) only once
// `release` is set, so every caller arrives while it is still running.
struct GatedWork {
  core::AsyncEvent release;
  int runs = 0;
  bool fail = false;

  boost::asio::awaitable<int> operator()() {
    const int run = ++runs;
    co_await release.wait();
    if (fail) throw std::runtime_error("the provider is down");
    co_return run;
  }
};

// run() keeps its key by reference until it finishes: the key outlives every call.
const std::string kKey = "integration-1";

std::future<int> call(boost::asio::io_context& io, SingleFlight<int>& flight, GatedWork& work) {
  return boost::asio::co_spawn(io, flight.run(kKey, [&work] { return work(); }),
                               boost::asio::use_future);
}

TEST(SingleFlight, FollowersGetTheLeadersResultFromOneRunOfTheWork) {
  boost::asio::io_context io;
  SingleFlight<int> flight;
  GatedWork work;
  std::vector<std::future<int>> callers;
  for (int i = 0; i < 4; ++i) callers.push_back(call(io, flight, work));
  io.poll();  // the leader waits inside the work, the followers wait for the leader
  EXPECT_EQ(work.runs, 1);

  work.release.set();
  io.run();
  for (auto& caller : callers) EXPECT_EQ(caller.get(), 1);
  EXPECT_EQ(work.runs, 1);
}

TEST(SingleFlight, ALeaderThatThrowsMakesFollowersThrow) {
  boost::asio::io_context io;
  SingleFlight<int> flight;
  GatedWork work;
  work.fail = true;
  auto leader = call(io, flight, work);
  auto follower = call(io, flight, work);
  io.poll();
  work.release.set();
  io.run();
  EXPECT_THROW(leader.get(), std::runtime_error);
  EXPECT_THROW(follower.get(), std::runtime_error);
  EXPECT_EQ(work.runs, 1);
}

TEST(SingleFlight, TheNextCallAfterCompletionRunsTheWorkAgain) {
  boost::asio::io_context io;
  SingleFlight<int> flight;
  GatedWork work;
  work.release.set();  // each run finishes at once
  auto first = call(io, flight, work);
  io.run();
  EXPECT_EQ(first.get(), 1);

  io.restart();
  auto second = call(io, flight, work);
  io.run();
  EXPECT_EQ(second.get(), 2);
  EXPECT_EQ(work.runs, 2);
}

TEST(SingleFlight, AFailedRunDoesNotStickToTheKey) {
  boost::asio::io_context io;
  SingleFlight<int> flight;
  GatedWork work;
  work.fail = true;
  work.release.set();
  auto failed = call(io, flight, work);
  io.run();
  EXPECT_THROW(failed.get(), std::runtime_error);

  work.fail = false;
  io.restart();
  auto retried = call(io, flight, work);
  io.run();
  EXPECT_EQ(retried.get(), 2);
}

}  // namespace
}  // namespace oauth_manager::manager
