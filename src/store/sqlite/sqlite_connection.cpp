#include "store/sqlite/sqlite_connection.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

namespace oauth_manager::store::sqlite {
namespace {

using core::Code;

// How long a writer waits for another connection's write lock before giving up as unavailable.
constexpr int kBusyTimeoutMs = 5000;

// oam_ts() and oam_ms() exist so the shared SQL can convert times on PostgreSQL; SQLite stores
// Unix milliseconds already, so here both are the identity.
void identity_function(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  sqlite3_result_value(context, argv[0]);
}

// The shared SQL uses $1..$n; SQLite's numbered form is ?1..?n.
std::string to_sqlite_placeholders(std::string_view sql) {
  std::string out(sql);
  for (auto& c : out) {
    if (c == '$') c = '?';
  }
  return out;
}

Code code_for(int extended) {
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_TRIGGER:
    case SQLITE_CONSTRAINT_CHECK:
      return Code::conflict;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return Code::not_found;
    default:
      break;
  }
  switch (extended & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
      return Code::unavailable;
    default:
      return Code::internal;
  }
}

class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  ~SqliteConnection() override {
    for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
    sqlite3_close_v2(db_);
  }

  core::Result<SqlResult> run(std::string_view sql, const std::vector<SqlParam>& params) override;
  core::Status run_script(std::string_view sql) override;
  core::Status begin_write() override { return run_script("BEGIN IMMEDIATE"); }
  core::Status commit() override { return run_script("COMMIT"); }
  void rollback() override {
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  // BEGIN IMMEDIATE already holds the database's single write lock.
  core::Status lock_audit_chain() override { return {}; }
  // Writers are serialized by BEGIN IMMEDIATE, and the migrator re-checks inside its write
  // transaction, so no extra lock is needed.
  core::Status with_migration_lock(const std::function<core::Status()>& work) override {
    return work();
  }
  core::Result<bool> plan_uses_index(std::string_view sql, const std::vector<SqlParam>& params,
                                     std::string_view table) override;
  bool healthy() const override { return true; }

 private:
  core::Error error(std::string_view what) const {
    return core::make_error(code_for(sqlite3_extended_errcode(db_)),
                            fmt::format("{}: {}", what, sqlite3_errmsg(db_)));
  }
  core::Result<sqlite3_stmt*> prepare(std::string_view sql);
  core::Result<sqlite3_stmt*> prepare_uncached(std::string_view sql);
  core::Status bind(sqlite3_stmt* statement, const std::vector<SqlParam>& params);
  core::Result<SqlResult> execute(sqlite3_stmt* statement, const std::vector<SqlParam>& params);

  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

core::Result<sqlite3_stmt*> SqliteConnection::prepare(std::string_view sql) {
  if (auto found = statements_.find(sql); found != statements_.end()) return found->second;
  auto statement = prepare_uncached(sql);
  if (statement) statements_.emplace(std::string(sql), *statement);
  return statement;
}

core::Result<sqlite3_stmt*> SqliteConnection::prepare_uncached(std::string_view sql) {
  const auto translated = to_sqlite_placeholders(sql);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v3(db_, translated.c_str(), static_cast<int>(translated.size()),
                         SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
    return error("preparing a statement failed");
  }
  return statement;
}

core::Status SqliteConnection::bind(sqlite3_stmt* statement, const std::vector<SqlParam>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const int rc = std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            return sqlite3_bind_null(statement, index);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            return sqlite3_bind_int64(statement, index, value);
          } else if constexpr (std::is_same_v<T, std::string>) {
            return sqlite3_bind_text64(statement, index, value.data(), value.size(),
                                       SQLITE_TRANSIENT, SQLITE_UTF8);
          } else {
            return sqlite3_bind_blob64(statement, index, value.bytes.data(), value.bytes.size(),
                                       SQLITE_TRANSIENT);
          }
        },
        params[i]);
    if (rc != SQLITE_OK) return error("binding a parameter failed");
  }
  return {};
}

SqlValue column_value(sqlite3_stmt* statement, int column) {
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_NULL:
      return std::monostate{};
    case SQLITE_INTEGER:
      return std::int64_t{sqlite3_column_int64(statement, column)};
    default: {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(statement, column));
      const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
      return data == nullptr ? std::string() : std::string(data, size);
    }
  }
}

core::Result<SqlResult> SqliteConnection::run(std::string_view sql,
                                              const std::vector<SqlParam>& params) {
  auto statement = prepare(sql);
  if (!statement) return statement.error();
  return execute(*statement, params);
}

core::Result<SqlResult> SqliteConnection::execute(sqlite3_stmt* stmt,
                                                  const std::vector<SqlParam>& params) {
  // Always leave the cached statement reset and unbound for the next caller.
  struct Reset {
    sqlite3_stmt* stmt;
    ~Reset() {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
  } reset{stmt};
  if (auto bound = bind(stmt, params); !bound) return bound.error();
  SqlResult result;
  const int columns = sqlite3_column_count(stmt);
  while (true) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return error("a statement failed");
    std::vector<SqlValue> values;
    values.reserve(static_cast<std::size_t>(columns));
    for (int column = 0; column < columns; ++column) values.push_back(column_value(stmt, column));
    result.rows.emplace_back(std::move(values));
  }
  result.affected = sqlite3_changes64(db_);
  return result;
}

core::Status SqliteConnection::run_script(std::string_view sql) {
  const std::string script(sql);
  if (sqlite3_exec(db_, script.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return error("a statement failed");
  }
  return {};
}

core::Result<bool> SqliteConnection::plan_uses_index(std::string_view sql,
                                                     const std::vector<SqlParam>& params,
                                                     std::string_view table) {
  // EXPLAIN never opens a read transaction, so it would plan against this connection's cached
  // schema: a real read first picks up indexes another connection added or dropped. And it is
  // not cached, or the plan would outlive the indexes it describes.
  if (auto read = run("SELECT count(*) FROM sqlite_schema", {}); !read) return read.error();
  auto statement = prepare_uncached(fmt::format("EXPLAIN QUERY PLAN {}", sql));
  if (!statement) return statement.error();
  auto plan = execute(*statement, params);
  sqlite3_finalize(*statement);
  if (!plan) return plan.error();
  bool searched = false;
  for (const auto& row : plan->rows) {
    const auto& detail = row.text(3);
    if (detail.rfind(fmt::format("SCAN {}", table), 0) == 0) return false;
    if (detail.rfind(fmt::format("SEARCH {} USING", table), 0) == 0) searched = true;
  }
  return searched;
}

// Switching a new file to WAL needs a lock that another process opening the same file at the same
// moment (a second replica) may hold briefly, and SQLite reports that as BUSY without consulting
// the busy handler: so retry, for at most the busy timeout.
int enable_wal(sqlite3* db) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  while (true) {
    const int rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    if ((rc & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) return rc;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

core::Status configure(sqlite3* db) {
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  constexpr const char* kPragmas = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";
  if (enable_wal(db) != SQLITE_OK ||
      sqlite3_exec(db, kPragmas, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return core::make_error(Code::unavailable,
                            fmt::format("configuring SQLite failed: {}", sqlite3_errmsg(db)));
  }
  for (const char* name : {"oam_ts", "oam_ms"}) {
    if (sqlite3_create_function(db, name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                &identity_function, nullptr, nullptr) != SQLITE_OK) {
      return core::make_error(Code::internal, "registering SQLite functions failed");
    }
  }
  return {};
}

}  // namespace

core::Result<std::unique_ptr<SqlConnection>> connect(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  std::error_code ignored;
  if (!parent.empty()) std::filesystem::create_directories(parent, ignored);
  // Only the service's user may read the database (SQLite gives -wal and -shm the same mode).
  if (const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) ::close(fd);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    auto message = fmt::format("cannot open SQLite database \"{}\": {}", path,
                               db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return core::make_error(Code::unavailable, std::move(message));
  }
  if (auto configured = configure(db); !configured) {
    sqlite3_close_v2(db);
    return configured.error();
  }
  return std::unique_ptr<SqlConnection>(std::make_unique<SqliteConnection>(db));
}

}  // namespace oauth_manager::store::sqlite
