#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

namespace oauth_manager::testing {

// URLs of the servers scripts/with-test-services started, if any.
std::optional<std::string> postgres_url();
std::optional<std::string> redis_url();
// True under scripts/with-test-services: a missing server is then a failure, not a skip.
bool servers_required();

// Every row of every table of the schema `url` points at, as PostgreSQL's text form: for
// checking what is really stored (no plaintext secret).
std::string postgres_dump(const std::string& url);

// A fresh PostgreSQL schema for one test, dropped afterwards; url() points search_path at it.
class PostgresSchema {
 public:
  explicit PostgresSchema(const std::string& server_url);
  PostgresSchema(const PostgresSchema&) = delete;
  PostgresSchema& operator=(const PostgresSchema&) = delete;
  ~PostgresSchema();
  const std::string& url() const { return url_; }

 private:
  std::string server_url_;
  std::string name_;
  std::string url_;
};

}  // namespace oauth_manager::testing

// Skips the test when a server's URL (OAM_TEST_<NAME>_URL) is not set, or fails it under
// with-test-services, which always sets them.
#define OAM_REQUIRE_SERVER(url_variable, getter, name)                                 \
  const auto url_variable = ::oauth_manager::testing::getter();                        \
  if (!url_variable) {                                                                 \
    if (::oauth_manager::testing::servers_required()) {                                \
      FAIL() << "no " name " URL although test servers are required";                  \
    }                                                                                  \
    GTEST_SKIP() << "no " name ": run through scripts/with-test-services (make test)"; \
  }

#define OAM_REQUIRE_POSTGRES(url_variable) \
  OAM_REQUIRE_SERVER(url_variable, postgres_url, "PostgreSQL")
#define OAM_REQUIRE_REDIS(url_variable) OAM_REQUIRE_SERVER(url_variable, redis_url, "Redis")

// In a test parameterised on the backend ("sqlite" or "postgres"): sets `url_variable` to
// `sqlite_url`, or for "postgres" to a fresh schema kept alive in `schema` (a
// std::unique_ptr<PostgresSchema>), skipping or failing as OAM_REQUIRE_POSTGRES does.
#define OAM_BACKEND_URL(url_variable, backend, sqlite_url, schema)                                \
  std::string url_variable = (sqlite_url);                                                        \
  if ((backend) == "postgres") {                                                                  \
    OAM_REQUIRE_POSTGRES(oam_postgres_server_);                                                   \
    (schema) = std::make_unique<::oauth_manager::testing::PostgresSchema>(*oam_postgres_server_); \
    url_variable = (schema)->url();                                                               \
  }
