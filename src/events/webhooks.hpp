#pragma once

#include <utility>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/random_source.hpp"
#include "crypto/secret_bytes.hpp"
#include "events/outbox_worker.hpp"
#include "net/http_client.hpp"
#include "store/store.hpp"

namespace oauth_manager::events {

// Where the use cases announce what happened to an integration. An event is written inside the
// transaction of the change it announces: it is never lost once the change commits, and never
// sent for a change that rolled back. Never give it a token.
class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  // `type`: integration.connected, integration.refresh_failed, integration.needs_reauth,
  // integration.revoked, provider.misconfigured. `data`: ids and provider only.
  virtual core::Status publish(store::Store& tx, const std::string& type, nlohmann::json data) = 0;
  // Called once the transaction that published has committed: delivery starts now rather than
  // at the outbox's next look.
  virtual void committed() {}
};

inline constexpr const char* kWebhookJob = "webhook";

// Publishes each event as a webhook job in the outbox. The body is fixed when the event
// happens: {"id","type","timestamp","data"}; the id lets a receiver drop a repeated delivery.
class WebhookOutbox final : public EventPublisher {
 public:
  WebhookOutbox(OutboxWorker& outbox, const core::Clock& clock, core::RandomSource& random)
      : outbox_(outbox), clock_(clock), random_(random) {}
  core::Status publish(store::Store& tx, const std::string& type, nlohmann::json data) override;
  void committed() override { outbox_.wake(); }

 private:
  OutboxWorker& outbox_;
  const core::Clock& clock_;
  core::RandomSource& random_;
};

struct WebhookSettings {
  std::string url;
  crypto::SecretBytes secret;  // HMAC key; never logged, wiped when freed
};

// Delivers webhook jobs to the application's webhook URL: a POST of the event body with the
// header X-OAuth-Manager-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>,
// so the receiver can check origin and freshness. A network failure or a non-2xx answer is
// retried by the outbox.
class WebhookSender final : public OutboxHandler {
 public:
  WebhookSender(WebhookSettings settings, net::HttpClient& http, const core::Clock& clock)
      : settings_(std::move(settings)), http_(http), clock_(clock) {}
  boost::asio::awaitable<Delivery> deliver(const core::OutboxJob& job) override;
  OutboxSubject subject_of(const core::OutboxJob& job) const override;
  int delivered() const { return delivered_; }
  int failed_attempts() const { return failed_attempts_; }

 private:
  WebhookSettings settings_;
  net::HttpClient& http_;
  const core::Clock& clock_;
  std::atomic<int> delivered_{0};
  std::atomic<int> failed_attempts_{0};
};

// The signature header value for `body` sent at `unix_seconds`.
std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds,
                              const std::string& body);

}  // namespace oauth_manager::events
