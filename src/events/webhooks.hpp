#pragma once

#include <utility>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/random_source.hpp"
#include "net/http_client.hpp"

namespace oauth_manager::events {

// Where the use cases announce what happened to an integration. Never give it a token.
class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  // `type`: integration.connected, integration.refresh_failed, integration.needs_reauth,
  // integration.revoked. `data`: ids and provider only.
  virtual void publish(const std::string& type, nlohmann::json data) = 0;
};

struct WebhookSettings {
  std::string url;
  std::string secret;  // HMAC key; never logged
  int max_attempts = 8;
  std::chrono::milliseconds first_retry{1000};
  std::chrono::milliseconds max_retry{std::chrono::minutes(5)};
};

// Delivers events to the application's webhook URL: POST of a JSON body
// {"id","type","timestamp","data"} with the header
// X-OAuth-Manager-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>,
// so the receiver can check origin and freshness. Failed deliveries (network, non-2xx) are
// retried with exponential backoff and jitter, in the background, up to max_attempts.
class WebhookDispatcher final : public EventPublisher {
 public:
  WebhookDispatcher(WebhookSettings settings, net::HttpClient& http, const core::Clock& clock,
                    core::RandomSource& random);
  void publish(const std::string& type, nlohmann::json data) override;
  void start(boost::asio::io_context& io);
  void stop();
  void release();  // after the io_context stopped, before it is destroyed
  int delivered() const { return delivered_; }
  int failed_attempts() const { return failed_attempts_; }

 private:
  struct Pending {
    std::string body;
    int attempts = 0;
    std::chrono::steady_clock::time_point due;
  };
  // The first event due now, else when the next one will be (or never).
  struct Next {
    std::optional<Pending> pending;
    std::chrono::steady_clock::time_point wake_at = std::chrono::steady_clock::time_point::max();
  };
  // `wakeup` is the loop's own reference to wakeup_, which release() may drop meanwhile.
  boost::asio::awaitable<void> loop(std::shared_ptr<boost::asio::steady_timer> wakeup);
  boost::asio::awaitable<bool> deliver(const Pending& pending);
  Next next_due();
  void wake();
  void retry_later(Pending pending);

  WebhookSettings settings_;
  net::HttpClient& http_;
  const core::Clock& clock_;
  core::RandomSource& random_;
  std::mutex mutex_;
  std::deque<Pending> queue_;
  std::unique_ptr<boost::asio::strand<boost::asio::io_context::executor_type>> strand_;
  std::shared_ptr<boost::asio::steady_timer> wakeup_;  // on strand_
  std::atomic<bool> stopping_{false};
  std::atomic<int> delivered_{0};
  std::atomic<int> failed_attempts_{0};
};

// The signature header value for `body` sent at `unix_seconds`.
std::string webhook_signature(const std::string& secret, std::int64_t unix_seconds,
                              const std::string& body);

}  // namespace oauth_manager::events
