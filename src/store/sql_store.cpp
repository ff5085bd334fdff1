#include "store/sql_store.hpp"

#include "store/sql_migrator.hpp"
#include "store/sql_rows.hpp"

namespace oauth_manager::store {

using core::Code;
using core::Result;
using core::Status;

SqlStore::SqlStore(std::string backend, ConnectionFactory factory, int pool_size)
    : backend_(std::move(backend)),
      pool_(std::make_shared<ConnectionPool>(std::move(factory), pool_size)) {}

Status SqlStore::transact(const std::function<Status(Store& tx)>& work) {
  if (bound_ != nullptr) return work(*this);
  Changes changes;
  auto status = with_connection([&](SqlConnection& connection) -> Status {
    SqlStore view(*this, connection, changes);
    try {
      return in_write_transaction(connection, [&] { return work(view); });
    } catch (...) {  // rolled back already
      report(changes);
      throw;
    }
  });
  report(changes);
  return status;
}

void SqlStore::changed(IntegrationChange change) {
  if (changes_ != nullptr) {
    changes_->push_back(std::move(change));
  } else {
    report({std::move(change)});
  }
}

void SqlStore::report(const Changes& changes) const {
  auto* watcher = watcher_->load();
  if (watcher == nullptr) return;
  for (const auto& change : changes) watcher->integration_changed(change);
}

Status SqlStore::ping() {
  return with_connection([](SqlConnection& connection) -> Status {
    auto result = connection.run("SELECT 1", {});
    if (!result) return result.error();
    return {};
  });
}

Result<MigrationReport> SqlStore::migrate() {
  return with_connection(
      [&](SqlConnection& connection) { return migrate_schema(connection, backend_); });
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
