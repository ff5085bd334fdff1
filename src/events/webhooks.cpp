#include "events/webhooks.hpp"

#include <fmt/format.h>

#include "core/ids.hpp"
#include "core/text.hpp"
#include "crypto/hash.hpp"

namespace oauth_manager::events {

std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds,
                              const std::string& body) {
  const auto signed_text = fmt::format("{}.{}", unix_seconds, body);
  return fmt::format("t={},v1={}", unix_seconds,
                     core::hex_encode(crypto::hmac_sha256(secret, signed_text)));
}

core::Status WebhookOutbox::publish(store::Store& tx, const std::string& type,
                                    nlohmann::json data) {
  const nlohmann::json event = {{"id", core::new_id(random_)},
                                {"type", type},
                                {"timestamp", core::to_rfc3339(clock_.now())},
                                {"data", std::move(data)}};
  return tx.enqueue_outbox(outbox_.new_job(kWebhookJob, event.dump(), false));
}

boost::asio::awaitable<Delivery> WebhookSender::deliver(const core::OutboxJob& job) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = settings_.url;
  const auto now = core::to_unix_ms(clock_.now()) / 1000;
  request.headers = {
      {"Content-Type", "application/json"},
      {"X-OAuth-Manager-Signature", webhook_signature(settings_.secret.view(), now, job.payload)}};
  request.body = job.payload;
  auto response = co_await http_.send(std::move(request));
  if (response && response->status / 100 == 2) {
    ++delivered_;
    co_return Delivery::done();
  }
  ++failed_attempts_;
  co_return Delivery::failed(response
                                 ? fmt::format("the webhook URL answered HTTP {}", response->status)
                                 : response.error().message);
}

OutboxSubject WebhookSender::subject_of(const core::OutboxJob& job) const {
  const auto event = nlohmann::json::parse(job.payload, nullptr, false);
  OutboxSubject subject;
  if (!event.is_object() || !event.contains("data") || !event["data"].is_object()) return subject;
  const auto& data = event["data"];
  if (data.contains("user_id") && data["user_id"].is_string()) subject.user_id = data["user_id"];
  if (data.contains("integration_id") && data["integration_id"].is_string()) {
    subject.integration_id = data["integration_id"];
  }
  return subject;
}

}  // namespace oauth_manager::events
