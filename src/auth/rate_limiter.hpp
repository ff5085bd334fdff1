#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

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

// Which limit a caller gets: the most generous of its roles' limits, else `fallback` (a person's
// pace). A backend service fetching tokens for many users is not held to one person's 20/s.
struct RoleRateLimits {
  RateLimit fallback;
  std::map<std::string, RateLimit> by_role;

  RateLimit for_roles(const std::vector<std::string>& roles) const;
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // One request of `key`, against `limit` (a key keeps the limit it is asked with).
  virtual core::Result<RateDecision> take(const std::string& key, const RateLimit& limit) = 0;
  // Against the limit the limiter was made with.
  core::Result<RateDecision> take(const std::string& key) { return take(key, default_limit()); }
  virtual const RateLimit& default_limit() const = 0;
  // Whether take() does I/O (and so must run on a BlockingPool).
  virtual bool blocks() const = 0;
};

// Buckets in this process's memory: right for a single replica.
class LocalRateLimiter final : public RateLimiter {
 public:
  LocalRateLimiter(RateLimit limit, const core::Clock& clock);
  using RateLimiter::take;
  core::Result<RateDecision> take(const std::string& key, const RateLimit& limit) override;
  const RateLimit& default_limit() const override { return limit_; }
  bool blocks() const override { return false; }
  // Keys with a bucket in memory (full buckets are swept away periodically).
  std::size_t tracked_keys();

 private:
  struct Bucket {
    double tokens;
    core::Timestamp updated;
    RateLimit limit;
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
  using RateLimiter::take;
  core::Result<RateDecision> take(const std::string& key, const RateLimit& limit) override;
  const RateLimit& default_limit() const override { return limit_; }
  bool blocks() const override { return true; }

 private:
  RateLimit limit_;
  net::RedisClient& redis_;
};

}  // namespace oauth_manager::auth
