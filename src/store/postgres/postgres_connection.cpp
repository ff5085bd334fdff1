#include "store/postgres/postgres_connection.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libpq-fe.h>

#include <cstring>
#include <string>
#include <unordered_map>

namespace oauth_manager::store::postgres {
namespace {

using core::Code;

// Advisory lock keys, fixed so that every replica agrees on them ("oam" + purpose).
constexpr std::int64_t kMigrationLockKey = 0x6f616d0001;
constexpr std::int64_t kAuditChainLockKey = 0x6f616d0002;

// Type OIDs from PostgreSQL's pg_type.dat, stable across versions.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;

Code code_for_sqlstate(std::string_view state) {
  if (state == "23505" || state == "23514" || state == "P0001") return Code::conflict;
  if (state == "23503") return Code::not_found;
  // Connection problems, shutdowns, and transient concurrency failures: try again later.
  if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0 || state == "40001" ||
      state == "40P01" || state == "53300") {
    return Code::unavailable;
  }
  return Code::internal;
}

std::int64_t read_big_endian(const char* data, int length) {
  std::uint64_t value = 0;
  for (int i = 0; i < length; ++i) value = (value << 8) | static_cast<unsigned char>(data[i]);
  // Sign-extend the narrower integer types.
  const int unused_bits = 64 - 8 * length;
  return unused_bits > 0 ? static_cast<std::int64_t>(value << unused_bits) >> unused_bits
                         : static_cast<std::int64_t>(value);
}

SqlValue column_value(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column) != 0) return std::monostate{};
  const char* data = PQgetvalue(result, row, column);
  const int length = PQgetlength(result, row, column);
  switch (PQftype(result, column)) {
    case kInt8Oid:
    case kInt4Oid:
    case kInt2Oid:
    case kBoolOid:
      return read_big_endian(data, length);
    default:
      return std::string(data, static_cast<std::size_t>(length));
  }
}

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;
  ~PostgresConnection() override { PQfinish(conn_); }

  core::Result<SqlResult> run(std::string_view sql, const std::vector<SqlParam>& params) override;
  core::Status run_script(std::string_view sql) override;
  core::Status begin_write() override { return run_script("BEGIN"); }
  core::Status commit() override { return run_script("COMMIT"); }
  void rollback() override {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
  }
  core::Status lock_audit_chain() override {
    auto locked = run("SELECT pg_advisory_xact_lock($1)", {kAuditChainLockKey});
    if (!locked) return locked.error();
    return {};
  }
  core::Status with_migration_lock(const std::function<core::Status()>& work) override;
  core::Result<bool> plan_uses_index(std::string_view sql, const std::vector<SqlParam>& params,
                                     std::string_view table) override;
  bool healthy() const override { return PQstatus(conn_) == CONNECTION_OK; }

 private:
  // Turns a failed result into an Error (and frees it). Only the primary message is kept: the
  // DETAIL field of a constraint violation repeats row values.
  core::Error failure(PGresult* result, std::string_view what);
  // The name `sql` is prepared under on this connection, preparing it the first time; nullptr
  // once kMaxPrepared statements are (then it runs unprepared).
  core::Result<const std::string*> prepared(const std::string& sql, int param_count);

  // Parsing and planning each statement anew was about 40 % of PostgreSQL's CPU under load; the
  // statements are few and fixed (a dynamic one varies by a count of placeholders at most).
  static constexpr std::size_t kMaxPrepared = 256;

  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

core::Result<const std::string*> PostgresConnection::prepared(const std::string& sql,
                                                              int param_count) {
  if (const auto found = prepared_.find(sql); found != prepared_.end()) return &found->second;
  if (prepared_.size() >= kMaxPrepared) return static_cast<const std::string*>(nullptr);
  auto name = fmt::format("oam_{}", prepared_.size() + 1);
  PGresult* result = PQprepare(conn_, name.c_str(), sql.c_str(), param_count, nullptr);
  if (PQresultStatus(result) != PGRES_COMMAND_OK) return failure(result, "a statement failed");
  PQclear(result);
  return &prepared_.emplace(sql, std::move(name)).first->second;
}

core::Error PostgresConnection::failure(PGresult* result, std::string_view what) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const auto code = state != nullptr ? code_for_sqlstate(state)
                    : healthy()      ? Code::internal
                                     : Code::unavailable;
  auto message = fmt::format("{}: {}", what, primary != nullptr ? primary : PQerrorMessage(conn_));
  while (!message.empty() && message.back() == '\n') message.pop_back();
  PQclear(result);
  return core::make_error(code, std::move(message));
}

core::Result<SqlResult> PostgresConnection::run(std::string_view sql,
                                                const std::vector<SqlParam>& params) {
  std::vector<std::string> texts(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  std::vector<int> lengths(params.size(), 0);
  std::vector<int> formats(params.size(), 0);
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (const auto* integer = std::get_if<std::int64_t>(&params[i])) {
      texts[i] = std::to_string(*integer);
      values[i] = texts[i].c_str();
    } else if (const auto* text = std::get_if<std::string>(&params[i])) {
      values[i] = text->c_str();
    } else if (const auto* blob = std::get_if<Blob>(&params[i])) {
      values[i] = blob->bytes.data();
      lengths[i] = static_cast<int>(blob->bytes.size());
      formats[i] = 1;  // binary: bytea travels as raw bytes
    }
  }
  const std::string statement(sql);
  const auto count = static_cast<int>(params.size());
  const auto name = prepared(statement, count);
  if (!name) return name.error();
  PGresult* result = *name != nullptr
                         ? PQexecPrepared(conn_, (*name)->c_str(), count, values.data(),
                                          lengths.data(), formats.data(), /*resultFormat=*/1)
                         : PQexecParams(conn_, statement.c_str(), count, nullptr, values.data(),
                                        lengths.data(), formats.data(), /*resultFormat=*/1);
  const auto status = PQresultStatus(result);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return failure(result, "a statement failed");
  }
  SqlResult rows;
  const int row_count = PQntuples(result);
  const int columns = PQnfields(result);
  rows.rows.reserve(static_cast<std::size_t>(row_count));
  for (int row = 0; row < row_count; ++row) {
    std::vector<SqlValue> values_of_row;
    values_of_row.reserve(static_cast<std::size_t>(columns));
    for (int column = 0; column < columns; ++column) {
      values_of_row.push_back(column_value(result, row, column));
    }
    rows.rows.emplace_back(std::move(values_of_row));
  }
  const char* affected = PQcmdTuples(result);
  rows.affected = (affected != nullptr && *affected != '\0') ? std::atoll(affected) : 0;
  PQclear(result);
  return rows;
}

core::Status PostgresConnection::run_script(std::string_view sql) {
  const std::string script(sql);
  PGresult* result = PQexec(conn_, script.c_str());
  const auto status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return failure(result, "a statement failed");
  }
  PQclear(result);
  return {};
}

core::Status PostgresConnection::with_migration_lock(const std::function<core::Status()>& work) {
  // A session-level advisory lock: a second replica waits here until the first has migrated.
  auto locked = run("SELECT pg_advisory_lock($1)", {kMigrationLockKey});
  if (!locked) return locked.error();
  auto outcome = work();
  rollback();
  auto unlocked = run("SELECT pg_advisory_unlock($1)", {kMigrationLockKey});
  if (!unlocked && outcome) return unlocked.error();
  return outcome;
}

core::Result<bool> PostgresConnection::plan_uses_index(std::string_view sql,
                                                       const std::vector<SqlParam>& params,
                                                       std::string_view table) {
  // With sequential scans priced out, the planner still picks one when no index can answer:
  // so a plan without "Seq Scan" proves a usable index exists whatever the table's size.
  if (auto begun = begin_write(); !begun) return begun.error();
  auto disabled = run_script("SET LOCAL enable_seqscan = off");
  auto plan = disabled ? run(fmt::format("EXPLAIN {}", sql), params)
                       : core::Result<SqlResult>(disabled.error());
  rollback();
  if (!plan) return plan.error();
  bool indexed = false;
  for (const auto& row : plan->rows) {
    const auto& line = row.text(0);
    if (line.find(fmt::format("Seq Scan on {}", table)) != std::string::npos) return false;
    if (line.find("Index Scan") != std::string::npos ||
        line.find("Index Only Scan") != std::string::npos) {
      indexed = true;
    }
  }
  return indexed;
}

void discard_notice(void* /*arg*/, const char* /*message*/) {}

}  // namespace

core::Result<std::unique_ptr<SqlConnection>> connect(const std::string& url) {
  // Defaults come first so that the URL's own parameters override them.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "oauth-manager", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string reason = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
    while (!reason.empty() && reason.back() == '\n') reason.pop_back();
    PQfinish(conn);
    return core::make_error(Code::unavailable,
                            fmt::format("cannot connect to PostgreSQL: {}", reason));
  }
  // Notices ("relation already exists, skipping") would otherwise go to stderr unstructured.
  PQsetNoticeProcessor(conn, &discard_notice, nullptr);
  return std::unique_ptr<SqlConnection>(std::make_unique<PostgresConnection>(conn));
}

}  // namespace oauth_manager::store::postgres
