#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace oauth_manager::store {

// Bytes that must travel as a binary value (a ciphertext), not as text.
struct Blob {
  std::string bytes;
};

using SqlParam = std::variant<std::monostate, std::int64_t, std::string, Blob>;
using SqlValue = std::variant<std::monostate, std::int64_t, std::string>;

class SqlRow {
 public:
  explicit SqlRow(std::vector<SqlValue> values) : values_(std::move(values)) {}
  bool is_null(std::size_t column) const;
  std::int64_t integer(std::size_t column) const;
  const std::string& text(std::size_t column) const;
  std::optional<std::string> optional_text(std::size_t column) const;
  std::optional<std::int64_t> optional_integer(std::size_t column) const;

 private:
  std::vector<SqlValue> values_;
};

struct SqlResult {
  std::vector<SqlRow> rows;
  std::int64_t affected = 0;
};

// One database connection. SQL uses PostgreSQL's $1..$n placeholders in every backend, and the
// functions oam_ts(ms) / oam_ms(time) to exchange times as Unix milliseconds; each backend makes
// both work, so the statements in SqlStore are written once.
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  virtual core::Result<SqlResult> run(std::string_view sql,
                                      const std::vector<SqlParam>& params) = 0;
  virtual core::Status run_script(std::string_view sql) = 0;
  // A write whose answer is only whether it worked. Inside a write transaction a backend may
  // send it later, with the next statement or the commit (one round trip for several); its
  // failure then fails that statement, and so the transaction.
  virtual core::Status run_later(std::string_view sql, const std::vector<SqlParam>& params) {
    auto result = run(sql, params);
    if (!result) return result.error();
    return {};
  }
  // Starts a transaction that will write (SQLite takes the write lock up front to avoid
  // deadlocking upgrades).
  virtual core::Status begin_write() = 0;
  virtual core::Status commit() = 0;
  virtual void rollback() = 0;
  // Inside a write transaction: serializes appends to the audit chain across connections.
  virtual core::Status lock_audit_chain() = 0;
  // Runs `work` while holding a lock that excludes every other migrator on the same database.
  virtual core::Status with_migration_lock(const std::function<core::Status()>& work) = 0;
  // Whether the planner answers `sql` through an index of `table` rather than a full scan.
  virtual core::Result<bool> plan_uses_index(std::string_view sql,
                                             const std::vector<SqlParam>& params,
                                             std::string_view table) = 0;
  // False once the connection is known to be broken: the pool then opens a new one.
  virtual bool healthy() const = 0;
};

using ConnectionFactory = std::function<core::Result<std::unique_ptr<SqlConnection>>()>;

}  // namespace oauth_manager::store
