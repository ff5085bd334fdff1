#include "store/sql_rows.hpp"

#include <fmt/format.h>

#include "core/scopes.hpp"

namespace oauth_manager::store {

using core::Code;
using core::Result;
using core::Status;

SqlParam text_or_null(const std::optional<std::string>& value) {
  return value ? SqlParam{*value} : SqlParam{};
}

SqlParam time_or_null(const std::optional<core::Timestamp>& value) {
  return value ? SqlParam{core::to_unix_ms(*value)} : SqlParam{};
}

SqlParam blob_or_null(const std::optional<std::string>& value) {
  return value ? SqlParam{Blob{*value}} : SqlParam{};
}

std::optional<core::Timestamp> optional_time(const SqlRow& row, std::size_t column) {
  const auto ms = row.optional_integer(column);
  return ms ? std::optional(core::from_unix_ms(*ms)) : std::nullopt;
}

core::Integration integration_from_row(const SqlRow& row) {
  core::Integration integration;
  integration.id = row.text(0);
  integration.user_id = row.text(1);
  integration.provider = row.text(2);
  integration.provider_account_id = row.text(3);
  integration.account_email = row.optional_text(4);
  integration.account_name = row.optional_text(5);
  integration.status = core::parse_status(row.text(6)).value_or(core::IntegrationStatus::active);
  integration.granted_scopes = core::split_scopes(row.text(7));
  integration.created_at = core::from_unix_ms(row.integer(8));
  integration.updated_at = core::from_unix_ms(row.integer(9));
  integration.last_refreshed_at = optional_time(row, 10);
  return integration;
}

core::TokenRecord tokens_from_row(const SqlRow& row) {
  core::TokenRecord tokens;
  tokens.integration_id = row.text(0);
  tokens.access_token_ciphertext = row.text(1);
  tokens.refresh_token_ciphertext = row.optional_text(2);
  tokens.token_type = row.text(3);
  tokens.expires_at = optional_time(row, 4);
  tokens.key_id = row.text(5);
  tokens.version = row.integer(6);
  tokens.updated_at = core::from_unix_ms(row.integer(7));
  return tokens;
}

core::Consent consent_from_row(const SqlRow& row) {
  core::Consent consent;
  consent.id = row.text(0);
  consent.user_id = row.text(1);
  consent.integration_id = row.text(2);
  consent.requested_scopes = core::split_scopes(row.text(3));
  consent.granted_scopes = core::split_scopes(row.text(4));
  consent.created_at = core::from_unix_ms(row.integer(5));
  consent.ip = row.optional_text(6);
  consent.user_agent = row.optional_text(7);
  consent.revoked_at = optional_time(row, 8);
  return consent;
}

core::AuditEvent audit_from_row(const SqlRow& row) {
  core::AuditEvent event;
  event.seq = row.integer(0);
  event.id = row.text(1);
  event.occurred_at = core::from_unix_ms(row.integer(2));
  event.actor = row.text(3);
  event.event = row.text(4);
  event.user_id = row.optional_text(5);
  event.integration_id = row.optional_text(6);
  event.outcome = row.text(7);
  event.request_id = row.optional_text(8);
  event.ip = row.optional_text(9);
  event.details = row.text(10);
  event.prev_hash = row.text(11);
  event.hash = row.text(12);
  return event;
}

core::AuthState state_from_row(const SqlRow& row) {
  core::AuthState state;
  state.state_hash = row.text(0);
  state.user_id = row.text(1);
  state.provider = row.text(2);
  state.pkce_verifier_ciphertext = row.text(3);
  state.nonce = row.optional_text(4);
  state.requested_scopes = core::split_scopes(row.text(5));
  state.return_to = row.optional_text(6);
  state.created_at = core::from_unix_ms(row.integer(7));
  state.expires_at = core::from_unix_ms(row.integer(8));
  state.consumed_at = optional_time(row, 9);
  state.flow_hash = row.optional_text(10).value_or("");
  state.start_url_ciphertext = row.optional_text(11).value_or("");
  state.browser_hash = row.optional_text(12);
  state.reconnect_integration_id = row.optional_text(13);
  return state;
}

core::OutboxJob outbox_job_from_row(const SqlRow& row) {
  core::OutboxJob job;
  job.id = row.text(0);
  job.kind = row.text(1);
  job.payload = row.text(2);
  job.attempts = static_cast<int>(row.integer(3));
  job.created_at = core::from_unix_ms(row.integer(4));
  job.due_at = core::from_unix_ms(row.integer(5));
  job.lease_owner = row.optional_text(6);
  job.lease_until = optional_time(row, 7);
  job.last_error = row.optional_text(8);
  return job;
}

core::PendingConnection pending_connection_from_row(const SqlRow& row) {
  core::PendingConnection pending;
  pending.id_hash = row.text(0);
  pending.user_id = row.text(1);
  pending.provider = row.text(2);
  pending.payload_ciphertext = row.text(3);
  pending.created_at = core::from_unix_ms(row.integer(4));
  pending.expires_at = core::from_unix_ms(row.integer(5));
  return pending;
}

core::ConnectSession connect_session_from_row(const SqlRow& row) {
  core::ConnectSession session;
  session.id = row.text(0);
  session.token_hash = row.text(1);
  session.user_id = row.text(2);
  session.providers = core::split_scopes(row.text(3));
  session.return_to = row.optional_text(4);
  session.integration_id = row.optional_text(5);
  session.created_by = row.text(6);
  session.created_at = core::from_unix_ms(row.integer(7));
  session.expires_at = core::from_unix_ms(row.integer(8));
  session.revoked_at = optional_time(row, 9);
  return session;
}

Result<SqlRow> single_row(Result<SqlResult> result, std::string_view what) {
  if (!result) return result.error();
  if (result->rows.empty()) {
    return core::make_error(Code::not_found, fmt::format("{} was not found", what));
  }
  return std::move(result->rows.front());
}

Status execute(SqlConnection& connection, std::string_view sql,
               const std::vector<SqlParam>& params) {
  return connection.run_later(sql, params);
}

Status execute_on_existing(SqlConnection& connection, std::string_view sql,
                           const std::vector<SqlParam>& params, std::string_view what) {
  auto result = connection.run(sql, params);
  if (!result) return result.error();
  if (result->affected == 0)
    return core::make_error(Code::not_found, fmt::format("{} was not found", what));
  return {};
}

Result<int> execute_counting(SqlConnection& connection, std::string_view sql,
                             const std::vector<SqlParam>& params) {
  auto result = connection.run(sql, params);
  if (!result) return result.error();
  return static_cast<int>(result->affected);
}

}  // namespace oauth_manager::store
