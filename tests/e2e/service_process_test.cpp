// The oauth-manager binary as a user runs it: command line, configuration errors, serving,
// readiness and graceful shutdown.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>
#include <vector>

#include "support/api_harness.hpp"
#include "support/child_process.hpp"
#include "support/raw_http.hpp"
#include "support/running_service.hpp"
#include "support/temp_dir.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::run_command;
using testing::TempDir;

const std::string kBinary = OAUTH_MANAGER_BINARY;
constexpr const char* kKey = testing::kHarnessDataKey;
constexpr const char* kJwtSecret = "an-e2e-test-jwt-secret-of-at-least-32-bytes";

using testing::RunningService;

std::string get(std::uint16_t port, const std::string& path) {
  return testing::http_exchange(
      port, "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

TEST(Cli, HelpListsEverySubcommand) {
  const auto help = run_command({kBinary, "--help"});
  EXPECT_EQ(help.status, 0);
  for (const auto* command :
       {"serve", "migrate", "check-config", "gen-key", "mint-token", "rotate-keys", "version"}) {
    EXPECT_NE(help.out.find(command), std::string::npos) << command;
    const auto sub = run_command({kBinary, command, "--help"});
    EXPECT_EQ(sub.status, 0) << command;
    EXPECT_NE(sub.out.find("Usage"), std::string::npos) << command;
  }
}

TEST(Cli, UnknownSubcommandFails) {
  const auto result = run_command({kBinary, "frobnicate"});
  EXPECT_NE(result.status, 0);
}

TEST(Cli, VersionPrintsTheVersion) {
  const auto result = run_command({kBinary, "version"});
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.out.rfind("oauth-manager ", 0), 0U);
}

TEST(Cli, CheckConfigListsEveryProblemWithItsFix) {
  TempDir dir;
  testing::write_file(dir / "bad.toml",
                      "[server]\nlisen = \"x\"\n[database]\nurl = \"mysql://\"\n");
  const auto result =
      run_command({kBinary, "check-config", "--config", (dir / "bad.toml").string()});
  EXPECT_EQ(result.status, 2);
  EXPECT_NE(result.err.find("5 problems"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("auth.hs256_secret_file"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("auth.audience"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("did you mean \"server.listen\""), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("database.url"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("gen-key"), std::string::npos) << result.err;
}

TEST(Cli, CheckConfigAcceptsAValidConfigurationFromTheEnvironment) {
  const auto result =
      run_command({kBinary, "check-config"}, {{"OAUTH_MANAGER_CRYPTO_KEYS", kKey},
                                              {"OAUTH_MANAGER_AUTH_HS256_SECRET", kJwtSecret},
                                              {"OAUTH_MANAGER_AUTH_AUDIENCE", "oauth-manager"}});
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("configuration is valid"), std::string::npos);
  EXPECT_EQ(result.out.find("AAECAwQF"), std::string::npos) << "key material must not be printed";
}

TEST(Cli, ServeRefusesAnInvalidConfiguration) {
  const auto result = run_command({kBinary, "serve"}, {{"OAUTH_MANAGER_SERVER_THREADS", "0"}});
  EXPECT_EQ(result.status, 2);
  EXPECT_NE(result.err.find("server.threads"), std::string::npos) << result.err;
}

TEST(Cli, GenKeyWritesAPrivateFileAndNeverOverwrites) {
  TempDir dir;
  const auto file = (dir / "data.keys").string();
  const auto first = run_command({kBinary, "gen-key", "--out", file, "--kid", "main"});
  ASSERT_EQ(first.status, 0) << first.err;
  const auto perms = std::filesystem::status(file).permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const auto contents = testing::read_file(file);
  EXPECT_NE(contents.find("main:"), std::string::npos);
  const auto second = run_command({kBinary, "gen-key", "--out", file});
  EXPECT_NE(second.status, 0);
  EXPECT_EQ(testing::read_file(file), contents);
  // And the file is usable as configured key material.
  const auto check =
      run_command({kBinary, "check-config"}, {{"OAUTH_MANAGER_CRYPTO_KEYS_FILE", file},
                                              {"OAUTH_MANAGER_AUTH_HS256_SECRET", kJwtSecret},
                                              {"OAUTH_MANAGER_AUTH_AUDIENCE", "oauth-manager"}});
  EXPECT_EQ(check.status, 0) << check.err;
}

TEST(Cli, MigrateIsIdempotent) {
  TempDir dir;
  const std::map<std::string, std::string> env = {
      {"OAUTH_MANAGER_CRYPTO_KEYS", kKey},
      {"OAUTH_MANAGER_AUTH_HS256_SECRET", kJwtSecret},
      {"OAUTH_MANAGER_AUTH_AUDIENCE", "oauth-manager"},
      {"OAUTH_MANAGER_DATABASE_URL", "sqlite://" + (dir / "db" / "m.db").string()}};
  const auto first = run_command({kBinary, "migrate"}, env);
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_NE(first.out.find("applied 0001_initial_schema"), std::string::npos) << first.out;
  const auto second = run_command({kBinary, "migrate"}, env);
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_NE(second.out.find("(0 applied now)"), std::string::npos) << second.out;
}

TEST(Service, ServesHealthAndReadinessOnSqliteAndStopsCleanlyOnSigterm) {
  TempDir dir;
  RunningService service(kBinary, dir, {{"OAUTH_MANAGER_DATABASE_URL", "sqlite://var/test.db"}});
  ASSERT_NE(service.port(), 0) << service.process().stderr_text();
  const auto health = get(service.port(), "/healthz");
  EXPECT_EQ(testing::status_of(health), 200);
  EXPECT_EQ(nlohmann::json::parse(testing::body_of(health))["status"], "ok");
  EXPECT_EQ(testing::status_of(get(service.port(), "/readyz")), 200);
  ASSERT_TRUE(std::filesystem::exists(dir / "var" / "test.db"));
  EXPECT_EQ(std::filesystem::status(dir / "var" / "test.db").permissions() &
                (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none)
      << "the database file must be private to the service's user";

  service.process().send_signal(SIGTERM);
  EXPECT_EQ(service.process().wait_for_exit(10s), 0);
  const auto log = service.process().stderr_text();
  EXPECT_NE(log.find("\"event\":\"server.stopped\""), std::string::npos) << log;
}

TEST(Service, AMintedDevelopmentTokenCallsTheApiAndItsAuditShowsIt) {
  TempDir dir;
  const std::map<std::string, std::string> env = {
      {"OAUTH_MANAGER_CRYPTO_KEYS", kKey},
      {"OAUTH_MANAGER_AUTH_HS256_SECRET", kJwtSecret},
      {"OAUTH_MANAGER_AUTH_AUDIENCE", "oauth-manager"},
      {"OAUTH_MANAGER_DATABASE_URL", "sqlite://var/test.db"}};
  RunningService service(kBinary, dir, env);
  ASSERT_NE(service.port(), 0) << service.process().stderr_text();
  const auto minted = run_command({kBinary, "mint-token", "--sub", "alice"}, env, dir.path());
  ASSERT_EQ(minted.status, 0) << minted.err;
  const auto token = minted.out.substr(0, minted.out.find('\n'));
  const auto authorized = [&](const std::string& path, const std::string& bearer) {
    return testing::http_exchange(service.port(), "GET " + path +
                                                      " HTTP/1.1\r\nHost: t\r\nAuthorization: "
                                                      "Bearer " +
                                                      bearer + "\r\nConnection: close\r\n\r\n");
  };
  const auto listed = authorized("/v1/integrations", token);
  ASSERT_EQ(testing::status_of(listed), 200) << listed;
  EXPECT_EQ(nlohmann::json::parse(testing::body_of(listed))["integrations"],
            nlohmann::json::array());
  EXPECT_EQ(testing::status_of(authorized("/v1/audit", token)), 403);  // a user role

  const auto admin =
      run_command({kBinary, "mint-token", "--sub", "ops", "--role", "admin"}, env, dir.path());
  const auto audit = authorized("/v1/audit", admin.out.substr(0, admin.out.find('\n')));
  ASSERT_EQ(testing::status_of(audit), 200) << audit;
  const auto events = nlohmann::json::parse(testing::body_of(audit))["events"];
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0]["actor"], "sub:alice");
  EXPECT_EQ(events[0]["event"], "integrations.list");
  EXPECT_EQ(events[1]["outcome"], "forbidden");

  service.process().send_signal(SIGTERM);
  ASSERT_EQ(service.process().wait_for_exit(10s), 0);
  EXPECT_EQ(service.process().stderr_text().find(token), std::string::npos);
}

TEST(Service, AccessLogNeverContainsQueryStringsOrHeaderValues) {
  TempDir dir;
  RunningService service(kBinary, dir, {{"OAUTH_MANAGER_DATABASE_URL", "sqlite://var/test.db"}});
  ASSERT_NE(service.port(), 0);
  testing::http_exchange(service.port(),
                         "GET /healthz?code=SECRET-CODE&state=SECRET-STATE HTTP/1.1\r\nHost: t\r\n"
                         "Authorization: Bearer SECRET-TOKEN\r\nConnection: close\r\n\r\n");
  service.process().send_signal(SIGTERM);
  ASSERT_EQ(service.process().wait_for_exit(10s), 0);
  const auto log = service.process().stderr_text();
  EXPECT_NE(log.find("\"path\":\"/healthz\""), std::string::npos) << log;
  EXPECT_EQ(log.find("SECRET"), std::string::npos) << log;
}

TEST(Service, ReadinessFailsWhileTheDatabaseIsUnreachable) {
  TempDir dir;
  // A PostgreSQL URL on a port nobody listens on; no migration at start so serve comes up.
  RunningService service(
      kBinary, dir,
      {{"OAUTH_MANAGER_DATABASE_URL", "postgresql://nobody:hunter2@127.0.0.1:1/none"},
       {"OAUTH_MANAGER_DATABASE_MIGRATE_ON_START", "false"}});
  ASSERT_NE(service.port(), 0) << service.process().stderr_text();
  EXPECT_EQ(testing::status_of(get(service.port(), "/healthz")), 200);
  const auto ready = get(service.port(), "/readyz");
  EXPECT_EQ(testing::status_of(ready), 503);
  EXPECT_EQ(nlohmann::json::parse(testing::body_of(ready))["code"], "unavailable");
  service.process().send_signal(SIGTERM);
  ASSERT_EQ(service.process().wait_for_exit(10s), 0);
  EXPECT_EQ(service.process().stderr_text().find("hunter2"), std::string::npos)
      << "the database password must never reach the log";
}

TEST(Service, ServesOnPostgresql) {
  OAM_REQUIRE_POSTGRES(server);
  testing::PostgresSchema schema(*server);
  TempDir dir;
  RunningService service(kBinary, dir, {{"OAUTH_MANAGER_DATABASE_URL", schema.url()}});
  ASSERT_NE(service.port(), 0) << service.process().stderr_text();
  EXPECT_EQ(testing::status_of(get(service.port(), "/readyz")), 200);
  service.process().send_signal(SIGTERM);
  EXPECT_EQ(service.process().wait_for_exit(10s), 0);
  EXPECT_NE(service.process().stderr_text().find("\"backend\":\"postgres\""), std::string::npos);
}

// Under a low descriptor limit the service runs out of descriptors while connections still wait
// in its listen backlog, so every accept fails at once (EMFILE). Retrying without a pause would
// spin a core and write thousands of log lines a second; pausing (10 ms doubling to 1 s) writes a
// handful, and the service serves again once connections close.
TEST(Service, RunningOutOfDescriptorsPausesAcceptingAndServesOnceSomeAreFree) {
  constexpr int kDescriptorLimit = 64;
  TempDir dir;
  const std::string limit = "--nofile=" + std::to_string(kDescriptorLimit);
  RunningService service(kBinary, dir, {{"OAUTH_MANAGER_DATABASE_URL", "sqlite://var/test.db"}},
                         {"/usr/bin/prlimit", limit, "--"});
  ASSERT_NE(service.port(), 0) << service.process().stderr_text();
  const auto accept_failures = [&] {
    return occurrences(service.process().stderr_text(), "\"event\":\"http.accept_failed\"");
  };

  // More connections than the limit: the service takes what it can, the rest wait.
  std::vector<std::unique_ptr<testing::RawConnection>> held;
  for (int i = 0; i < kDescriptorLimit; ++i) {
    held.push_back(std::make_unique<testing::RawConnection>(service.port()));
    ASSERT_TRUE(held.back()->connected());
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (accept_failures() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_GT(accept_failures(), 0U) << "the service never ran out of descriptors";
  const auto before = accept_failures();
  std::this_thread::sleep_for(1s);
  EXPECT_LT(accept_failures() - before, 50U) << "accept must pause after a failure, not spin";

  held.clear();
  const auto health = get(service.port(), "/healthz");
  EXPECT_EQ(testing::status_of(health), 200) << health;
  service.process().send_signal(SIGTERM);
  EXPECT_EQ(service.process().wait_for_exit(10s), 0);
}

TEST(Service, AnAddressInUseIsAClearStartupError) {
  TempDir dir;
  RunningService first(kBinary, dir, {{"OAUTH_MANAGER_DATABASE_URL", "sqlite://var/a.db"}});
  ASSERT_NE(first.port(), 0);
  const auto second =
      run_command({kBinary, "serve"},
                  {{"OAUTH_MANAGER_CRYPTO_KEYS", kKey},
                   {"OAUTH_MANAGER_AUTH_HS256_SECRET", kJwtSecret},
                   {"OAUTH_MANAGER_AUTH_AUDIENCE", "oauth-manager"},
                   {"OAUTH_MANAGER_SERVER_LISTEN", "127.0.0.1:" + std::to_string(first.port())},
                   {"OAUTH_MANAGER_DATABASE_URL", "sqlite://" + (dir / "var" / "b.db").string()}});
  EXPECT_EQ(second.status, 1);
  EXPECT_NE(second.err.find("server.listen_failed"), std::string::npos) << second.err;
}

}  // namespace
}  // namespace oauth_manager
