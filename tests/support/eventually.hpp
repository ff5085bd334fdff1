#pragma once

#include <chrono>
#include <thread>

namespace oauth_manager::testing {

// Waits (real time, looking every 20 ms) until `done` holds or `limit` passes; whether it held.
// The limit only matters when something is broken: it is never a timing assertion.
template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace oauth_manager::testing
