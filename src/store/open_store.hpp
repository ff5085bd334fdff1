#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace oauth_manager::store {

// Picks the backend from the URL's scheme: sqlite://<path> or postgresql://... (postgres://).
// Connections open lazily, so this succeeds even while the database is down; ping() tells.
core::Result<std::unique_ptr<Store>> open_store(const std::string& url, int pool_size);

}  // namespace oauth_manager::store
