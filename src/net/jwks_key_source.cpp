#include "net/jwks_key_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "log/logger.hpp"

namespace oauth_manager::net {
namespace {

// Between attempts while we have no key at all, so a down JWKS endpoint is not hammered either.
constexpr std::chrono::seconds kEmptyCacheRetry{1};

}  // namespace

JwksKeySource::JwksKeySource(std::string url, HttpClient& client, const core::Clock& clock,
                             JwksCacheRules rules)
    : url_(std::move(url)), client_(client), clock_(clock), rules_(rules) {}

int JwksKeySource::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

boost::asio::awaitable<core::Result<std::vector<crypto::VerificationKey>>> JwksKeySource::keys_for(
    const std::optional<std::string>& kid) {
  bool should_fetch = false;
  {
    std::lock_guard lock(mutex_);
    const auto now = clock_.now();
    const bool known = !kid || std::any_of(keys_.begin(), keys_.end(),
                                           [&](const auto& key) { return key.key_id() == kid; });
    const bool fresh = !keys_.empty() && now < expires_at_;
    if (!fresh || !known) {
      const auto spacing = keys_.empty()
                               ? std::chrono::duration_cast<std::chrono::seconds>(kEmptyCacheRetry)
                               : rules_.min_refetch_interval;
      should_fetch = !last_attempt_ || now - *last_attempt_ >= spacing;
      if (should_fetch) last_attempt_ = now;
    }
  }
  if (should_fetch) {
    if (auto fetched = co_await fetch(); !fetched) {
      log::warn("auth.jwks_fetch_failed", {{"error", fetched.error().message}});
    }
  }
  std::lock_guard lock(mutex_);
  if (keys_.empty()) {
    co_return core::make_error(core::Code::unavailable,
                               "the keys that verify callers cannot be fetched; try again shortly");
  }
  co_return keys_;
}

boost::asio::awaitable<core::Status> JwksKeySource::fetch() {
  HttpRequest request;
  request.url = url_;
  request.headers = {{"Accept", "application/json"}};
  auto response = co_await client_.send(std::move(request));
  if (!response) co_return response.error();
  if (response->status != 200) {
    co_return core::make_error(core::Code::unavailable,
                               fmt::format("the JWKS endpoint answered {}", response->status));
  }
  auto keys = crypto::parse_jwks(response->body);
  if (!keys) co_return keys.error();
  const auto lifetime = lifetime_from(*response);
  std::lock_guard lock(mutex_);
  keys_ = std::move(*keys);
  expires_at_ = clock_.now() + lifetime;
  ++fetches_;
  co_return core::Status{};
}

std::chrono::seconds JwksKeySource::lifetime_from(const HttpResponse& response) const {
  const auto cache_control = response.header("cache-control");
  if (!cache_control) return rules_.default_lifetime;
  // no-store / no-cache still get the minimum: we never refetch more often than that anyway.
  if (cache_control->find("no-store") != std::string::npos ||
      cache_control->find("no-cache") != std::string::npos) {
    return rules_.min_refetch_interval;
  }
  const auto at = cache_control->find("max-age=");
  if (at == std::string::npos) return rules_.default_lifetime;
  const char* begin = cache_control->data() + at + 8;
  long long seconds = 0;
  const auto [end, error] =
      std::from_chars(begin, cache_control->data() + cache_control->size(), seconds);
  if (error != std::errc{} || end == begin) return rules_.default_lifetime;
  return std::clamp(std::chrono::seconds(seconds), rules_.min_refetch_interval,
                    rules_.max_lifetime);
}

}  // namespace oauth_manager::net
