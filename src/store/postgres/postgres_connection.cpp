#include "store/postgres/postgres_connection.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libpq-fe.h>

#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

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

// Parameters as libpq takes them; the texts of integers live as long as this does.
struct BoundParams {
  explicit BoundParams(const std::vector<SqlParam>& params)
      : texts(params.size()),
        values(params.size(), nullptr),
        lengths(params.size(), 0),
        formats(params.size(), 0) {
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
  }
  int count() const { return static_cast<int>(values.size()); }

  std::vector<std::string> texts;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

SqlResult rows_of(PGresult* result) {
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
  return rows;
}

bool succeeded(const PGresult* result) {
  const auto status = PQresultStatus(result);
  return status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
}

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;
  ~PostgresConnection() override { PQfinish(conn_); }

  core::Result<SqlResult> run(std::string_view sql, const std::vector<SqlParam>& params) override;
  core::Status run_script(std::string_view sql) override;
  core::Status run_later(std::string_view sql, const std::vector<SqlParam>& params) override;
  // BEGIN and the chain's lock need no answer: they travel with the next statement that does.
  // READ COMMITTED whatever the server's default: the audit chain's read of its last hash must
  // see the commit of the lock's previous holder, which a snapshot taken earlier would not.
  core::Status begin_write() override {
    in_transaction_ = true;
    return defer("BEGIN ISOLATION LEVEL READ COMMITTED", {});
  }
  core::Status commit() override;
  void rollback() override {
    in_transaction_ = false;
    deferred_.clear();
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
  }
  core::Status lock_audit_chain() override {
    return defer("SELECT pg_advisory_xact_lock($1)", {kAuditChainLockKey});
  }
  core::Status with_migration_lock(const std::function<core::Status()>& work) override;
  core::Result<bool> plan_uses_index(std::string_view sql, const std::vector<SqlParam>& params,
                                     std::string_view table) override;
  // Back in the pool only out of any pipeline and transaction: an exception half-way through
  // one (an allocation failing) would otherwise hand the next user its leftover answers or
  // its open transaction, holding the chain's lock.
  bool healthy() const override {
    return reachable() && PQpipelineStatus(conn_) == PQ_PIPELINE_OFF &&
           PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

 private:
  bool reachable() const { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }
  // Turns a failed result into an Error (and frees it). Only the primary message is kept: the
  // DETAIL field of a constraint violation repeats row values.
  core::Error failure(PGresult* result, std::string_view what);
  // The name `sql` is prepared under on this connection, preparing it the first time; nullptr
  // once kMaxPrepared statements are (then it runs unprepared).
  core::Result<const std::string*> prepared(const std::string& sql, int param_count);

  struct Statement {
    std::string sql;
    std::vector<SqlParam> params;
  };
  core::Status defer(std::string sql, std::vector<SqlParam> params) {
    deferred_.push_back({std::move(sql), std::move(params)});
    return {};
  }
  // Runs one statement and waits for its answer.
  core::Result<SqlResult> run_alone(const std::string& sql, const std::vector<SqlParam>& params);
  // Sends the deferred statements and `last` in one pipeline (one round trip instead of one
  // each) and returns the answer to `last`, or the first failure.
  core::Result<SqlResult> run_pipelined(const Statement& last);
  // Queues a statement in pipeline mode; false when libpq refuses it.
  bool send(const Statement& statement, const std::string* name);
  // Reads one statement's result in pipeline mode (and the end marker after it).
  PGresult* next_pipeline_result();

  // Parsing and planning each statement anew was about 40 % of PostgreSQL's CPU under load; the
  // statements are few and fixed (a dynamic one varies by a count of placeholders at most).
  static constexpr std::size_t kMaxPrepared = 256;

  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
  // Statements whose answers nobody waits for (BEGIN, a lock): each round trip to PostgreSQL
  // costs both sides a wake-up on these two cores, more than the statement itself.
  std::vector<Statement> deferred_;
  bool in_transaction_ = false;  // begun by begin_write(), not yet committed or rolled back
  bool broken_ = false;
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
                    : reachable()    ? Code::internal
                                     : Code::unavailable;
  auto message = fmt::format("{}: {}", what, primary != nullptr ? primary : PQerrorMessage(conn_));
  while (!message.empty() && message.back() == '\n') message.pop_back();
  PQclear(result);
  return core::make_error(code, std::move(message));
}

core::Result<SqlResult> PostgresConnection::run(std::string_view sql,
                                                const std::vector<SqlParam>& params) {
  if (!deferred_.empty()) return run_pipelined(Statement{std::string(sql), params});
  return run_alone(std::string(sql), params);
}

core::Status PostgresConnection::run_later(std::string_view sql,
                                           const std::vector<SqlParam>& params) {
  if (in_transaction_) return defer(std::string(sql), params);
  auto ran = run_alone(std::string(sql), params);
  if (!ran) return ran.error();
  return {};
}

core::Status PostgresConnection::commit() {
  in_transaction_ = false;
  // A statement of this transaction failed earlier and its caller went on: PostgreSQL would
  // answer COMMIT with "ROLLBACK" and no error. (Deferred ones are not sent yet: the state is
  // exact here, and a failure among them comes back from the pipeline below.)
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    return core::make_error(Code::internal,
                            "the transaction was rolled back: one of its statements had failed");
  }
  auto committed =
      deferred_.empty() ? run_alone("COMMIT", {}) : run_pipelined(Statement{"COMMIT", {}});
  if (!committed) return committed.error();
  return {};
}

core::Result<SqlResult> PostgresConnection::run_alone(const std::string& sql,
                                                      const std::vector<SqlParam>& params) {
  const BoundParams bound(params);
  const auto name = prepared(sql, bound.count());
  if (!name) return name.error();
  PGresult* result =
      *name != nullptr
          ? PQexecPrepared(conn_, (*name)->c_str(), bound.count(), bound.values.data(),
                           bound.lengths.data(), bound.formats.data(), /*resultFormat=*/1)
          : PQexecParams(conn_, sql.c_str(), bound.count(), nullptr, bound.values.data(),
                         bound.lengths.data(), bound.formats.data(),
                         /*resultFormat=*/1);
  if (!succeeded(result)) return failure(result, "a statement failed");
  auto rows = rows_of(result);
  PQclear(result);
  return rows;
}

bool PostgresConnection::send(const Statement& statement, const std::string* name) {
  const BoundParams bound(statement.params);
  return (name != nullptr
              ? PQsendQueryPrepared(conn_, name->c_str(), bound.count(), bound.values.data(),
                                    bound.lengths.data(), bound.formats.data(), 1)
              : PQsendQueryParams(conn_, statement.sql.c_str(), bound.count(), nullptr,
                                  bound.values.data(), bound.lengths.data(), bound.formats.data(),
                                  1)) == 1;
}

PGresult* PostgresConnection::next_pipeline_result() {
  PGresult* result = PQgetResult(conn_);
  if (result != nullptr) {
    // Each statement's results end with a null; a broken connection gives nulls only.
    while (PQstatus(conn_) != CONNECTION_BAD) {
      PGresult* extra = PQgetResult(conn_);
      if (extra == nullptr) break;
      PQclear(extra);
    }
  }
  return result;
}

core::Result<SqlResult> PostgresConnection::run_pipelined(const Statement& last) {
  // Prepared before the pipeline, each on its first use on this connection (later uses find it
  // prepared); a failure here leaves the deferred statements waiting, BEGIN among them.
  std::vector<const std::string*> names;
  for (std::size_t i = 0; i <= deferred_.size(); ++i) {
    const auto& statement = i < deferred_.size() ? deferred_[i] : last;
    auto name = prepared(statement.sql, static_cast<int>(statement.params.size()));
    if (!name) return name.error();
    names.push_back(*name);
  }
  auto statements = std::exchange(deferred_, {});
  statements.push_back(last);
  // Whatever way this ends (an exception included), a connection left in pipeline mode is not
  // given to anyone again.
  struct ExitCheck {
    PostgresConnection& connection;
    ~ExitCheck() {
      if (PQpipelineStatus(connection.conn_) != PQ_PIPELINE_OFF) connection.broken_ = true;
    }
  } exit_check{*this};
  if (PQenterPipelineMode(conn_) != 1) {
    broken_ = true;
    return failure(nullptr, "a pipeline could not start");
  }
  bool sent = true;
  for (std::size_t i = 0; i < statements.size() && sent; ++i) sent = send(statements[i], names[i]);
  sent = sent && PQpipelineSync(conn_) == 1;
  std::optional<core::Error> first_failure;
  std::optional<SqlResult> answer;
  for (std::size_t i = 0; i < statements.size() && sent; ++i) {
    PGresult* result = next_pipeline_result();
    if (result == nullptr) {
      sent = false;
    } else if (!succeeded(result)) {
      // After a failure the rest come back PGRES_PIPELINE_ABORTED: the first one says why.
      auto error = failure(result, "a statement failed");
      if (!first_failure) first_failure = std::move(error);
    } else {
      if (i + 1 == statements.size()) answer = rows_of(result);
      PQclear(result);
    }
  }
  if (sent) {
    PGresult* sync = PQgetResult(conn_);  // PGRES_PIPELINE_SYNC
    PQclear(sync);
  }
  if (!sent || PQexitPipelineMode(conn_) != 1) {
    // Lost in the middle of a pipeline: the pool replaces this connection.
    broken_ = true;
    if (!first_failure) first_failure = failure(nullptr, "a pipeline failed");
  }
  if (first_failure) return *first_failure;
  return std::move(*answer);
}

core::Status PostgresConnection::run_script(std::string_view sql) {
  // A script may hold several statements, which a pipeline cannot: the deferred ones go first.
  for (const auto& statement : std::exchange(deferred_, {})) {
    if (auto ran = run_alone(statement.sql, statement.params); !ran) return ran.error();
  }
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
