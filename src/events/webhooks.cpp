#include "events/webhooks.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/backoff_policy.hpp"
#include "core/ids.hpp"
#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "log/logger.hpp"

namespace oauth_manager::events {

std::string webhook_signature(const std::string& secret, std::int64_t unix_seconds,
                              const std::string& body) {
  const auto signed_text = fmt::format("{}.{}", unix_seconds, body);
  return fmt::format("t={},v1={}", unix_seconds,
                     crypto::hex_encode(crypto::hmac_sha256(secret, signed_text)));
}

WebhookDispatcher::WebhookDispatcher(WebhookSettings settings, net::HttpClient& http,
                                     const core::Clock& clock, core::RandomSource& random)
    : settings_(std::move(settings)), http_(http), clock_(clock), random_(random) {}

void WebhookDispatcher::publish(const std::string& type, nlohmann::json data) {
  const nlohmann::json event = {{"id", core::new_id(random_)},
                                {"type", type},
                                {"timestamp", core::to_rfc3339(clock_.now())},
                                {"data", std::move(data)}};
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Pending{event.dump(), 0, std::chrono::steady_clock::now()});
  }
  wake();
}

// The loop sleeps on `wakeup_` until the next retry is due; a new event cuts the sleep short.
// The cancel runs on the loop's strand, so it cannot slip in between the loop's look at the queue
// and its wait.
void WebhookDispatcher::wake() {
  std::lock_guard lock(mutex_);
  if (!strand_ || !wakeup_) return;
  boost::asio::post(*strand_, [timer = wakeup_] { timer->cancel(); });
}

void WebhookDispatcher::start(boost::asio::io_context& io) {
  std::shared_ptr<boost::asio::steady_timer> wakeup;
  {
    std::lock_guard lock(mutex_);
    strand_ = std::make_unique<boost::asio::strand<boost::asio::io_context::executor_type>>(
        boost::asio::make_strand(io));
    wakeup_ = std::make_shared<boost::asio::steady_timer>(*strand_);
    wakeup = wakeup_;
  }
  boost::asio::co_spawn(wakeup->get_executor(), loop(wakeup), boost::asio::detached);
}

void WebhookDispatcher::stop() {
  stopping_ = true;
  wake();
}

void WebhookDispatcher::release() {
  std::lock_guard lock(mutex_);
  wakeup_.reset();
  strand_.reset();
}

WebhookDispatcher::Next WebhookDispatcher::next_due() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  Next next;
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->due <= now) {
      next.pending = std::move(*it);
      queue_.erase(it);
      return next;
    }
    next.wake_at = std::min(next.wake_at, it->due);
  }
  return next;
}

void WebhookDispatcher::retry_later(Pending pending) {
  const core::BackoffPolicy policy{settings_.first_retry, settings_.max_retry};
  pending.due = std::chrono::steady_clock::now() +
                core::backoff_delay(policy, pending.attempts - 1, std::nullopt, random_);
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(pending));
}

// No lock is held across a co_await, nor declared in this coroutine at all: g++ 12 mishandles
// such locals in loops of coroutines (the retry path once stalled the loop).
boost::asio::awaitable<void> WebhookDispatcher::loop(
    std::shared_ptr<boost::asio::steady_timer> wakeup) {
  while (!stopping_) {
    auto next = next_due();
    if (!next.pending) {
      wakeup->expires_at(next.wake_at);
      boost::system::error_code ignored;
      co_await wakeup->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
      continue;
    }
    auto& pending = next.pending;
    if (co_await deliver(*pending)) {
      ++delivered_;
      continue;
    }
    ++failed_attempts_;
    if (++pending->attempts >= settings_.max_attempts) {
      log::error("webhook.dropped", {{"attempts", pending->attempts}});
      continue;
    }
    retry_later(std::move(*pending));
  }
}

boost::asio::awaitable<bool> WebhookDispatcher::deliver(const Pending& pending) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = settings_.url;
  const auto now = core::to_unix_ms(clock_.now()) / 1000;
  request.headers = {
      {"Content-Type", "application/json"},
      {"X-OAuth-Manager-Signature", webhook_signature(settings_.secret, now, pending.body)}};
  request.body = pending.body;
  auto response = co_await http_.send(std::move(request));
  const bool ok = response && response->status / 100 == 2;
  if (!ok) {
    log::warn("webhook.delivery_failed",
              {{"attempt", pending.attempts + 1},
               {"error",
                response ? fmt::format("HTTP {}", response->status) : response.error().message}});
  }
  co_return ok;
}

}  // namespace oauth_manager::events
