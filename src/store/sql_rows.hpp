#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/audit_event.hpp"
#include "core/auth_state.hpp"
#include "core/connect_session.hpp"
#include "core/consent.hpp"
#include "core/integration.hpp"
#include "core/outbox_job.hpp"
#include "core/pending_connection.hpp"
#include "core/token_record.hpp"
#include "store/sql_connection.hpp"

// How the Store's records map to SQL rows and back, and the few patterns every statement uses.
// Only for the SqlStore files: nothing outside store/ should see SQL.
namespace oauth_manager::store {

SqlParam text_or_null(const std::optional<std::string>& value);
SqlParam time_or_null(const std::optional<core::Timestamp>& value);
SqlParam blob_or_null(const std::optional<std::string>& value);
std::optional<core::Timestamp> optional_time(const SqlRow& row, std::size_t column);

inline constexpr std::string_view kIntegrationColumns =
    "id, user_id, provider, provider_account_id, account_email, account_name, status, "
    "granted_scopes, oam_ms(created_at), oam_ms(updated_at), oam_ms(last_refreshed_at)";
inline constexpr std::string_view kTokenColumns =
    "integration_id, access_token_ct, refresh_token_ct, token_type, oam_ms(expires_at), key_id, "
    "version, oam_ms(updated_at)";
inline constexpr std::string_view kConsentColumns =
    "id, user_id, integration_id, requested_scopes, granted_scopes, oam_ms(created_at), ip, "
    "user_agent, oam_ms(revoked_at)";
inline constexpr std::string_view kAuditColumns =
    "seq, id, oam_ms(occurred_at), actor, event, user_id, integration_id, outcome, request_id, "
    "ip, details, prev_hash, hash";
inline constexpr std::string_view kStateColumns =
    "state_hash, user_id, provider, pkce_verifier_ct, nonce, requested_scopes, return_to, "
    "oam_ms(created_at), oam_ms(expires_at), oam_ms(consumed_at), flow_hash, start_url_ct, "
    "browser_hash, reconnect_integration_id";
inline constexpr std::string_view kPendingConnectionColumns =
    "id_hash, user_id, provider, payload_ct, oam_ms(created_at), oam_ms(expires_at)";
inline constexpr std::string_view kConnectSessionColumns =
    "id, token_hash, user_id, providers, return_to, integration_id, created_by, "
    "oam_ms(created_at), oam_ms(expires_at), oam_ms(revoked_at)";
inline constexpr std::string_view kOutboxColumns =
    "id, kind, payload, attempts, oam_ms(created_at), oam_ms(due_at), lease_owner, "
    "oam_ms(lease_until), last_error";

core::Integration integration_from_row(const SqlRow& row);
core::TokenRecord tokens_from_row(const SqlRow& row);
core::Consent consent_from_row(const SqlRow& row);
core::AuditEvent audit_from_row(const SqlRow& row);
core::AuthState state_from_row(const SqlRow& row);
core::OutboxJob outbox_job_from_row(const SqlRow& row);
core::PendingConnection pending_connection_from_row(const SqlRow& row);
core::ConnectSession connect_session_from_row(const SqlRow& row);

// The first row, or not_found naming `what`.
core::Result<SqlRow> single_row(core::Result<SqlResult> result, std::string_view what);

template <typename T>
core::Result<std::vector<T>> map_rows(core::Result<SqlResult> result, T (*convert)(const SqlRow&)) {
  if (!result) return result.error();
  std::vector<T> items;
  items.reserve(result->rows.size());
  for (const auto& row : result->rows) items.push_back(convert(row));
  return items;
}

// A statement whose rows do not matter: its error, or success.
core::Status execute(SqlConnection& connection, std::string_view sql,
                     const std::vector<SqlParam>& params);
// A statement that must touch a row: not_found naming `what` when it touched none.
core::Status execute_on_existing(SqlConnection& connection, std::string_view sql,
                                 const std::vector<SqlParam>& params, std::string_view what);
// A statement whose count of affected rows is the answer.
core::Result<int> execute_counting(SqlConnection& connection, std::string_view sql,
                                   const std::vector<SqlParam>& params);

// Runs `work` in a write transaction: committed when it succeeds, rolled back otherwise, an
// exception included (the connection goes back to the pool: left inside the transaction, it
// would hold the audit chain's lock, or SQLite's write lock, until it is used again).
template <typename Work>
auto in_write_transaction(SqlConnection& connection, Work&& work) -> decltype(work()) {
  if (auto begun = connection.begin_write(); !begun) return begun.error();
  auto result = [&] {
    try {
      return work();
    } catch (...) {
      connection.rollback();
      throw;
    }
  }();
  if (!result) {
    connection.rollback();
    return result;
  }
  if (auto committed = connection.commit(); !committed) {
    connection.rollback();
    return committed.error();
  }
  return result;
}

}  // namespace oauth_manager::store
