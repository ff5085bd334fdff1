// The outbox: side effects stored with their cause and claimed by one worker at a time.
#include <fmt/format.h>

#include <algorithm>

#include "store/sql_rows.hpp"
#include "store/sql_store.hpp"

namespace oauth_manager::store {

using core::Result;
using core::Status;

namespace {

// "kind IN ($n, ...)" for `kinds`, their values appended to `params` (numbered after them).
std::string kind_condition(const std::vector<std::string>& kinds, std::vector<SqlParam>& params) {
  std::vector<std::string> placeholders;
  for (const auto& kind : kinds) {
    params.emplace_back(kind);
    placeholders.push_back(fmt::format("${}", params.size()));
  }
  return fmt::format("kind IN ({})", fmt::join(placeholders, ", "));
}

}  // namespace

Status SqlStore::enqueue_outbox(const core::OutboxJob& job) {
  constexpr std::string_view kSql =
      "INSERT INTO outbox (id, kind, payload, attempts, created_at, due_at, lease_owner, "
      "lease_until, last_error) VALUES ($1, $2, $3, $4, oam_ts($5), oam_ts($6), $7, oam_ts($8), "
      "$9)";
  return with_connection([&](SqlConnection& connection) {
    return execute(connection, kSql,
                   {job.id, job.kind, job.payload, std::int64_t{job.attempts},
                    core::to_unix_ms(job.created_at), core::to_unix_ms(job.due_at),
                    text_or_null(job.lease_owner), time_or_null(job.lease_until),
                    text_or_null(job.last_error)});
  });
}

Result<std::vector<core::OutboxJob>> SqlStore::claim_outbox(const std::vector<std::string>& kinds,
                                                            std::string_view owner,
                                                            core::Timestamp now,
                                                            core::Timestamp lease_until,
                                                            int limit) {
  if (kinds.empty()) return std::vector<core::OutboxJob>{};
  std::vector<SqlParam> params = {std::string(owner), core::to_unix_ms(lease_until),
                                  core::to_unix_ms(now), std::int64_t{limit}};
  const auto kind_filter = kind_condition(kinds, params);
  // The claimable test is repeated outside the subquery: on PostgreSQL, a claimer that waited
  // for another's row lock re-checks the outer condition on the row as the other left it, so a
  // job the other just leased is skipped instead of claimed twice. SQLite runs one writer.
  const auto sql = fmt::format(
      "UPDATE outbox SET lease_owner = $1, lease_until = oam_ts($2) "
      "WHERE id IN (SELECT id FROM outbox WHERE {0} AND due_at <= oam_ts($3) "
      "AND (lease_until IS NULL OR lease_until <= oam_ts($3)) ORDER BY due_at, created_at "
      "LIMIT $4) "
      "AND due_at <= oam_ts($3) AND (lease_until IS NULL OR lease_until <= oam_ts($3)) "
      "RETURNING {1}",
      kind_filter, kOutboxColumns);
  return with_connection([&](SqlConnection& connection) {
    auto jobs = map_rows(connection.run(sql, params), &outbox_job_from_row);
    // RETURNING gives no order: soonest due first, as promised.
    if (jobs) {
      std::stable_sort(jobs->begin(), jobs->end(),
                       [](const auto& a, const auto& b) { return a.due_at < b.due_at; });
    }
    return jobs;
  });
}

Status SqlStore::finish_outbox(std::string_view id, std::string_view owner) {
  return with_connection([&](SqlConnection& connection) {
    return execute_on_existing(connection, "DELETE FROM outbox WHERE id = $1 AND lease_owner = $2",
                               {std::string(id), std::string(owner)}, "the outbox job's lease");
  });
}

Status SqlStore::retry_outbox(std::string_view id, std::string_view owner, int attempts,
                              core::Timestamp due_at, std::string_view last_error) {
  constexpr std::string_view kSql =
      "UPDATE outbox SET attempts = $3, due_at = oam_ts($4), last_error = $5, "
      "lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2";
  return with_connection([&](SqlConnection& connection) {
    return execute_on_existing(connection, kSql,
                               {std::string(id), std::string(owner), std::int64_t{attempts},
                                core::to_unix_ms(due_at), std::string(last_error)},
                               "the outbox job's lease");
  });
}

Result<std::optional<core::Timestamp>> SqlStore::next_outbox_time(
    const std::vector<std::string>& kinds) {
  using Found = std::optional<core::Timestamp>;
  if (kinds.empty()) return Found{};
  std::vector<SqlParam> params;
  const auto sql = fmt::format(
      "SELECT oam_ms(min(CASE WHEN lease_until IS NOT NULL AND lease_until > due_at "
      "THEN lease_until ELSE due_at END)) FROM outbox WHERE {}",
      kind_condition(kinds, params));
  return with_connection([&](SqlConnection& connection) -> Result<Found> {
    auto result = connection.run(sql, params);
    if (!result) return result.error();
    const auto& row = result->rows.front();
    if (row.is_null(0)) return Found{};
    return Found{core::from_unix_ms(row.integer(0))};
  });
}

Result<std::int64_t> SqlStore::count_outbox() {
  return with_connection([&](SqlConnection& connection) -> Result<std::int64_t> {
    auto result = connection.run("SELECT count(*) FROM outbox", {});
    if (!result) return result.error();
    return result->rows.front().integer(0);
  });
}

}  // namespace oauth_manager::store
