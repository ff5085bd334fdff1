#include "auth/rate_limiter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace oauth_manager::auth {
namespace {

// Full (idle) buckets are forgotten at most this often, and at least once per time a bucket takes
// to refill: they hold no state worth keeping. One sweep walks every key, so it is amortised over
// the interval instead of paid by every request.
constexpr std::chrono::seconds kMinSweepInterval{1};
// ... and at most this long apart, whatever the limits, so keys from many addresses cannot pile
// up for days when a burst takes long to refill.
constexpr std::chrono::seconds kMaxSweepInterval{60};

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

RateLimit RoleRateLimits::for_roles(const std::vector<std::string>& roles) const {
  std::optional<RateLimit> best;
  for (const auto& role : roles) {
    const auto found = by_role.find(role);
    if (found == by_role.end()) continue;
    if (!best || found->second.per_second > best->per_second) best = found->second;
  }
  return best.value_or(fallback);
}

LocalRateLimiter::LocalRateLimiter(RateLimit limit, const core::Clock& clock)
    : limit_(limit),
      clock_(clock),
      sweep_interval_(std::clamp<std::chrono::seconds>(
          std::chrono::seconds(static_cast<std::int64_t>(
              std::ceil(static_cast<double>(limit.burst) / limit.per_second))),
          kMinSweepInterval, kMaxSweepInterval)),
      last_sweep_(clock.now()) {}

std::size_t LocalRateLimiter::tracked_keys() {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

void LocalRateLimiter::sweep_if_due(core::Timestamp now) {
  // A wall clock stepped back counts as due, so sweeping never stops until it catches up.
  const auto since = now - last_sweep_;
  if (since >= std::chrono::seconds(0) && since < sweep_interval_) return;
  last_sweep_ = now;
  std::erase_if(buckets_, [&](const auto& entry) {
    const auto idle = std::chrono::duration<double>(now - entry.second.updated).count();
    const auto& limit = entry.second.limit;
    return entry.second.tokens + idle * limit.per_second >= limit.burst;
  });
}

core::Result<RateDecision> LocalRateLimiter::take(const std::string& key, const RateLimit& limit) {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  sweep_if_due(now);
  auto [it, inserted] =
      buckets_.try_emplace(key, Bucket{static_cast<double>(limit.burst), now, limit});
  auto& bucket = it->second;
  bucket.limit = limit;
  const auto elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens =
      std::min<double>(limit.burst, bucket.tokens + std::max(0.0, elapsed) * limit.per_second);
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return RateDecision{true, {}};
  }
  const auto wait_ms = std::ceil((1 - bucket.tokens) * 1000 / limit.per_second);
  return RateDecision{false, std::chrono::milliseconds(static_cast<long long>(wait_ms))};
}

core::Result<RateDecision> RedisRateLimiter::take(const std::string& key, const RateLimit& limit) {
  auto reply = redis_.command({"EVAL", kTokenBucketScript, "1", "oauth-manager:rate:" + key,
                               fmt::format("{}", limit.per_second), std::to_string(limit.burst)});
  if (!reply) return reply.error();
  if (reply->elements.size() != 2) {
    return core::make_error(core::Code::internal, "unexpected rate-limit script reply");
  }
  return RateDecision{reply->elements[0].integer == 1,
                      std::chrono::milliseconds(reply->elements[1].integer)};
}

}  // namespace oauth_manager::auth
