#include "store/sql_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>

#include "core/scopes.hpp"
#include "store/audit_chain.hpp"
#include "store/embedded_migrations.hpp"

namespace oauth_manager::store {
namespace {

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

// Runs `work` in a write transaction: committed when it succeeds, rolled back otherwise.
template <typename Work>
auto in_write_transaction(SqlConnection& connection, Work&& work) -> decltype(work()) {
  if (auto begun = connection.begin_write(); !begun) return begun.error();
  auto result = work();
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

constexpr std::string_view kIntegrationColumns =
    "id, user_id, provider, provider_account_id, account_email, account_name, status, "
    "granted_scopes, oam_ms(created_at), oam_ms(updated_at), oam_ms(last_refreshed_at)";

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

constexpr std::string_view kTokenColumns =
    "integration_id, access_token_ct, refresh_token_ct, token_type, oam_ms(expires_at), key_id, "
    "version, oam_ms(updated_at)";

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

constexpr std::string_view kConsentColumns =
    "id, user_id, integration_id, requested_scopes, granted_scopes, oam_ms(created_at), ip, "
    "user_agent, oam_ms(revoked_at)";

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

constexpr std::string_view kAuditColumns =
    "seq, id, oam_ms(occurred_at), actor, event, user_id, integration_id, outcome, request_id, "
    "ip, details, prev_hash, hash";

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

// Rows per INSERT: one round trip per hundred audit events instead of one per event, far below
// either database's limit on bound parameters.
constexpr std::size_t kAuditRowsPerInsert = 100;

// Inserts events[first, first + count) (already chained) with one statement; the stored rows in
// the order given.
Result<std::vector<core::AuditEvent>> insert_audit_rows(SqlConnection& connection,
                                                        const std::vector<core::AuditEvent>& events,
                                                        std::size_t first, std::size_t count) {
  constexpr std::size_t kColumns = 12;
  std::string sql =
      "INSERT INTO audit_events (id, occurred_at, actor, event, user_id, integration_id, outcome, "
      "request_id, ip, details, prev_hash, hash) VALUES ";
  std::vector<SqlParam> params;
  params.reserve(count * kColumns);
  for (std::size_t i = 0; i < count; ++i) {
    const auto& event = events[first + i];
    const auto n = i * kColumns;
    sql += fmt::format("{}(${}, oam_ts(${}), ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                       i == 0 ? "" : ", ", n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7, n + 8,
                       n + 9, n + 10, n + 11, n + 12);
    for (SqlParam param :
         {SqlParam{event.id}, SqlParam{core::to_unix_ms(event.occurred_at)}, SqlParam{event.actor},
          SqlParam{event.event}, text_or_null(event.user_id), text_or_null(event.integration_id),
          SqlParam{event.outcome}, text_or_null(event.request_id), text_or_null(event.ip),
          SqlParam{event.details}, SqlParam{event.prev_hash}, SqlParam{event.hash}}) {
      params.push_back(std::move(param));
    }
  }
  sql += fmt::format(" RETURNING {}", kAuditColumns);
  auto result = connection.run(sql, params);
  if (!result) return result.error();
  // RETURNING's row order is not promised for a multi-row INSERT: put them back by id.
  std::map<std::string, core::AuditEvent> by_id;
  for (const auto& row : result->rows) {
    auto event = audit_from_row(row);
    by_id.emplace(event.id, std::move(event));
  }
  std::vector<core::AuditEvent> stored;
  stored.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto found = by_id.find(events[first + i].id);
    if (found == by_id.end()) {
      return core::make_error(Code::internal, "an inserted audit event was not returned");
    }
    stored.push_back(std::move(found->second));
  }
  return stored;
}

constexpr std::string_view kStateColumns =
    "state_hash, user_id, provider, pkce_verifier_ct, nonce, requested_scopes, return_to, "
    "oam_ms(created_at), oam_ms(expires_at), oam_ms(consumed_at)";

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
  return state;
}

Result<SqlRow> single_row(Result<SqlResult> result, std::string_view what) {
  if (!result) return result.error();
  if (result->rows.empty()) {
    return core::make_error(Code::not_found, fmt::format("{} was not found", what));
  }
  return std::move(result->rows.front());
}

template <typename T>
Result<std::vector<T>> map_rows(Result<SqlResult> result, T (*convert)(const SqlRow&)) {
  if (!result) return result.error();
  std::vector<T> items;
  items.reserve(result->rows.size());
  for (const auto& row : result->rows) items.push_back(convert(row));
  return items;
}

Status applied_migration(SqlConnection& connection, const EmbeddedMigration& migration,
                         std::vector<std::string>& applied) {
  return in_write_transaction(connection, [&]() -> Status {
    // Checked again inside the write transaction: another process may have applied it meanwhile.
    auto existing = connection.run("SELECT version FROM schema_migrations WHERE version = $1",
                                   {std::int64_t{migration.version}});
    if (!existing) return existing.error();
    if (!existing->rows.empty()) return {};
    if (auto ran = connection.run_script(migration.sql); !ran) {
      return core::make_error(ran.error().code,
                              fmt::format("migration {:04}_{} failed: {}", migration.version,
                                          migration.name, ran.error().message));
    }
    auto recorded = connection.run(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        {std::int64_t{migration.version}, std::string(migration.name),
         core::to_unix_ms(core::SystemClock{}.now())});
    if (!recorded) return recorded.error();
    applied.push_back(fmt::format("{:04}_{}", migration.version, migration.name));
    return {};
  });
}

}  // namespace

SqlStore::SqlStore(std::string backend, ConnectionFactory factory, int pool_size)
    : backend_(std::move(backend)), pool_(std::move(factory), pool_size) {}

template <typename Work>
auto SqlStore::with_connection(Work&& work) -> decltype(work(std::declval<SqlConnection&>())) {
  auto lease = pool_.lease();
  if (!lease) return lease.error();
  return work(**lease);
}

Status SqlStore::ping() {
  return with_connection([](SqlConnection& connection) -> Status {
    auto result = connection.run("SELECT 1", {});
    if (!result) return result.error();
    return {};
  });
}

Result<MigrationReport> SqlStore::migrate() {
  return with_connection([&](SqlConnection& connection) -> Result<MigrationReport> {
    MigrationReport report;
    auto locked = connection.with_migration_lock([&]() -> Status {
      auto created = connection.run_script(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
          "name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
      if (!created) return created;
      for (const auto& migration : embedded_migrations()) {
        if (migration.backend != backend_) continue;
        if (auto applied = applied_migration(connection, migration, report.applied); !applied) {
          return applied;
        }
        report.current_version = std::max(report.current_version, migration.version);
      }
      return {};
    });
    if (!locked) return locked.error();
    return report;
  });
}

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
  return with_connection([&](SqlConnection& connection) -> Result<core::Integration> {
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

Status SqlStore::set_integration_status(std::string_view id, core::IntegrationStatus status,
                                        core::Timestamp now) {
  return with_connection([&](SqlConnection& connection) -> Status {
    auto result = connection.run(
        "UPDATE integrations SET status = $2, updated_at = oam_ts($3) WHERE id = $1",
        {std::string(id), std::string(core::status_name(status)), core::to_unix_ms(now)});
    if (!result) return result.error();
    if (result->affected == 0)
      return core::make_error(Code::not_found, "integration was not found");
    return {};
  });
}

Status SqlStore::mark_refreshed(std::string_view id, core::Timestamp now) {
  return with_connection([&](SqlConnection& connection) -> Status {
    auto result = connection.run(
        "UPDATE integrations SET last_refreshed_at = oam_ts($2), updated_at = oam_ts($2) "
        "WHERE id = $1",
        {std::string(id), core::to_unix_ms(now)});
    if (!result) return result.error();
    if (result->affected == 0)
      return core::make_error(Code::not_found, "integration was not found");
    return {};
  });
}

Result<core::TokenRecord> SqlStore::put_tokens(const core::TokenRecord& tokens) {
  const auto sql = fmt::format(
      "INSERT INTO tokens (integration_id, access_token_ct, refresh_token_ct, token_type, "
      "expires_at, key_id, version, updated_at) "
      "VALUES ($1, $2, $3, $4, oam_ts($5), $6, 1, oam_ts($7)) "
      "ON CONFLICT (integration_id) DO UPDATE SET access_token_ct = excluded.access_token_ct, "
      "refresh_token_ct = excluded.refresh_token_ct, token_type = excluded.token_type, "
      "expires_at = excluded.expires_at, key_id = excluded.key_id, "
      "version = tokens.version + 1, updated_at = excluded.updated_at RETURNING {}",
      kTokenColumns);
  return with_connection([&](SqlConnection& connection) -> Result<core::TokenRecord> {
    auto row =
        single_row(connection.run(sql, {tokens.integration_id, Blob{tokens.access_token_ciphertext},
                                        blob_or_null(tokens.refresh_token_ciphertext),
                                        tokens.token_type, time_or_null(tokens.expires_at),
                                        tokens.key_id, core::to_unix_ms(tokens.updated_at)}),
                   "token set");
    if (!row) return row.error();
    return tokens_from_row(*row);
  });
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
  return with_connection([&](SqlConnection& connection) -> Result<core::TokenRecord> {
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
}

Status SqlStore::delete_tokens(std::string_view integration_id) {
  return with_connection([&](SqlConnection& connection) -> Status {
    auto result = connection.run("DELETE FROM tokens WHERE integration_id = $1",
                                 {std::string(integration_id)});
    if (!result) return result.error();
    return {};
  });
}

Status SqlStore::upsert_scopes(const std::vector<core::ScopeInfo>& scopes) {
  return with_connection([&](SqlConnection& connection) -> Status {
    return in_write_transaction(connection, [&]() -> Status {
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
  return with_connection([&](SqlConnection& connection) -> Status {
    auto result = connection.run(
        "INSERT INTO consents (id, user_id, integration_id, requested_scopes, granted_scopes, "
        "created_at, ip, user_agent, revoked_at) "
        "VALUES ($1, $2, $3, $4, $5, oam_ts($6), $7, $8, oam_ts($9))",
        {consent.id, consent.user_id, consent.integration_id,
         core::join_scopes(consent.requested_scopes), core::join_scopes(consent.granted_scopes),
         core::to_unix_ms(consent.created_at), text_or_null(consent.ip),
         text_or_null(consent.user_agent), time_or_null(consent.revoked_at)});
    if (!result) return result.error();
    return {};
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
  return with_connection([&](SqlConnection& connection) -> Result<int> {
    auto result = connection.run(
        "UPDATE consents SET revoked_at = oam_ts($2) "
        "WHERE integration_id = $1 AND revoked_at IS NULL",
        {std::string(integration_id), core::to_unix_ms(revoked_at)});
    if (!result) return result.error();
    return static_cast<int>(result->affected);
  });
}

Result<core::AuditEvent> SqlStore::append_audit(const core::AuditEvent& event) {
  auto appended = append_audit_batch({event});
  if (!appended) return appended.error();
  return std::move(appended->front());
}

Result<std::vector<core::AuditEvent>> SqlStore::append_audit_batch(
    const std::vector<core::AuditEvent>& events) {
  using Appended = std::vector<core::AuditEvent>;
  return with_connection([&](SqlConnection& connection) -> Result<Appended> {
    return in_write_transaction(connection, [&]() -> Result<Appended> {
      if (auto locked = connection.lock_audit_chain(); !locked) return locked.error();
      auto last = connection.run("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1", {});
      if (!last) return last.error();
      Appended chained = events;
      std::string prev_hash =
          last->rows.empty() ? std::string(kGenesisHash) : last->rows[0].text(0);
      for (auto& event : chained) {
        event.prev_hash = prev_hash;
        event.hash = chain_hash(event.prev_hash, event);
        prev_hash = event.hash;
      }
      Appended appended;
      appended.reserve(chained.size());
      for (std::size_t first = 0; first < chained.size(); first += kAuditRowsPerInsert) {
        const auto count = std::min(kAuditRowsPerInsert, chained.size() - first);
        auto inserted = insert_audit_rows(connection, chained, first, count);
        if (!inserted) return inserted.error();
        appended.insert(appended.end(), std::make_move_iterator(inserted->begin()),
                        std::make_move_iterator(inserted->end()));
      }
      return appended;
    });
  });
}

Result<std::vector<core::AuditEvent>> SqlStore::list_audit(const AuditQuery& query) {
  auto sql = fmt::format("SELECT {} FROM audit_events WHERE seq > $1", kAuditColumns);
  std::vector<SqlParam> params = {query.after_seq};
  const auto add_filter = [&](std::string_view condition, SqlParam value) {
    params.push_back(std::move(value));
    sql += fmt::format(" AND {}${}", condition, params.size());
  };
  if (query.user_id) add_filter("user_id = ", *query.user_id);
  if (query.integration_id) add_filter("integration_id = ", *query.integration_id);
  if (query.event) add_filter("event = ", *query.event);
  if (query.since) add_filter("occurred_at >= oam_ts(", core::to_unix_ms(*query.since));
  if (query.since) sql += ")";
  if (query.until) add_filter("occurred_at < oam_ts(", core::to_unix_ms(*query.until));
  if (query.until) sql += ")";
  params.emplace_back(std::int64_t{std::clamp(query.limit, 1, 1000)});
  sql += fmt::format(" ORDER BY seq LIMIT ${}", params.size());
  return with_connection([&](SqlConnection& connection) {
    return map_rows(connection.run(sql, params), &audit_from_row);
  });
}

Status SqlStore::insert_state(const core::AuthState& state) {
  return with_connection([&](SqlConnection& connection) -> Status {
    auto result = connection.run(
        "INSERT INTO states (state_hash, user_id, provider, pkce_verifier_ct, nonce, "
        "requested_scopes, return_to, created_at, expires_at, consumed_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, oam_ts($8), oam_ts($9), oam_ts($10))",
        {state.state_hash, state.user_id, state.provider, Blob{state.pkce_verifier_ciphertext},
         text_or_null(state.nonce), core::join_scopes(state.requested_scopes),
         text_or_null(state.return_to), core::to_unix_ms(state.created_at),
         core::to_unix_ms(state.expires_at), time_or_null(state.consumed_at)});
    if (!result) return result.error();
    return {};
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
  return with_connection([&](SqlConnection& connection) -> Result<int> {
    auto result = connection.run("DELETE FROM states WHERE expires_at < oam_ts($1)",
                                 {core::to_unix_ms(before)});
    if (!result) return result.error();
    return static_cast<int>(result->affected);
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
  return with_connection([&](SqlConnection& connection) -> Status {
    auto result =
        connection.run("DELETE FROM refresh_leases WHERE integration_id = $1 AND owner = $2",
                       {std::string(integration_id), std::string(owner)});
    if (!result) return result.error();
    return Status{};
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
  return with_connection([&](SqlConnection& connection) -> Status {
    auto result = connection.run(kSql, {std::string(integration_id), std::int64_t{backoff.failures},
                                        core::to_unix_ms(backoff.retry_at)});
    if (!result) return result.error();
    return Status{};
  });
}

Status SqlStore::clear_refresh_backoff(std::string_view integration_id) {
  return with_connection([&](SqlConnection& connection) -> Status {
    auto result = connection.run("DELETE FROM refresh_backoff WHERE integration_id = $1",
                                 {std::string(integration_id)});
    if (!result) return result.error();
    return Status{};
  });
}

Result<bool> SqlStore::lookup_uses_index(IndexedLookup lookup) {
  return with_connection([&](SqlConnection& connection) -> Result<bool> {
    switch (lookup) {
      case IndexedLookup::integrations_by_user_provider:
        return connection.plan_uses_index(
            "SELECT id FROM integrations WHERE user_id = $1 AND provider = $2",
            {std::string("user"), std::string("google")}, "integrations");
      case IndexedLookup::state_by_hash:
        return connection.plan_uses_index("SELECT user_id FROM states WHERE state_hash = $1",
                                          {std::string("0")}, "states");
    }
    return core::make_error(Code::internal, "unknown lookup");
  });
}

}  // namespace oauth_manager::store
