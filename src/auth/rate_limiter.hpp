#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "net/redis_client.hpp"

namespace oauth_manager::auth {

struct RateDecision {
  bool allowed = true;
  std::chrono::milliseconds retry_after{0};
};

// A token bucket per key: `burst` requests at once, refilled at `per_second`.
struct RateLimit {
  double per_second = 20;
  int burst = 40;
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  virtual core::Result<RateDecision> take(const std::string& key) = 0;
  // Whether take() does I/O (and so must run on a BlockingPool).
  virtual bool blocks() const = 0;
};

// Buckets in this process's memory: right for a single replica.
class LocalRateLimiter final : public RateLimiter {
 public:
  LocalRateLimiter(RateLimit limit, const core::Clock& clock);
  core::Result<RateDecision> take(const std::string& key) override;
  bool blocks() const override { return false; }
  // Keys with a bucket in memory (full buckets are swept away periodically).
  std::size_t tracked_keys();

 private:
  struct Bucket {
    double tokens;
    core::Timestamp updated;
  };
  void sweep_if_due(core::Timestamp now);

  RateLimit limit_;
  const core::Clock& clock_;
  const std::chrono::seconds sweep_interval_;
  std::mutex mutex_;
  core::Timestamp last_sweep_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// Buckets in Redis, shared by every replica; updated atomically by a Lua script on Redis's clock.
class RedisRateLimiter final : public RateLimiter {
 public:
  RedisRateLimiter(RateLimit limit, net::RedisClient& redis) : limit_(limit), redis_(redis) {}
  core::Result<RateDecision> take(const std::string& key) override;
  bool blocks() const override { return true; }

 private:
  RateLimit limit_;
  net::RedisClient& redis_;
};

}  // namespace oauth_manager::auth
