// Refresh leases and the shared refresh backoff: what lets replicas coordinate.
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

Result<bool> SqlStore::acquire_refresh_lease(std::string_view integration_id,
                                             std::string_view owner, core::Timestamp now,
                                             core::Timestamp expires_at) {
  // One statement: insert, or take over an expired lease; a live lease of another owner matches
  // no row, so RETURNING is empty.
  constexpr std::string_view kSql =
      "INSERT INTO refresh_leases (integration_id, owner, expires_at) VALUES ($1, $2, oam_ts($3)) "
      "ON CONFLICT (integration_id) DO UPDATE SET owner = excluded.owner, "
      "expires_at = excluded.expires_at WHERE refresh_leases.expires_at <= oam_ts($4) "
      "RETURNING owner";
  return with_connection([&](SqlConnection& connection) -> Result<bool> {
    auto result = connection.run(kSql, {std::string(integration_id), std::string(owner),
                                        core::to_unix_ms(expires_at), core::to_unix_ms(now)});
    if (!result) return result.error();
    return !result->rows.empty();
  });
}

Status SqlStore::release_refresh_lease(std::string_view integration_id, std::string_view owner) {
  return with_connection([&](SqlConnection& connection) {
    return execute(connection,
                   "DELETE FROM refresh_leases WHERE integration_id = $1 AND owner = $2",
                   {std::string(integration_id), std::string(owner)});
  });
}

Result<std::optional<core::RefreshBackoff>> SqlStore::get_refresh_backoff(
    std::string_view integration_id) {
  using Found = std::optional<core::RefreshBackoff>;
  return with_connection([&](SqlConnection& connection) -> Result<Found> {
    auto result = connection.run(
        "SELECT failures, oam_ms(retry_at) FROM refresh_backoff WHERE integration_id = $1",
        {std::string(integration_id)});
    if (!result) return result.error();
    if (result->rows.empty()) return Found{};
    const auto& row = result->rows[0];
    return Found{
        core::RefreshBackoff{static_cast<int>(row.integer(0)), core::from_unix_ms(row.integer(1))}};
  });
}

Status SqlStore::put_refresh_backoff(std::string_view integration_id,
                                     const core::RefreshBackoff& backoff) {
  constexpr std::string_view kSql =
      "INSERT INTO refresh_backoff (integration_id, failures, retry_at) VALUES ($1, $2, "
      "oam_ts($3)) "
      "ON CONFLICT (integration_id) DO UPDATE SET failures = excluded.failures, "
      "retry_at = excluded.retry_at";
  return with_connection([&](SqlConnection& connection) {
    return execute(connection, kSql,
                   {std::string(integration_id), std::int64_t{backoff.failures},
                    core::to_unix_ms(backoff.retry_at)});
  });
}

Status SqlStore::clear_refresh_backoff(std::string_view integration_id) {
  return with_connection([&](SqlConnection& connection) {
    return execute(connection, "DELETE FROM refresh_backoff WHERE integration_id = $1",
                   {std::string(integration_id)});
  });
}

}  // namespace oauth_manager::store
