#include "api/views.hpp"

#include <charconv>

#include "crypto/encoding.hpp"

namespace oauth_manager::api {
namespace {

nlohmann::json optional_time(const std::optional<core::Timestamp>& time) {
  return time ? nlohmann::json(core::to_rfc3339(*time)) : nlohmann::json(nullptr);
}

nlohmann::json optional_text(const std::optional<std::string>& text) {
  return text ? nlohmann::json(*text) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json integration_json(const manager::IntegrationView& view) {
  const auto& integration = view.integration;
  return {
      {"id", integration.id},
      {"user_id", integration.user_id},
      {"provider", integration.provider},
      {"status", core::status_name(integration.status)},
      {"account",
       {{"id", integration.provider_account_id},
        {"email", optional_text(integration.account_email)},
        {"name", optional_text(integration.account_name)}}},
      {"scopes", integration.granted_scopes},
      {"created_at", core::to_rfc3339(integration.created_at)},
      {"updated_at", core::to_rfc3339(integration.updated_at)},
      {"expires_at", optional_time(view.expires_at)},
      {"last_refreshed_at", optional_time(integration.last_refreshed_at)},
  };
}

http::Response json_answer(int status, const nlohmann::json& body) {
  return http::json_response(status,
                             body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

nlohmann::json provider_json(const providers::Provider& provider) {
  auto scopes = nlohmann::json::array();
  for (const auto& scope : provider.spec.scopes) {
    scopes.push_back({{"name", scope.name}, {"description", scope.description}});
  }
  return {{"id", provider.spec.id},
          {"display_name", provider.spec.display_name},
          {"scopes", scopes},
          {"default_scopes", provider.requested_by_default}};
}

nlohmann::json consent_json(const core::Consent& consent) {
  return {
      {"id", consent.id},
      {"user_id", consent.user_id},
      {"integration_id", consent.integration_id},
      {"requested_scopes", consent.requested_scopes},
      {"granted_scopes", consent.granted_scopes},
      {"created_at", core::to_rfc3339(consent.created_at)},
      {"ip", optional_text(consent.ip)},
      {"user_agent", optional_text(consent.user_agent)},
      {"revoked_at", optional_time(consent.revoked_at)},
  };
}

nlohmann::json audit_event_json(const core::AuditEvent& event) {
  auto details = nlohmann::json::parse(event.details, nullptr, /*allow_exceptions=*/false);
  if (details.is_discarded()) details = nlohmann::json::object();
  return {
      {"seq", event.seq},
      {"id", event.id},
      {"occurred_at", core::to_rfc3339(event.occurred_at)},
      {"actor", event.actor},
      {"event", event.event},
      {"user_id", optional_text(event.user_id)},
      {"integration_id", optional_text(event.integration_id)},
      {"outcome", event.outcome},
      {"request_id", optional_text(event.request_id)},
      {"ip", optional_text(event.ip)},
      {"details", details},
      {"prev_hash", event.prev_hash},
      {"hash", event.hash},
  };
}

nlohmann::json chain_verification_json(const store::ChainVerification& verification) {
  nlohmann::json body = {{"intact", verification.intact},
                         {"events_checked", verification.events_checked}};
  if (verification.first_broken_seq) {
    body["first_broken_seq"] = *verification.first_broken_seq;
    body["problem"] = verification.problem;
  }
  return body;
}

std::string audit_cursor(std::int64_t after_seq) {
  return crypto::base64url_encode("seq:" + std::to_string(after_seq));
}

std::optional<std::int64_t> parse_audit_cursor(std::string_view cursor) {
  const auto decoded = crypto::base64url_decode(cursor);
  constexpr std::string_view kPrefix = "seq:";
  if (!decoded || decoded->rfind(kPrefix, 0) != 0) return std::nullopt;
  const auto* first = decoded->data() + kPrefix.size();
  const auto* last = decoded->data() + decoded->size();
  std::int64_t seq = 0;
  const auto [end, error] = std::from_chars(first, last, seq);
  if (error != std::errc{} || end != last || first == last || seq < 0) return std::nullopt;
  return seq;
}

}  // namespace oauth_manager::api
