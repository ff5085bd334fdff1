// Connect sessions: the hosted connect page's short-lived grants.
#include <fmt/format.h>

#include "core/scopes.hpp"
#include "store/sql_rows.hpp"
#include "store/sql_store.hpp"

namespace oauth_manager::store {

using core::Result;
using core::Status;

namespace {

// The session whose `column` (id or token_hash, both unique) is `value`.
Result<core::ConnectSession> session_where(SqlConnection& connection, std::string_view column,
                                           std::string_view value) {
  const auto sql =
      fmt::format("SELECT {} FROM connect_sessions WHERE {} = $1", kConnectSessionColumns, column);
  auto row = single_row(connection.run(sql, {std::string(value)}), "connect session");
  if (!row) return row.error();
  return connect_session_from_row(*row);
}

}  // namespace

Status SqlStore::insert_connect_session(const core::ConnectSession& session) {
  return with_connection([&](SqlConnection& connection) {
    return execute(
        connection,
        "INSERT INTO connect_sessions (id, token_hash, user_id, providers, return_to, "
        "integration_id, created_by, created_at, expires_at, revoked_at) VALUES ($1, "
        "$2, $3, $4, $5, $6, $7, oam_ts($8), oam_ts($9), oam_ts($10))",
        {session.id, session.token_hash, session.user_id, core::join_scopes(session.providers),
         text_or_null(session.return_to), text_or_null(session.integration_id), session.created_by,
         core::to_unix_ms(session.created_at), core::to_unix_ms(session.expires_at),
         time_or_null(session.revoked_at)});
  });
}

Result<core::ConnectSession> SqlStore::get_connect_session(std::string_view id) {
  return with_connection(
      [&](SqlConnection& connection) { return session_where(connection, "id", id); });
}

Result<core::ConnectSession> SqlStore::find_connect_session(std::string_view token_hash) {
  return with_connection([&](SqlConnection& connection) {
    return session_where(connection, "token_hash", token_hash);
  });
}

Status SqlStore::revoke_connect_session(std::string_view id, core::Timestamp now) {
  return with_connection([&](SqlConnection& connection) -> Status {
    auto revoked = execute_counting(
        connection,
        "UPDATE connect_sessions SET revoked_at = oam_ts($2) WHERE id = $1 AND revoked_at IS NULL",
        {std::string(id), core::to_unix_ms(now)});
    if (!revoked) return revoked.error();
    if (*revoked == 0) {
      return core::make_error(core::Code::not_found, "no such connect session");
    }
    return Status{};
  });
}

Result<int> SqlStore::delete_expired_connect_sessions(core::Timestamp before) {
  return with_connection([&](SqlConnection& connection) {
    return execute_counting(connection,
                            "DELETE FROM connect_sessions WHERE expires_at < oam_ts($1)",
                            {core::to_unix_ms(before)});
  });
}

}  // namespace oauth_manager::store
