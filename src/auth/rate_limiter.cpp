#include "auth/rate_limiter.hpp"

#include <fmt/format.h>

#include <cmath>

namespace oauth_manager::auth {
namespace {

// Past this many tracked keys, full (idle) buckets are forgotten: they hold no state worth keeping.
constexpr std::size_t kMaxTrackedKeys = 100000;

// KEYS[1] bucket; ARGV[1] tokens per second; ARGV[2] burst. Returns {allowed, retry_after_ms}.
constexpr const char* kTokenBucketScript = R"lua(
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, retry}
)lua";

}  // namespace

core::Result<RateDecision> LocalRateLimiter::take(const std::string& key) {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  if (buckets_.size() > kMaxTrackedKeys) {
    std::erase_if(buckets_, [&](const auto& entry) {
      const auto idle = std::chrono::duration<double>(now - entry.second.updated).count();
      return entry.second.tokens + idle * limit_.per_second >= limit_.burst;
    });
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{static_cast<double>(limit_.burst), now});
  auto& bucket = it->second;
  const auto elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min<double>(limit_.burst, bucket.tokens + std::max(0.0, elapsed) * limit_.per_second);
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return RateDecision{true, {}};
  }
  const auto wait_ms = std::ceil((1 - bucket.tokens) * 1000 / limit_.per_second);
  return RateDecision{false, std::chrono::milliseconds(static_cast<long long>(wait_ms))};
}

core::Result<RateDecision> RedisRateLimiter::take(const std::string& key) {
  auto reply = redis_.command({"EVAL", kTokenBucketScript, "1", "oauth-manager:rate:" + key,
                               fmt::format("{}", limit_.per_second), std::to_string(limit_.burst)});
  if (!reply) return reply.error();
  if (reply->elements.size() != 2) {
    return core::make_error(core::Code::internal, "unexpected rate-limit script reply");
  }
  return RateDecision{reply->elements[0].integer == 1,
                      std::chrono::milliseconds(reply->elements[1].integer)};
}

}  // namespace oauth_manager::auth
