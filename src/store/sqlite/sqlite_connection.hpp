#pragma once

#include <memory>
#include <string>

#include "store/sql_connection.hpp"

namespace oauth_manager::store::sqlite {

// Opens a connection to the SQLite file at `path` (WAL mode, busy timeout, foreign keys on),
// creating the file and its folder when missing.
core::Result<std::unique_ptr<SqlConnection>> connect(const std::string& path);

}  // namespace oauth_manager::store::sqlite
