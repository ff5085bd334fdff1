#include "store/sql_migrator.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "store/embedded_migrations.hpp"
#include "store/sql_rows.hpp"

namespace oauth_manager::store {
namespace {

using core::Result;
using core::Status;

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

Result<MigrationReport> migrate_schema(SqlConnection& connection, std::string_view backend) {
  MigrationReport report;
  auto locked = connection.with_migration_lock([&]() -> Status {
    auto created = connection.run_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
        "name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
    if (!created) return created;
    for (const auto& migration : embedded_migrations()) {
      if (migration.backend != backend) continue;
      if (auto applied = applied_migration(connection, migration, report.applied); !applied) {
        return applied;
      }
      report.current_version = std::max(report.current_version, migration.version);
    }
    return {};
  });
  if (!locked) return locked.error();
  return report;
}

}  // namespace oauth_manager::store
