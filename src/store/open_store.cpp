#include "store/open_store.hpp"

#include "store/postgres/postgres_change_listener.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store/sql_store.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace oauth_manager::store {
namespace {

bool is_postgres(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

}  // namespace

core::Result<std::unique_ptr<Store>> open_store(const std::string& url, int pool_size) {
  constexpr std::string_view kSqlite = "sqlite://";
  if (url.rfind(kSqlite, 0) == 0 && url.size() > kSqlite.size()) {
    const auto path = url.substr(kSqlite.size());
    return std::unique_ptr<Store>(std::make_unique<SqlStore>(
        "sqlite", [path] { return sqlite::connect(path); }, pool_size));
  }
  if (is_postgres(url)) {
    return std::unique_ptr<Store>(std::make_unique<SqlStore>(
        "postgres", [url] { return postgres::connect(url); }, pool_size));
  }
  return core::make_error(core::Code::invalid_request,
                          "database.url must start with sqlite:// or postgresql://");
}

std::unique_ptr<ChangeListener> open_change_listener(const std::string& url,
                                                     IntegrationWatcher& watcher) {
  if (!is_postgres(url)) return nullptr;
  return postgres::listen_for_changes(url, watcher);
}

}  // namespace oauth_manager::store
