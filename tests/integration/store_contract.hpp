// The Store contract's fixture: every case runs against a SQLite file and a real PostgreSQL.
// Shared by the contract's test files (one per aggregate); each names its cases with
// TYPED_TEST_SUITE(StoreContract, Backends, BackendNames).
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "core/ids.hpp"
#include "crypto/openssl_random.hpp"
#include "store/audit_chain.hpp"
#include "store/embedded_migrations.hpp"
#include "store/open_store.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "support/temp_dir.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager::testing {

using core::from_unix_ms;

struct SqliteBackend {
  static constexpr std::string_view kName = "sqlite";
  TempDir dir;
  std::string path = (dir / "store.db").string();

  bool available() { return true; }
  std::string url() const { return "sqlite://" + path; }
  std::unique_ptr<store::SqlConnection> raw() const { return *store::sqlite::connect(path); }
  // Edits a row behind the store's back, as an attacker with file access could.
  static constexpr std::string_view kTamperAudit =
      "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET outcome = 'denied' "
      "WHERE seq = 2";
};

struct PostgresBackend {
  static constexpr std::string_view kName = "postgres";
  std::unique_ptr<PostgresSchema> schema;

  bool available() {
    const auto server = postgres_url();
    if (!server) return false;
    schema = std::make_unique<PostgresSchema>(*server);
    return true;
  }
  std::string url() const { return schema->url(); }
  std::unique_ptr<store::SqlConnection> raw() const {
    return *store::postgres::connect(schema->url());
  }
  static constexpr std::string_view kTamperAudit =
      "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only; "
      "UPDATE audit_events SET outcome = 'denied' WHERE seq = 2";
};

template <typename Backend>
class StoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!backend_.available()) {
      if (servers_required()) FAIL() << "PostgreSQL is required but not configured";
      GTEST_SKIP() << "no PostgreSQL: run through scripts/with-test-services (make test)";
    }
    store_ = open();
    auto migrated = store_->migrate();
    ASSERT_TRUE(migrated) << migrated.error().message;
  }

  std::unique_ptr<store::Store> open(int pool_size = 8) {
    auto opened = store::open_store(backend_.url(), pool_size);
    EXPECT_TRUE(opened);
    return std::move(*opened);
  }

  core::Integration integration(const std::string& user, const std::string& provider,
                                const std::string& account) {
    core::Integration value;
    value.id = core::new_id(random_);
    value.user_id = user;
    value.provider = provider;
    value.provider_account_id = account;
    value.account_email = account + "@example.com";
    value.account_name = "Account " + account;
    value.granted_scopes = {"openid", "email"};
    value.created_at = from_unix_ms(1'700'000'000'123);
    value.updated_at = value.created_at;
    return value;
  }

  core::Integration stored_integration(const std::string& user = "alice",
                                       const std::string& account = "acct-1") {
    auto stored = store_->upsert_integration(integration(user, "google", account));
    EXPECT_TRUE(stored) << stored.error().message;
    return *stored;
  }

  core::TokenRecord tokens_for(const std::string& integration_id, const std::string& access) {
    core::TokenRecord tokens;
    tokens.integration_id = integration_id;
    tokens.access_token_ciphertext = access;
    tokens.refresh_token_ciphertext = std::string("refresh\0\xff\x01", 10);
    tokens.token_type = "Bearer";
    tokens.expires_at = from_unix_ms(1'700'000'360'000);
    tokens.key_id = "k1";
    tokens.updated_at = from_unix_ms(1'700'000'000'000);
    return tokens;
  }

  core::AuthState state(const std::string& hash, std::int64_t expires_ms = 1'700'000'600'000) {
    core::AuthState value;
    value.state_hash = hash;
    value.user_id = "alice";
    value.provider = "google";
    value.pkce_verifier_ciphertext = std::string("\x00verifier\x80", 10);
    value.nonce = "nonce-1";
    value.requested_scopes = {"openid", "https://www.googleapis.com/auth/calendar"};
    value.return_to = "https://app.example.com/done";
    value.created_at = from_unix_ms(1'700'000'000'000);
    value.expires_at = from_unix_ms(expires_ms);
    return value;
  }

  core::AuditEvent audit(const std::string& event, const std::string& user,
                         std::int64_t at_ms = 1'700'000'000'000) {
    core::AuditEvent value;
    value.id = core::new_id(random_);
    value.occurred_at = from_unix_ms(at_ms);
    value.actor = "service:test";
    value.event = event;
    value.user_id = user;
    value.outcome = "success";
    value.request_id = "req-1";
    value.ip = "127.0.0.1";
    value.details = R"({"provider":"google"})";
    return value;
  }

  Backend backend_;
  std::unique_ptr<store::Store> store_;
  crypto::OpenSslRandom random_;
};

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::string(T::kName);
  }
};

}  // namespace oauth_manager::testing
