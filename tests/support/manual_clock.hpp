#pragma once

#include <atomic>
#include <chrono>

#include "core/clock.hpp"

namespace oauth_manager::testing {

// A clock the test moves by hand.
class ManualClock final : public core::Clock {
 public:
  explicit ManualClock(core::Timestamp start = core::from_unix_ms(1'790'000'000'000))
      : ms_(core::to_unix_ms(start)) {}
  core::Timestamp now() const override { return core::from_unix_ms(ms_.load()); }
  void advance(std::chrono::milliseconds by) { ms_ += by.count(); }
  std::int64_t unix_seconds() const { return ms_.load() / 1000; }

 private:
  std::atomic<std::int64_t> ms_;
};

}  // namespace oauth_manager::testing
