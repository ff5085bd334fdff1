#include "test_servers.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <random>
#include <stdexcept>

namespace oauth_manager::testing {
namespace {

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

void run_admin(const std::string& server_url, const std::string& sql) {
  PGconn* conn = PQconnectdb(server_url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string reason = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to the test PostgreSQL: " + reason);
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  PGresult* result = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  std::string reason = PQerrorMessage(conn);
  PQclear(result);
  PQfinish(conn);
  if (!ok) throw std::runtime_error("test PostgreSQL statement failed: " + reason);
}

}  // namespace

std::string postgres_dump(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string dump;
  if (PQstatus(conn) == CONNECTION_OK) {
    for (const char* table :
         {"integrations", "tokens", "scopes", "consents", "audit_events", "states"}) {
      const std::string sql = std::string("SELECT t::text FROM ") + table + " t";
      PGresult* result = PQexec(conn, sql.c_str());
      for (int row = 0; PQresultStatus(result) == PGRES_TUPLES_OK && row < PQntuples(result);
           ++row) {
        dump += PQgetvalue(result, row, 0);
        dump += '\n';
      }
      PQclear(result);
    }
  }
  PQfinish(conn);
  return dump;
}

std::optional<std::string> postgres_url() { return environment("OAM_TEST_POSTGRES_URL"); }
std::optional<std::string> redis_url() { return environment("OAM_TEST_REDIS_URL"); }
bool servers_required() { return environment("OAM_TEST_REQUIRE_SERVERS").has_value(); }

PostgresSchema::PostgresSchema(const std::string& server_url) : server_url_(server_url) {
  std::random_device device;
  std::uniform_int_distribution<std::uint64_t> distribution;
  name_ = "test_" + std::to_string(distribution(device));
  run_admin(server_url_, "CREATE SCHEMA " + name_);
  const char separator = server_url_.find('?') == std::string::npos ? '?' : '&';
  url_ = server_url_ + separator + "options=-csearch_path%3D" + name_;
}

PostgresSchema::~PostgresSchema() {
  try {
    run_admin(server_url_, "DROP SCHEMA " + name_ + " CASCADE");
  } catch (const std::exception&) {
    // The server may be gone already (a test that stops it); with-test-services removes it all.
  }
}

}  // namespace oauth_manager::testing
