// Authorization states, consents and the scope catalog.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>

#include "core/scopes.hpp"
#include "store/sql_rows.hpp"
#include "store/sql_store.hpp"

namespace oauth_manager::store {

using core::Code;
using core::Result;
using core::Status;

Status SqlStore::upsert_scopes(const std::vector<core::ScopeInfo>& scopes) {
  return with_connection([&](SqlConnection& connection) -> Status {
    return atomically(connection, [&]() -> Status {
      for (const auto& scope : scopes) {
        auto result = connection.run(
            "INSERT INTO scopes (provider, name, description) VALUES ($1, $2, $3) "
            "ON CONFLICT (provider, name) DO UPDATE SET description = excluded.description",
            {scope.provider, scope.name, scope.description});
        if (!result) return result.error();
      }
      return {};
    });
  });
}

Result<std::vector<core::ScopeInfo>> SqlStore::list_scopes(std::string_view provider) {
  return with_connection([&](SqlConnection& connection) {
    return map_rows(
        connection.run("SELECT provider, name, description FROM scopes WHERE provider = $1 "
                       "ORDER BY name",
                       {std::string(provider)}),
        +[](const SqlRow& row) {
          return core::ScopeInfo{row.text(0), row.text(1), row.text(2)};
        });
  });
}

Status SqlStore::append_consent(const core::Consent& consent) {
  return with_connection([&](SqlConnection& connection) {
    return execute(
        connection,
        "INSERT INTO consents (id, user_id, integration_id, requested_scopes, granted_scopes, "
        "created_at, ip, user_agent, revoked_at) "
        "VALUES ($1, $2, $3, $4, $5, oam_ts($6), $7, $8, oam_ts($9))",
        {consent.id, consent.user_id, consent.integration_id,
         core::join_scopes(consent.requested_scopes), core::join_scopes(consent.granted_scopes),
         core::to_unix_ms(consent.created_at), text_or_null(consent.ip),
         text_or_null(consent.user_agent), time_or_null(consent.revoked_at)});
  });
}

Result<std::vector<core::Consent>> SqlStore::list_consents(std::string_view user_id) {
  const auto sql = fmt::format("SELECT {} FROM consents WHERE user_id = $1 ORDER BY created_at, id",
                               kConsentColumns);
  return with_connection([&](SqlConnection& connection) {
    return map_rows(connection.run(sql, {std::string(user_id)}), &consent_from_row);
  });
}

Result<int> SqlStore::close_consents(std::string_view integration_id, core::Timestamp revoked_at) {
  return with_connection([&](SqlConnection& connection) {
    return execute_counting(connection,
                            "UPDATE consents SET revoked_at = oam_ts($2) "
                            "WHERE integration_id = $1 AND revoked_at IS NULL",
                            {std::string(integration_id), core::to_unix_ms(revoked_at)});
  });
}

Status SqlStore::insert_state(const core::AuthState& state) {
  return with_connection([&](SqlConnection& connection) {
    return execute(
        connection,
        "INSERT INTO states (state_hash, user_id, provider, pkce_verifier_ct, nonce, "
        "requested_scopes, return_to, created_at, expires_at, consumed_at, flow_hash, "
        "start_url_ct, browser_hash, reconnect_integration_id) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, oam_ts($8), oam_ts($9), oam_ts($10), $11, $12, $13, "
        "$14)",
        {state.state_hash, state.user_id, state.provider, Blob{state.pkce_verifier_ciphertext},
         text_or_null(state.nonce), core::join_scopes(state.requested_scopes),
         text_or_null(state.return_to), core::to_unix_ms(state.created_at),
         core::to_unix_ms(state.expires_at), time_or_null(state.consumed_at),
         // NULL, not "", for a state without a start link: the unique index allows many NULLs.
         state.flow_hash.empty() ? SqlParam{} : SqlParam{state.flow_hash},
         Blob{state.start_url_ciphertext}, text_or_null(state.browser_hash),
         text_or_null(state.reconnect_integration_id)});
  });
}

Result<core::AuthState> SqlStore::bind_state_to_browser(std::string_view flow_hash,
                                                        std::string_view browser_hash,
                                                        core::Timestamp now) {
  // One conditional UPDATE: of concurrent first visits exactly one binds the flow.
  const auto sql = fmt::format(
      "UPDATE states SET browser_hash = $2 WHERE flow_hash = $1 AND browser_hash IS NULL "
      "AND consumed_at IS NULL AND expires_at > oam_ts($3) RETURNING {}",
      kStateColumns);
  return with_connection([&](SqlConnection& connection) -> Result<core::AuthState> {
    auto row = single_row(connection.run(sql, {std::string(flow_hash), std::string(browser_hash),
                                               core::to_unix_ms(now)}),
                          "unopened start link");
    if (!row) return row.error();
    return state_from_row(*row);
  });
}

Result<core::AuthState> SqlStore::consume_state(std::string_view state_hash, core::Timestamp now) {
  // One conditional UPDATE: the database lets exactly one of concurrent consumers match the row.
  const auto sql = fmt::format(
      "UPDATE states SET consumed_at = oam_ts($2) WHERE state_hash = $1 AND consumed_at IS NULL "
      "RETURNING {}",
      kStateColumns);
  return with_connection([&](SqlConnection& connection) -> Result<core::AuthState> {
    auto row = single_row(connection.run(sql, {std::string(state_hash), core::to_unix_ms(now)}),
                          "unused state");
    if (!row) return row.error();
    return state_from_row(*row);
  });
}

Result<int> SqlStore::delete_expired_states(core::Timestamp before) {
  return with_connection([&](SqlConnection& connection) {
    return execute_counting(connection, "DELETE FROM states WHERE expires_at < oam_ts($1)",
                            {core::to_unix_ms(before)});
  });
}

Status SqlStore::insert_pending_connection(const core::PendingConnection& pending) {
  return with_connection([&](SqlConnection& connection) {
    return execute(
        connection,
        "INSERT INTO pending_connections (id_hash, user_id, provider, payload_ct, "
        "created_at, expires_at) VALUES ($1, $2, $3, $4, oam_ts($5), oam_ts($6))",
        {pending.id_hash, pending.user_id, pending.provider, Blob{pending.payload_ciphertext},
         core::to_unix_ms(pending.created_at), core::to_unix_ms(pending.expires_at)});
  });
}

Result<core::PendingConnection> SqlStore::take_pending_connection(std::string_view id_hash) {
  // DELETE ... RETURNING: of concurrent takers the database lets exactly one have the row.
  const auto sql = fmt::format("DELETE FROM pending_connections WHERE id_hash = $1 RETURNING {}",
                               kPendingConnectionColumns);
  return with_connection([&](SqlConnection& connection) -> Result<core::PendingConnection> {
    auto row = single_row(connection.run(sql, {std::string(id_hash)}), "pending connection");
    if (!row) return row.error();
    return pending_connection_from_row(*row);
  });
}

Result<std::vector<core::PendingConnection>> SqlStore::take_expired_pending_connections(
    core::Timestamp before, int limit) {
  const auto sql = fmt::format(
      "DELETE FROM pending_connections WHERE id_hash IN (SELECT id_hash FROM pending_connections "
      "WHERE expires_at < oam_ts($1) ORDER BY expires_at LIMIT $2) RETURNING {}",
      kPendingConnectionColumns);
  return with_connection([&](SqlConnection& connection) {
    return map_rows(connection.run(sql, {core::to_unix_ms(before), std::int64_t{limit}}),
                    &pending_connection_from_row);
  });
}

}  // namespace oauth_manager::store
