#pragma once

#include <memory>
#include <string>

#include "store/sql_connection.hpp"

namespace oauth_manager::store::postgres {

// Opens a connection from a postgresql:// URL. Failure messages never repeat the URL, which may
// hold a password.
core::Result<std::unique_ptr<SqlConnection>> connect(const std::string& url);

}  // namespace oauth_manager::store::postgres
