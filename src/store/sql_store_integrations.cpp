// Integrations and their token sets (ciphertext only: encryption happens above the Store).
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

Result<core::Integration> SqlStore::upsert_integration(const core::Integration& integration) {
  const auto sql = fmt::format(
      "INSERT INTO integrations (id, user_id, provider, provider_account_id, account_email, "
      "account_name, status, granted_scopes, created_at, updated_at, last_refreshed_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, oam_ts($9), oam_ts($10), oam_ts($11)) "
      "ON CONFLICT (user_id, provider, provider_account_id) DO UPDATE SET "
      "account_email = excluded.account_email, account_name = excluded.account_name, "
      "status = excluded.status, granted_scopes = excluded.granted_scopes, "
      "updated_at = excluded.updated_at RETURNING {}",
      kIntegrationColumns);
  auto written = with_connection([&](SqlConnection& connection) -> Result<core::Integration> {
    auto row =
        single_row(connection.run(sql, {integration.id, integration.user_id, integration.provider,
                                        integration.provider_account_id,
                                        text_or_null(integration.account_email),
                                        text_or_null(integration.account_name),
                                        std::string(core::status_name(integration.status)),
                                        core::join_scopes(integration.granted_scopes),
                                        core::to_unix_ms(integration.created_at),
                                        core::to_unix_ms(integration.updated_at),
                                        time_or_null(integration.last_refreshed_at)}),
                   "integration");
    if (!row) return row.error();
    return integration_from_row(*row);
  });
  changed({written ? written->id : integration.id, integration.user_id, integration.provider});
  return written;
}

Result<core::Integration> SqlStore::get_integration(std::string_view id) {
  const auto sql = fmt::format("SELECT {} FROM integrations WHERE id = $1", kIntegrationColumns);
  return with_connection([&](SqlConnection& connection) -> Result<core::Integration> {
    auto row = single_row(connection.run(sql, {std::string(id)}), "integration");
    if (!row) return row.error();
    return integration_from_row(*row);
  });
}

Result<std::vector<core::Integration>> SqlStore::list_integrations(
    std::string_view user_id, std::optional<std::string_view> provider) {
  auto sql = fmt::format("SELECT {} FROM integrations WHERE user_id = $1", kIntegrationColumns);
  std::vector<SqlParam> params = {std::string(user_id)};
  if (provider) {
    sql += " AND provider = $2";
    params.emplace_back(std::string(*provider));
  }
  sql += " ORDER BY created_at, id";
  return with_connection([&](SqlConnection& connection) {
    return map_rows(connection.run(sql, params), &integration_from_row);
  });
}

Result<std::int64_t> SqlStore::count_live_integrations_of_account(
    std::string_view provider, std::string_view provider_account_id) {
  return with_connection([&](SqlConnection& connection) -> Result<std::int64_t> {
    auto row =
        single_row(connection.run("SELECT COUNT(*) FROM integrations WHERE provider = $1 AND "
                                  "provider_account_id = $2 AND status <> 'revoked'",
                                  {std::string(provider), std::string(provider_account_id)}),
                   "count");
    if (!row) return row.error();
    return row->integer(0);
  });
}

Status SqlStore::set_integration_status(std::string_view id, core::IntegrationStatus status,
                                        core::Timestamp now) {
  auto written = with_connection([&](SqlConnection& connection) {
    return execute_on_existing(
        connection, "UPDATE integrations SET status = $2, updated_at = oam_ts($3) WHERE id = $1",
        {std::string(id), std::string(core::status_name(status)), core::to_unix_ms(now)},
        "integration");
  });
  changed({std::string(id), {}, {}});
  return written;
}

Status SqlStore::mark_refreshed(std::string_view id, core::Timestamp now) {
  auto written = with_connection([&](SqlConnection& connection) {
    return execute_on_existing(
        connection,
        "UPDATE integrations SET last_refreshed_at = oam_ts($2), updated_at = oam_ts($2) "
        "WHERE id = $1",
        {std::string(id), core::to_unix_ms(now)}, "integration");
  });
  changed({std::string(id), {}, {}});
  return written;
}

Status SqlStore::set_granted_scopes(std::string_view id, const std::vector<std::string>& scopes,
                                    core::Timestamp now) {
  auto written = with_connection([&](SqlConnection& connection) {
    return execute_on_existing(
        connection,
        "UPDATE integrations SET granted_scopes = $2, updated_at = oam_ts($3) WHERE id = $1",
        {std::string(id), core::join_scopes(scopes), core::to_unix_ms(now)}, "integration");
  });
  changed({std::string(id), {}, {}});
  return written;
}

Status SqlStore::put_tokens(const core::TokenRecord& tokens) {
  auto written = with_connection([&](SqlConnection& connection) {
    return execute(
        connection,
        "INSERT INTO tokens (integration_id, access_token_ct, refresh_token_ct, "
        "token_type, expires_at, key_id, version, updated_at) "
        "VALUES ($1, $2, $3, $4, oam_ts($5), $6, 1, oam_ts($7)) "
        "ON CONFLICT (integration_id) DO UPDATE SET access_token_ct = "
        "excluded.access_token_ct, refresh_token_ct = excluded.refresh_token_ct, "
        "token_type = excluded.token_type, expires_at = excluded.expires_at, "
        "key_id = excluded.key_id, version = tokens.version + 1, "
        "updated_at = excluded.updated_at",
        {tokens.integration_id, Blob{tokens.access_token_ciphertext},
         blob_or_null(tokens.refresh_token_ciphertext), tokens.token_type,
         time_or_null(tokens.expires_at), tokens.key_id, core::to_unix_ms(tokens.updated_at)});
  });
  changed({tokens.integration_id, {}, {}});
  return written;
}

Result<core::TokenRecord> SqlStore::get_tokens(std::string_view integration_id) {
  const auto sql = fmt::format("SELECT {} FROM tokens WHERE integration_id = $1", kTokenColumns);
  return with_connection([&](SqlConnection& connection) -> Result<core::TokenRecord> {
    auto row = single_row(connection.run(sql, {std::string(integration_id)}), "token set");
    if (!row) return row.error();
    return tokens_from_row(*row);
  });
}

Result<core::TokenRecord> SqlStore::update_tokens(const core::TokenRecord& tokens,
                                                  std::int64_t expected_version) {
  const auto sql = fmt::format(
      "UPDATE tokens SET access_token_ct = $2, refresh_token_ct = $3, token_type = $4, "
      "expires_at = oam_ts($5), key_id = $6, updated_at = oam_ts($7), version = version + 1 "
      "WHERE integration_id = $1 AND version = $8 RETURNING {}",
      kTokenColumns);
  auto written = with_connection([&](SqlConnection& connection) -> Result<core::TokenRecord> {
    auto result =
        connection.run(sql, {tokens.integration_id, Blob{tokens.access_token_ciphertext},
                             blob_or_null(tokens.refresh_token_ciphertext), tokens.token_type,
                             time_or_null(tokens.expires_at), tokens.key_id,
                             core::to_unix_ms(tokens.updated_at), expected_version});
    if (!result) return result.error();
    if (!result->rows.empty()) return tokens_from_row(result->rows.front());
    auto exists = connection.run("SELECT version FROM tokens WHERE integration_id = $1",
                                 {tokens.integration_id});
    if (!exists) return exists.error();
    if (exists->rows.empty()) return core::make_error(Code::not_found, "token set was not found");
    return core::make_error(
        Code::conflict,
        fmt::format("the token set changed meanwhile (version {} expected, {} stored); re-read it",
                    expected_version, exists->rows.front().integer(0)));
  });
  changed({tokens.integration_id, {}, {}});
  return written;
}

Result<std::optional<core::TokenRecord>> SqlStore::delete_tokens(std::string_view integration_id) {
  using Deleted = std::optional<core::TokenRecord>;
  const auto sql =
      fmt::format("DELETE FROM tokens WHERE integration_id = $1 RETURNING {}", kTokenColumns);
  auto written = with_connection([&](SqlConnection& connection) -> Result<Deleted> {
    auto result = connection.run(sql, {std::string(integration_id)});
    if (!result) return result.error();
    if (result->rows.empty()) return Deleted{};
    return Deleted{tokens_from_row(result->rows.front())};
  });
  changed({std::string(integration_id), {}, {}});
  return written;
}

Result<std::vector<std::string>> SqlStore::list_expiring(core::Timestamp before, int limit) {
  constexpr std::string_view kSql =
      "SELECT t.integration_id FROM tokens t JOIN integrations i ON i.id = t.integration_id "
      "WHERE t.expires_at < oam_ts($1) AND t.refresh_token_ct IS NOT NULL AND i.status = 'active' "
      "ORDER BY t.expires_at LIMIT $2";
  return with_connection([&](SqlConnection& connection) -> Result<std::vector<std::string>> {
    auto result = connection.run(kSql, {core::to_unix_ms(before), std::int64_t{limit}});
    if (!result) return result.error();
    std::vector<std::string> ids;
    for (const auto& row : result->rows) ids.push_back(row.text(0));
    return ids;
  });
}

Result<std::vector<core::TokenRecord>> SqlStore::list_tokens_not_under(std::string_view key_id,
                                                                       int limit) {
  const auto sql = fmt::format(
      "SELECT {} FROM tokens WHERE key_id <> $1 ORDER BY integration_id LIMIT $2", kTokenColumns);
  return with_connection([&](SqlConnection& connection) -> Result<std::vector<core::TokenRecord>> {
    auto result = connection.run(sql, {std::string(key_id), std::int64_t{limit}});
    if (!result) return result.error();
    std::vector<core::TokenRecord> records;
    for (const auto& row : result->rows) records.push_back(tokens_from_row(row));
    return records;
  });
}

Result<std::int64_t> SqlStore::count_tokens_not_under(std::string_view key_id) {
  return with_connection([&](SqlConnection& connection) -> Result<std::int64_t> {
    auto result =
        connection.run("SELECT count(*) FROM tokens WHERE key_id <> $1", {std::string(key_id)});
    if (!result) return result.error();
    return result->rows.front().integer(0);
  });
}

}  // namespace oauth_manager::store
