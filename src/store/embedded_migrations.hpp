#pragma once

#include <string_view>
#include <vector>

namespace oauth_manager::store {

// A numbered SQL migration compiled into the binary from migrations/<backend>/NNNN_name.sql.
struct EmbeddedMigration {
  std::string_view backend;  // "sqlite" or "postgres"
  int version;
  std::string_view name;
  std::string_view sql;
};

// Every migration of every backend, ordered by backend and version (generated at build time).
const std::vector<EmbeddedMigration>& embedded_migrations();

}  // namespace oauth_manager::store
