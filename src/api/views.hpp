#pragma once

#include <nlohmann/json.hpp>

#include "core/audit_event.hpp"
#include "core/consent.hpp"
#include "http/message.hpp"
#include "manager/record_queries.hpp"
#include "providers/provider.hpp"
#include "store/audit_chain.hpp"

namespace oauth_manager::api {

// A JSON answer (invalid UTF-8 from a provider replaced, never a throw).
http::Response json_answer(int status, const nlohmann::json& body);

// The JSON shapes of the API (documented in the OpenAPI document). None holds a token.
nlohmann::json integration_json(const manager::IntegrationView& view);
nlohmann::json provider_json(const providers::Provider& provider);
nlohmann::json consent_json(const core::Consent& consent);
nlohmann::json audit_event_json(const core::AuditEvent& event);
nlohmann::json chain_verification_json(const store::ChainVerification& verification);

// Audit page cursors are opaque to clients.
std::string audit_cursor(std::int64_t after_seq);
std::optional<std::int64_t> parse_audit_cursor(std::string_view cursor);

}  // namespace oauth_manager::api
