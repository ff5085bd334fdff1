#include "config/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/temp_dir.hpp"

namespace oauth_manager::config {
namespace {

using testing::TempDir;
using testing::write_file;

constexpr const char* kKey = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

bool has_problem(const ConfigLoad& load, const std::string& key, const std::string& fragment) {
  return std::any_of(load.problems.begin(), load.problems.end(), [&](const ConfigProblem& p) {
    return p.key == key && p.message.find(fragment) != std::string::npos;
  });
}

std::string describe(const ConfigLoad& load) {
  std::string text;
  for (const auto& problem : load.problems) text += problem.key + ": " + problem.message + "\n";
  return text;
}

TEST(Config, DefaultsNeedOnlyAKey) {
  const auto load = load_config(std::nullopt, {{"OAUTH_MANAGER_CRYPTO_KEYS", kKey}});
  ASSERT_TRUE(load.config) << describe(load);
  const auto& config = *load.config;
  EXPECT_EQ(config.server.listen_host, "127.0.0.1");
  EXPECT_EQ(config.server.listen_port, 8000);
  EXPECT_EQ(config.server.public_url, "http://127.0.0.1:8000");
  EXPECT_GE(config.server.threads, 1);
  EXPECT_EQ(config.database.url, "sqlite://var/oauth-manager.db");
  EXPECT_TRUE(config.database.migrate_on_start);
  EXPECT_FALSE(config.redis.url);
  ASSERT_EQ(config.crypto.keys.size(), 1U);
  EXPECT_EQ(config.crypto.keys[0].id, "k1");
  EXPECT_EQ(config.crypto.keys[0].secret.size(), 32U);
}

TEST(Config, MissingKeyExplainsHowToCreateOne) {
  const auto load = load_config(std::nullopt, {});
  ASSERT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "crypto.keys", "oauth-manager gen-key")) << describe(load);
}

TEST(Config, ReadsTheFileAndEnvironmentOverridesIt) {
  TempDir dir;
  write_file(dir / "c.toml", R"(
[server]
listen = "[::1]:9000"
public_url = "https://oauth.example.com/"
threads = 3
[database]
url = "postgresql://u@db:5432/oauth"
pool_size = 4
migrate_on_start = false
[redis]
url = "redis://127.0.0.1:6379"
[crypto]
keys = ["k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="]
[log]
level = "debug"
format = "text"
)");
  const auto load =
      load_config(dir / "c.toml", {{"OAUTH_MANAGER_SERVER_THREADS", "7"},
                                   {"OAUTH_MANAGER_DATABASE_MIGRATE_ON_START", "true"},
                                   {"OAUTH_MANAGER_CONFIG", "ignored"},
                                   {"UNRELATED", "x"}});
  ASSERT_TRUE(load.config) << describe(load);
  const auto& config = *load.config;
  EXPECT_EQ(config.server.listen_host, "::1");
  EXPECT_EQ(config.server.listen_port, 9000);
  EXPECT_EQ(config.server.public_url, "https://oauth.example.com");
  EXPECT_EQ(config.server.threads, 7);
  EXPECT_EQ(config.database.url, "postgresql://u@db:5432/oauth");
  EXPECT_EQ(config.database.pool_size, 4);
  EXPECT_TRUE(config.database.migrate_on_start);
  EXPECT_EQ(config.redis.url, "redis://127.0.0.1:6379");
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.log.format, LogFormat::text);
}

TEST(Config, ReportsEveryProblemAtOnceWithSuggestions) {
  TempDir dir;
  write_file(dir / "c.toml", R"(
[server]
listn = "127.0.0.1:8000"
threads = "four"
[databse]
url = "sqlite://x.db"
[database]
url = "mysql://nope"
pool_size = 0
[log]
level = "verbose"
)");
  const auto load = load_config(
      dir / "c.toml", {{"OAUTH_MANAGER_DATABASE_URLL", "x"}, {"OAUTH_MANAGER_CRYPTO_KEYS", kKey}});
  ASSERT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "server.listn", "did you mean \"server.listen\""))
      << describe(load);
  EXPECT_TRUE(has_problem(load, "server.threads", "must be an integer")) << describe(load);
  EXPECT_TRUE(has_problem(load, "databse.url", "did you mean \"database.url\"")) << describe(load);
  EXPECT_TRUE(has_problem(load, "database.url", "sqlite://")) << describe(load);
  EXPECT_TRUE(has_problem(load, "database.pool_size", "between 1 and 256")) << describe(load);
  EXPECT_TRUE(has_problem(load, "log.level", "trace, debug, info")) << describe(load);
  EXPECT_TRUE(has_problem(load, "OAUTH_MANAGER_DATABASE_URLL",
                          "did you mean \"OAUTH_MANAGER_DATABASE_URL\""))
      << describe(load);
  EXPECT_EQ(load.problems.size(), 7U) << describe(load);
}

TEST(Config, InvalidTomlNamesTheLine) {
  TempDir dir;
  write_file(dir / "c.toml", "[server]\nlisten = \"unterminated\n");
  const auto load = load_config(dir / "c.toml", {{"OAUTH_MANAGER_CRYPTO_KEYS", kKey}});
  ASSERT_FALSE(load.config);
  ASSERT_FALSE(load.problems.empty());
  EXPECT_NE(load.problems[0].message.find("line 2"), std::string::npos) << describe(load);
}

TEST(Config, MissingFileIsReported) {
  TempDir dir;
  const auto load = load_config(dir / "absent.toml", {});
  ASSERT_FALSE(load.config);
  EXPECT_NE(load.problems[0].message.find("does not exist"), std::string::npos);
}

TEST(Config, BadListenAndPublicUrlAreReported) {
  const auto load = load_config(std::nullopt, {{"OAUTH_MANAGER_SERVER_LISTEN", "localhost"},
                                               {"OAUTH_MANAGER_SERVER_PUBLIC_URL", "ftp://x?y"},
                                               {"OAUTH_MANAGER_CRYPTO_KEYS", kKey}});
  ASSERT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "server.listen", "host:port")) << describe(load);
  EXPECT_TRUE(has_problem(load, "server.public_url", "https://")) << describe(load);
}

TEST(Config, KeysFileIsReadAndItsFirstKeyIsPrimary) {
  TempDir dir;
  write_file(dir / "data.keys", "# comment\nk2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n" +
                                    std::string(kKey) + "\n");
  const auto load =
      load_config(std::nullopt, {{"OAUTH_MANAGER_CRYPTO_KEYS_FILE", (dir / "data.keys").string()}});
  ASSERT_TRUE(load.config) << describe(load);
  ASSERT_EQ(load.config->crypto.keys.size(), 2U);
  EXPECT_EQ(load.config->crypto.keys[0].id, "k2");
}

TEST(Config, WorldReadableKeysFileIsRefused) {
  TempDir dir;
  write_file(dir / "data.keys", std::string(kKey) + "\n",
             std::filesystem::perms::owner_read | std::filesystem::perms::others_read);
  const auto load =
      load_config(std::nullopt, {{"OAUTH_MANAGER_CRYPTO_KEYS_FILE", (dir / "data.keys").string()}});
  ASSERT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "crypto.keys_file", "chmod 600")) << describe(load);
}

TEST(Config, BadKeyMaterialIsReportedWithoutEchoingIt) {
  const std::string short_secret = "k1:c2hvcnQtc2VjcmV0";  // "short-secret"
  const auto load = load_config(std::nullopt, {{"OAUTH_MANAGER_CRYPTO_KEYS", short_secret}});
  ASSERT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "crypto.keys[0]", "exactly 32 bytes")) << describe(load);
  EXPECT_EQ(describe(load).find("c2hvcnQtc2VjcmV0"), std::string::npos);
}

TEST(Config, KeysAndKeysFileTogetherAreAmbiguous) {
  const auto load = load_config(std::nullopt, {{"OAUTH_MANAGER_CRYPTO_KEYS", kKey},
                                               {"OAUTH_MANAGER_CRYPTO_KEYS_FILE", "/x"}});
  ASSERT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "crypto.keys", "not both")) << describe(load);
}

}  // namespace
}  // namespace oauth_manager::config
