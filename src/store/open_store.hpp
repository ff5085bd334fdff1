#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace oauth_manager::store {

// Picks the backend from the URL's scheme: sqlite://<path> or postgresql://... (postgres://).
// Connections open lazily, so this succeeds even while the database is down; ping() tells.
core::Result<std::unique_ptr<Store>> open_store(const std::string& url, int pool_size);

// Hears other processes' writes to integrations and their tokens and reports them to `watcher`
// while it lives: PostgreSQL's LISTEN/NOTIFY. nullptr for SQLite, whose database has one writer
// process (the cache's staleness bound covers a CLI command writing meanwhile).
std::unique_ptr<ChangeListener> open_change_listener(const std::string& url,
                                                     IntegrationWatcher& watcher);

}  // namespace oauth_manager::store
