#pragma once

#include <string_view>

#include "store/sql_connection.hpp"
#include "store/store.hpp"

namespace oauth_manager::store {

// Applies the embedded migrations of `backend` that are not yet recorded in schema_migrations,
// each in its own transaction, under the backend's migration lock (so replicas starting together
// apply each migration once).
core::Result<MigrationReport> migrate_schema(SqlConnection& connection, std::string_view backend);

}  // namespace oauth_manager::store
