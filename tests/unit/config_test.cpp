#include "config/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/temp_dir.hpp"

namespace oauth_manager::config {
namespace {

using testing::TempDir;
using testing::write_file;

constexpr const char* kKey = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr const char* kJwtSecret = "a-development-jwt-secret-of-at-least-32-bytes";

// The three settings every valid configuration needs, plus `extra`.
Environment with_required(Environment extra = {}) {
  extra.emplace("OAUTH_MANAGER_CRYPTO_KEYS", kKey);
  extra.emplace("OAUTH_MANAGER_AUTH_HS256_SECRET", kJwtSecret);
  extra.emplace("OAUTH_MANAGER_AUTH_AUDIENCE", "oauth-manager");
  return extra;
}

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

TEST(Config, DefaultsNeedOnlyADataKeyAndAJwtKey) {
  const auto load = load_config(std::nullopt, with_required());
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
  EXPECT_EQ(config.auth.hs256_secret->view(), kJwtSecret);
  EXPECT_EQ(config.auth.leeway_seconds, 30);
  EXPECT_EQ(config.auth.roles_claim, "roles");
  EXPECT_FALSE(config.auth.session_claim);
  EXPECT_TRUE(config.rate_limit.enabled);
  EXPECT_EQ(config.rate_limit.store, RateLimitStore::memory);
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
[auth]
hs256_secret = "a-development-jwt-secret-of-at-least-32-bytes"
issuer = "https://app.example"
audience = "oauth-manager"
leeway_seconds = 5
[rate_limit]
burst = 3
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
  EXPECT_EQ(config.log.format, log::LogFormat::text);
  EXPECT_EQ(config.auth.issuer, "https://app.example");
  EXPECT_EQ(config.auth.audience, "oauth-manager");
  EXPECT_EQ(config.auth.leeway_seconds, 5);
  EXPECT_EQ(config.rate_limit.burst, 3);
  EXPECT_EQ(config.rate_limit.store, RateLimitStore::redis);  // [redis] url is set
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
  const auto load =
      load_config(dir / "c.toml", with_required({{"OAUTH_MANAGER_DATABASE_URLL", "x"}}));
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

TEST(Config, ARedirectUriDerivedFromAnEphemeralPortSaysToSetThePublicUrl) {
  const auto load = load_config(
      std::nullopt, with_required({{"OAUTH_MANAGER_SERVER_LISTEN", "127.0.0.1:0"},
                                   {"OAUTH_MANAGER_PROVIDERS_GOOGLE_CLIENT_ID", "id"},
                                   {"OAUTH_MANAGER_PROVIDERS_GOOGLE_CLIENT_SECRET", "s"}}));
  ASSERT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "providers.google.redirect_uri", "set server.public_url"))
      << describe(load);
}

TEST(Config, TokenLeaseAndAuditBatchingSettingsAreRead) {
  const auto defaults = load_config(std::nullopt, with_required());
  ASSERT_TRUE(defaults.config) << describe(defaults);
  EXPECT_EQ(defaults.config->tokens.refresh_lease_seconds, 30);
  EXPECT_EQ(defaults.config->audit.flush_interval_ms, 200);
  EXPECT_TRUE(defaults.config->audit.coalesce_reads);

  const auto set =
      load_config(std::nullopt, with_required({{"OAUTH_MANAGER_TOKENS_REFRESH_LEASE_SECONDS", "45"},
                                               {"OAUTH_MANAGER_AUDIT_FLUSH_INTERVAL_MS", "50"},
                                               {"OAUTH_MANAGER_AUDIT_COALESCE_READS", "false"}}));
  ASSERT_TRUE(set.config) << describe(set);
  EXPECT_EQ(set.config->tokens.refresh_lease_seconds, 45);
  EXPECT_EQ(set.config->audit.flush_interval_ms, 50);
  EXPECT_FALSE(set.config->audit.coalesce_reads);

  // A lease shorter than the provider timeout could lapse in the middle of a refresh.
  const auto short_lease = load_config(
      std::nullopt, with_required({{"OAUTH_MANAGER_TOKENS_REFRESH_LEASE_SECONDS", "5"}}));
  EXPECT_TRUE(has_problem(short_lease, "tokens.refresh_lease_seconds", "15"))
      << describe(short_lease);
}

TEST(Config, TheHandoutCacheIsOnByDefaultWithAOneSecondBound) {
  const auto defaults = load_config(std::nullopt, with_required());
  ASSERT_TRUE(defaults.config) << describe(defaults);
  EXPECT_TRUE(defaults.config->tokens.cache);
  EXPECT_EQ(defaults.config->tokens.cache_staleness_ms, 1000);
  EXPECT_EQ(defaults.config->tokens.cache_max_entries, 100000);

  const auto off =
      load_config(std::nullopt, with_required({{"OAUTH_MANAGER_TOKENS_CACHE", "false"}}));
  ASSERT_TRUE(off.config) << describe(off);
  EXPECT_FALSE(off.config->tokens.cache);

  // A lost change notice would be served for as long as this: more than a minute is refused.
  const auto too_stale = load_config(
      std::nullopt, with_required({{"OAUTH_MANAGER_TOKENS_CACHE_STALENESS_MS", "600000"}}));
  EXPECT_TRUE(has_problem(too_stale, "tokens.cache_staleness_ms", "60000")) << describe(too_stale);
}

TEST(Config, OutboundConnectionsAreKeptAliveWithinBounds) {
  const auto defaults = load_config(std::nullopt, with_required());
  ASSERT_TRUE(defaults.config) << describe(defaults);
  EXPECT_EQ(defaults.config->net.max_connections_per_host, 1024);
  EXPECT_EQ(defaults.config->net.idle_connection_seconds, 30);

  const auto set = load_config(std::nullopt,
                               with_required({{"OAUTH_MANAGER_NET_MAX_CONNECTIONS_PER_HOST", "16"},
                                              {"OAUTH_MANAGER_NET_IDLE_CONNECTION_SECONDS", "5"}}));
  ASSERT_TRUE(set.config) << describe(set);
  EXPECT_EQ(set.config->net.max_connections_per_host, 16);
  EXPECT_EQ(set.config->net.idle_connection_seconds, 5);

  // No connection at all would make every provider call wait out its timeout.
  const auto none = load_config(
      std::nullopt, with_required({{"OAUTH_MANAGER_NET_MAX_CONNECTIONS_PER_HOST", "0"}}));
  EXPECT_TRUE(has_problem(none, "net.max_connections_per_host", "1")) << describe(none);
}

TEST(Config, OutboxSettingsHaveDefaultsAndBounds) {
  const auto defaults = load_config(std::nullopt, with_required());
  ASSERT_TRUE(defaults.config) << describe(defaults);
  EXPECT_EQ(defaults.config->outbox.give_up_after_seconds, 3 * 24 * 3600);
  EXPECT_EQ(defaults.config->outbox.lease_seconds, 60);

  const auto set = load_config(
      std::nullopt, with_required({{"OAUTH_MANAGER_OUTBOX_GIVE_UP_AFTER_SECONDS", "3600"},
                                   {"OAUTH_MANAGER_OUTBOX_LEASE_SECONDS", "45"}}));
  ASSERT_TRUE(set.config) << describe(set);
  EXPECT_EQ(set.config->outbox.give_up_after_seconds, 3600);
  EXPECT_EQ(set.config->outbox.lease_seconds, 45);

  // A lease shorter than an outbound call's timeout could lapse in the middle of a delivery.
  const auto short_lease =
      load_config(std::nullopt, with_required({{"OAUTH_MANAGER_OUTBOX_LEASE_SECONDS", "5"}}));
  EXPECT_TRUE(has_problem(short_lease, "outbox.lease_seconds", "30")) << describe(short_lease);
}

TEST(Config, ConfirmUrlIsCheckedAndItsAbsenceWarnedAboutOffLoopback) {
  const auto local = load_config(std::nullopt, with_required());
  ASSERT_TRUE(local.config) << describe(local);
  EXPECT_FALSE(local.config->connect.confirm_url);
  EXPECT_EQ(local.config->connect.confirm_seconds, 300);
  EXPECT_TRUE(config_warnings(*local.config).empty()) << "loopback: a developer's machine";

  const auto exposed = load_config(
      std::nullopt,
      with_required({{"OAUTH_MANAGER_SERVER_PUBLIC_URL", "https://oauth.example.com"}}));
  ASSERT_TRUE(exposed.config) << describe(exposed);
  const auto warnings = config_warnings(*exposed.config);
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_EQ(warnings[0].key, "connect.confirm_url");

  const auto confirmed = load_config(
      std::nullopt,
      with_required({{"OAUTH_MANAGER_SERVER_PUBLIC_URL", "https://oauth.example.com"},
                     {"OAUTH_MANAGER_CONNECT_CONFIRM_URL", "https://app.example.com/oauth/confirm"},
                     {"OAUTH_MANAGER_CONNECT_CONFIRM_SECONDS", "120"}}));
  ASSERT_TRUE(confirmed.config) << describe(confirmed);
  EXPECT_EQ(*confirmed.config->connect.confirm_url, "https://app.example.com/oauth/confirm");
  EXPECT_EQ(confirmed.config->connect.confirm_seconds, 120);
  EXPECT_TRUE(config_warnings(*confirmed.config).empty());

  const auto bad =
      load_config(std::nullopt,
                  with_required({{"OAUTH_MANAGER_CONNECT_CONFIRM_URL", "http://app.example.com/c"},
                                 {"OAUTH_MANAGER_CONNECT_CONFIRM_SECONDS", "5"}}));
  EXPECT_TRUE(has_problem(bad, "connect.confirm_url", "https://")) << describe(bad);
  EXPECT_TRUE(has_problem(bad, "connect.confirm_seconds", "between 30 and 3600")) << describe(bad);
}

TEST(Config, TheDemoProviderRunsOnlyOnLoopback) {
  const auto local =
      load_config(std::nullopt, with_required({{"OAUTH_MANAGER_DEMO_ENABLED", "true"}}));
  ASSERT_TRUE(local.config) << describe(local);
  ASSERT_EQ(local.config->providers.size(), 1U);
  const auto& demo = local.config->providers[0];
  EXPECT_EQ(demo.spec.id, "demo");
  EXPECT_EQ(demo.client_secret, local.config->demo.client_secret);
  EXPECT_GE(local.config->demo.client_secret.size(), 43U) << "made fresh, 256 bits";

  const auto exposed =
      load_config(std::nullopt, with_required({{"OAUTH_MANAGER_DEMO_ENABLED", "true"},
                                               {"OAUTH_MANAGER_SERVER_LISTEN", "0.0.0.0:8000"}}));
  EXPECT_TRUE(has_problem(exposed, "demo.enabled", "loopback")) << describe(exposed);
  const auto public_elsewhere = load_config(
      std::nullopt,
      with_required({{"OAUTH_MANAGER_DEMO_ENABLED", "true"},
                     {"OAUTH_MANAGER_SERVER_PUBLIC_URL", "https://oauth.example.com"}}));
  EXPECT_TRUE(has_problem(public_elsewhere, "demo.enabled", "loopback"))
      << describe(public_elsewhere);
}

TEST(Config, KeysFileIsReadAndItsFirstKeyIsPrimary) {
  TempDir dir;
  write_file(dir / "data.keys", "# comment\nk2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n" +
                                    std::string(kKey) + "\n");
  const auto load =
      load_config(std::nullopt, {{"OAUTH_MANAGER_CRYPTO_KEYS_FILE", (dir / "data.keys").string()},
                                 {"OAUTH_MANAGER_AUTH_HS256_SECRET", kJwtSecret},
                                 {"OAUTH_MANAGER_AUTH_AUDIENCE", "oauth-manager"}});
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

TEST(Config, MissingJwtKeyExplainsHowToCreateOne) {
  const auto load = load_config(std::nullopt, {{"OAUTH_MANAGER_CRYPTO_KEYS", kKey}});
  ASSERT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "auth.hs256_secret_file", "head -c 48 /dev/urandom"))
      << describe(load);
}

TEST(Config, TwoJwtKeySourcesAreAmbiguous) {
  const auto load = load_config(
      std::nullopt, with_required({{"OAUTH_MANAGER_AUTH_JWKS_URL", "https://app.example/jwks"}}));
  ASSERT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "auth.hs256_secret", "exactly one")) << describe(load);
}

TEST(Config, ShortJwtSecretIsRefusedWithoutEchoingIt) {
  const auto load = load_config(std::nullopt, {{"OAUTH_MANAGER_CRYPTO_KEYS", kKey},
                                               {"OAUTH_MANAGER_AUTH_HS256_SECRET", "tiny-secret"}});
  ASSERT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "auth.hs256_secret", "32 bytes")) << describe(load);
  EXPECT_EQ(describe(load).find("tiny-secret"), std::string::npos);
}

TEST(Config, JwtSecretFileIsReadWithoutItsNewline) {
  TempDir dir;
  write_file(dir / "jwt.secret", std::string(kJwtSecret) + "\n");
  const auto load = load_config(
      std::nullopt, {{"OAUTH_MANAGER_CRYPTO_KEYS", kKey},
                     {"OAUTH_MANAGER_AUTH_HS256_SECRET_FILE", (dir / "jwt.secret").string()},
                     {"OAUTH_MANAGER_AUTH_AUDIENCE", "oauth-manager"}});
  ASSERT_TRUE(load.config) << describe(load);
  EXPECT_EQ(load.config->auth.hs256_secret->view(), kJwtSecret);
}

TEST(Config, PlainHttpJwksNeedsTheLoopbackOptIn) {
  const Environment base = {{"OAUTH_MANAGER_CRYPTO_KEYS", kKey},
                            {"OAUTH_MANAGER_AUTH_JWKS_URL", "http://127.0.0.1:9/jwks"},
                            {"OAUTH_MANAGER_AUTH_AUDIENCE", "oauth-manager"}};
  const auto refused = load_config(std::nullopt, base);
  EXPECT_TRUE(has_problem(refused, "auth.jwks_url", "https://")) << describe(refused);
  auto opted_in = base;
  opted_in.emplace("OAUTH_MANAGER_AUTH_ALLOW_INSECURE_LOOPBACK", "true");
  const auto load = load_config(std::nullopt, opted_in);
  ASSERT_TRUE(load.config) << describe(load);
  EXPECT_EQ(load.config->auth.jwks_url, "http://127.0.0.1:9/jwks");
}

TEST(Config, SessionRevocationNeedsRedis) {
  const auto without =
      load_config(std::nullopt, with_required({{"OAUTH_MANAGER_AUTH_SESSION_CLAIM", "sid"}}));
  EXPECT_TRUE(has_problem(without, "auth.session_claim", "[redis] url")) << describe(without);
  const auto with =
      load_config(std::nullopt, with_required({{"OAUTH_MANAGER_AUTH_SESSION_CLAIM", "sid"},
                                               {"OAUTH_MANAGER_REDIS_URL", "redis://127.0.0.1:1"},
                                               {"OAUTH_MANAGER_AUTH_SESSION_FAILURE", "open"}}));
  ASSERT_TRUE(with.config) << describe(with);
  EXPECT_EQ(with.config->auth.session_claim, "sid");
  EXPECT_TRUE(with.config->auth.session_fail_open);
  EXPECT_EQ(with.config->rate_limit.store, RateLimitStore::redis);
}

TEST(Config, RolesCanBeReplacedAndAdded) {
  TempDir dir;
  write_file(dir / "c.toml", R"(
[roles]
user = ["integrations:read"]
auditor = ["audit:read", "users:any"]
)");
  const auto load =
      load_config(dir / "c.toml", with_required({{"OAUTH_MANAGER_ROLES_OPERATOR", "admin"}}));
  ASSERT_TRUE(load.config) << describe(load);
  const auto& roles = load.config->auth.roles;
  EXPECT_EQ(roles.at("user"), std::set<core::Permission>{core::Permission::integrations_read});
  EXPECT_EQ(roles.at("auditor"), (std::set<core::Permission>{core::Permission::audit_read,
                                                             core::Permission::users_any}));
  EXPECT_EQ(roles.at("operator"), std::set<core::Permission>{core::Permission::admin});
  EXPECT_EQ(roles.at("service").count(core::Permission::tokens_read), 1U);  // default kept
}

TEST(Config, UnknownPermissionIsReportedWithASuggestion) {
  TempDir dir;
  write_file(dir / "c.toml", "[roles]\nreader = [\"integration:read\"]\n");
  const auto load = load_config(dir / "c.toml", with_required());
  ASSERT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "roles.reader", "did you mean \"integrations:read\""))
      << describe(load);
}

TEST(Config, RedisRateLimitStoreNeedsRedis) {
  const auto load =
      load_config(std::nullopt, with_required({{"OAUTH_MANAGER_RATE_LIMIT_STORE", "redis"}}));
  ASSERT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "rate_limit.store", "[redis] url")) << describe(load);
}

// Without an audience, any JWT signed by the same key (another API's access token) would pass.
TEST(Config, AnAudienceIsRequiredAndExplained) {
  const auto load = load_config(std::nullopt, {{"OAUTH_MANAGER_CRYPTO_KEYS", kKey},
                                               {"OAUTH_MANAGER_AUTH_HS256_SECRET", kJwtSecret}});
  EXPECT_FALSE(load.config);
  EXPECT_TRUE(has_problem(load, "auth.audience", "another API")) << describe(load);
}

TEST(Config, LeewayIsAtMostFiveMinutesAndTypesAndScopePrefixAreRead) {
  const auto too_lax =
      load_config(std::nullopt, with_required({{"OAUTH_MANAGER_AUTH_LEEWAY_SECONDS", "301"}}));
  EXPECT_TRUE(has_problem(too_lax, "auth.leeway_seconds", "300")) << describe(too_lax);
  const auto load = load_config(std::nullopt, with_required({
                                                  {"OAUTH_MANAGER_AUTH_SCOPE_PREFIX", "oam:"},
                                                  {"OAUTH_MANAGER_AUTH_ALLOWED_TYPES", "at+jwt"},
                                              }));
  ASSERT_TRUE(load.config) << describe(load);
  EXPECT_EQ(load.config->auth.scope_prefix, "oam:");
  EXPECT_EQ(load.config->auth.allowed_types, std::vector<std::string>{"at+jwt"});
  EXPECT_EQ(load.config->auth.audience, "oauth-manager");
}

// The browser brings authorization codes to public_url: plain http only on loopback.
TEST(Config, PlainHttpPublicUrlAndRedirectUriOnlyOnLoopback) {
  const auto remote =
      load_config(std::nullopt,
                  with_required({{"OAUTH_MANAGER_SERVER_PUBLIC_URL", "http://oauth.example.com"}}));
  EXPECT_TRUE(has_problem(remote, "server.public_url", "loopback")) << describe(remote);
  const auto local = load_config(
      std::nullopt, with_required({{"OAUTH_MANAGER_SERVER_PUBLIC_URL", "http://127.0.0.1:8000"}}));
  EXPECT_TRUE(local.config) << describe(local);
  const auto redirect = load_config(
      std::nullopt, with_required({{"OAUTH_MANAGER_SERVER_PUBLIC_URL", "https://oauth.example.com"},
                                   {"OAUTH_MANAGER_PROVIDERS_GOOGLE_CLIENT_ID", "id"},
                                   {"OAUTH_MANAGER_PROVIDERS_GOOGLE_CLIENT_SECRET", "secret"},
                                   {"OAUTH_MANAGER_PROVIDERS_GOOGLE_REDIRECT_URI",
                                    "http://oauth.example.com/cb"}}));
  EXPECT_TRUE(has_problem(redirect, "providers.google.redirect_uri", "https"))
      << describe(redirect);
  const auto derived = load_config(
      std::nullopt, with_required({{"OAUTH_MANAGER_SERVER_LISTEN", "0.0.0.0:8000"},
                                   {"OAUTH_MANAGER_PROVIDERS_GOOGLE_CLIENT_ID", "id"},
                                   {"OAUTH_MANAGER_PROVIDERS_GOOGLE_CLIENT_SECRET", "secret"}}));
  EXPECT_TRUE(has_problem(derived, "providers.google.redirect_uri", "server.public_url"))
      << describe(derived);
}

TEST(Config, AWebhookSecretHasAtLeast32Bytes) {
  const Environment webhooks = {{"OAUTH_MANAGER_WEBHOOKS_URL", "https://app.example.com/hooks"},
                                {"OAUTH_MANAGER_WEBHOOKS_SECRET", std::string(31, 'w')}};
  const auto short_secret = load_config(std::nullopt, with_required(webhooks));
  EXPECT_TRUE(has_problem(short_secret, "webhooks.secret", "32 bytes")) << describe(short_secret);
  auto long_enough = webhooks;
  long_enough["OAUTH_MANAGER_WEBHOOKS_SECRET"] = std::string(32, 'w');
  EXPECT_TRUE(load_config(std::nullopt, with_required(long_enough)).config);
}

}  // namespace
}  // namespace oauth_manager::config
