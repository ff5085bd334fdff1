#include "manager/token_revoker.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "crypto/encoding.hpp"

namespace oauth_manager::manager {
namespace {

const std::string kRefreshHint = "refresh_token";
const std::string kAccessHint = "access_token";

// What a revocation job carries. `token_type_hint` is also the sealed field's name.
struct RevocationPayload {
  std::string integration_id;
  std::string user_id;
  std::string provider;
  std::string token_type_hint;
  std::string token_ciphertext;
};

std::string payload_text(const core::Integration& integration, const std::string& hint,
                         const std::string& ciphertext) {
  return nlohmann::json{{"integration_id", integration.id},
                        {"user_id", integration.user_id},
                        {"provider", integration.provider},
                        {"token_type_hint", hint},
                        {"token_ct", crypto::base64_encode(ciphertext)}}
      .dump();
}

std::optional<RevocationPayload> parse_payload(const std::string& text) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  for (const char* key : {"integration_id", "user_id", "provider", "token_type_hint", "token_ct"}) {
    if (!json.contains(key) || !json[key].is_string()) return std::nullopt;
  }
  auto ciphertext = crypto::base64_decode(json["token_ct"].get<std::string>());
  if (!ciphertext) return std::nullopt;
  return RevocationPayload{json["integration_id"], json["user_id"], json["provider"],
                           json["token_type_hint"], std::move(*ciphertext)};
}

}  // namespace

std::vector<core::OutboxJob> TokenRevoker::jobs_for(const core::Integration& integration,
                                                    const core::TokenRecord& record,
                                                    events::OutboxWorker& outbox, bool leased) {
  std::vector<core::OutboxJob> jobs;
  if (record.refresh_token_ciphertext) {
    jobs.push_back(outbox.new_job(
        kRevocationJob, payload_text(integration, kRefreshHint, *record.refresh_token_ciphertext),
        leased));
  }
  jobs.push_back(outbox.new_job(
      kRevocationJob, payload_text(integration, kAccessHint, record.access_token_ciphertext),
      leased));
  // Claimed soonest-due first: retried, the refresh token still goes first.
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].due_at += std::chrono::milliseconds(static_cast<int>(i));
  }
  return jobs;
}

std::string TokenRevoker::token_hint_of(const core::OutboxJob& job) {
  auto payload = parse_payload(job.payload);
  return payload ? payload->token_type_hint : std::string("token");
}

boost::asio::awaitable<events::Delivery> TokenRevoker::deliver(const core::OutboxJob& job) {
  auto payload = parse_payload(job.payload);
  if (!payload) co_return events::Delivery::hopeless("the revocation job is malformed");
  // What this replica lacks (the provider, its revocation endpoint, the data key) another
  // replica, or this one after an operator's fix, may have: retried, and given up (audited) only
  // after the give-up time.
  auto handle = co_await registry_.get(payload->provider);
  if (!handle) co_return events::Delivery::failed(handle.error().message);
  const auto& provider = *handle->provider;
  if (!provider.spec.revocation_endpoint) {
    co_return events::Delivery::failed(
        fmt::format("{} has no revocation endpoint here", payload->provider));
  }
  auto token = vault_.open_field(payload->integration_id, payload->token_type_hint,
                                 payload->token_ciphertext);
  if (!token) {
    co_return events::Delivery::failed("the token cannot be decrypted with the keys loaded here");
  }
  auto revoked = co_await handle->oauth->revoke(provider, *token, payload->token_type_hint);
  if (!revoked) co_return events::Delivery::failed(revoked.error().message);
  co_return events::Delivery::done();
}

events::OutboxSubject TokenRevoker::subject_of(const core::OutboxJob& job) const {
  auto payload = parse_payload(job.payload);
  if (!payload) return {};
  return {payload->user_id, payload->integration_id};
}

}  // namespace oauth_manager::manager
