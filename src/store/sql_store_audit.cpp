// The hash-chained audit trail.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>

#include "core/scopes.hpp"
#include "store/audit_chain.hpp"
#include "store/sql_rows.hpp"
#include "store/sql_store.hpp"

namespace oauth_manager::store {

using core::Code;
using core::Result;
using core::Status;

namespace {

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

}  // namespace

Result<core::AuditEvent> SqlStore::append_audit(const core::AuditEvent& event) {
  auto appended = append_audit_batch({event});
  if (!appended) return appended.error();
  return std::move(appended->front());
}

Result<std::vector<core::AuditEvent>> SqlStore::append_audit_batch(
    const std::vector<core::AuditEvent>& events) {
  using Appended = std::vector<core::AuditEvent>;
  return with_connection([&](SqlConnection& connection) -> Result<Appended> {
    return atomically(connection, [&]() -> Result<Appended> {
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

}  // namespace oauth_manager::store
