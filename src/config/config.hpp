#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/roles.hpp"
#include "crypto/key_material.hpp"
#include "crypto/secret_bytes.hpp"
#include "log/logger.hpp"
#include "net/http_client.hpp"
#include "providers/provider.hpp"

namespace oauth_manager::config {

struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8000;
  std::string public_url;  // defaults to http://<listen>
  int threads = 0;         // 0 until resolved: the number of cores
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  int read_timeout_seconds = 15;
  int idle_timeout_seconds = 60;
  int shutdown_timeout_seconds = 30;
  int max_connections = 10000;  // open connections; more are answered 503 and closed
  // Where a connect flow may send the browser back to: scheme + host + port + path prefix.
  std::vector<std::string> allowed_return_urls;
};

struct DatabaseConfig {
  std::string url = "sqlite://var/oauth-manager.db";
  int pool_size = 8;
  bool migrate_on_start = true;
};

struct RedisConfig {
  std::optional<std::string> url;
};

struct CryptoConfig {
  std::vector<crypto::DataKey> keys;  // the first is the primary
};

// How callers prove who they are: exactly one key source (HS256 secret, PEM public key, or a
// JWKS URL), the claims required, and optional session revocation through Redis.
struct AuthConfig {
  std::optional<crypto::SecretBytes> hs256_secret;  // from hs256_secret or hs256_secret_file
  std::optional<std::string> public_key_pem;        // contents of public_key_file
  std::optional<std::string> jwks_url;
  bool allow_insecure_loopback = false;  // jwks_url may be http:// on 127.0.0.1 (tests)
  std::optional<std::string> issuer;
  std::string audience;  // required: the aud this service's callers put in their JWTs
  int leeway_seconds = 30;
  std::string roles_claim = "roles";
  // Permissions may also come from the `scope` claim, but only from words with this prefix
  // (e.g. "oauth-manager:" grants tokens:read for "oauth-manager:tokens:read"); unset, scopes
  // grant nothing, so another API's access token cannot name our permissions.
  std::optional<std::string> scope_prefix;
  std::vector<std::string> allowed_types = {"JWT", "at+jwt"};  // an explicit typ must be one
  std::optional<std::string> session_claim;
  std::string session_key_pattern = "session:{sid}";
  bool session_fail_open = false;
  auth::RoleMap roles = auth::default_roles();  // [roles] entries replace or add roles
};

enum class RateLimitStore { memory, redis };

struct RateLimitConfig {
  bool enabled = true;
  int requests_per_second = 20;  // a person's pace: callers without a role below, client IPs
  int burst = 40;
  // [role_rate_limits] role = requests per second (burst twice that). A backend service fetches
  // tokens for many users: it must not be held to one person's pace.
  std::map<std::string, int> role_requests_per_second = {{"service", 1000}, {"admin", 200}};
  RateLimitStore store = RateLimitStore::memory;  // redis by default when [redis] url is set
};

// Outbound connections: https requests tunnel through this proxy when set (from [net]
// https_proxy, else the HTTPS_PROXY / https_proxy environment variable; NO_PROXY likewise).
struct NetConfig {
  std::optional<net::ProxySettings> proxy;
  // Keep-alive connections per provider host and replica (in use and idle): enough for 10,000
  // connects finishing at once against a 200 ms token endpoint in about two seconds.
  int max_connections_per_host = 1024;
  int idle_connection_seconds = 30;  // closed sooner than NATs and load balancers forget them
};

// Optional webhooks: events about integrations, signed with the secret.
struct WebhooksConfig {
  std::optional<std::string> url;
  crypto::SecretBytes secret;  // required with url; never logged; wiped when freed
  bool allow_insecure_loopback = false;
};

// The outbox: revocations at providers and webhooks, retried until delivered or given up.
struct OutboxConfig {
  int give_up_after_seconds = 3 * 24 * 3600;  // three days: a weekend-long outage survives
  int lease_seconds = 60;  // a delivery attempt's hold on a job; a dead replica's lapses after it
  // Retry backoff; no key sets it (the defaults suit providers and receivers), tests scale it.
  std::chrono::milliseconds first_retry{2000};
  std::chrono::milliseconds max_retry{std::chrono::minutes(15)};
};

// The browser side of connect flows.
struct ConnectConfig {
  // When set, a finished flow is held until the application confirms its user there (see
  // docs/security.md): the browser goes to confirm_url?flow=<one-time id>.
  std::optional<std::string> confirm_url;
  int confirm_seconds = 300;   // how long a finished flow waits for its confirmation
  int session_seconds = 1800;  // how long a connect session (the hosted page's grant) lives
};

// A demo OpenID Connect provider inside the service (id "demo"), for trying it on this machine
// with no provider account. Refused unless the service listens on loopback.
struct DemoConfig {
  bool enabled = false;
  std::string client_id = "oauth-manager-demo";
  std::string client_secret;  // made at start-up: the demo provider and its client share it
};

// Token lifecycle settings.
struct TokensConfig {
  int assumed_lifetime_seconds = 3600;  // a token response without expires_in
  bool background_refresh = true;
  int refresh_ahead_seconds = 300;  // the refresher renews tokens expiring this soon
  int background_interval_seconds = 30;
  int background_concurrency = 4;
  int refresh_lease_seconds = 30;  // how long a replica holds an integration's refresh lease
  // Each replica's copies of integrations and their encrypted tokens (the hand-out cache): a
  // write drops them at once on every replica (PostgreSQL NOTIFY), and none is served longer
  // than cache_staleness_ms after it was read, even if that report was lost.
  bool cache = true;
  int cache_max_entries = 100000;
  int cache_staleness_ms = 1000;
};

struct AuditConfig {
  int flush_interval_ms = 200;  // token reads are written in batches this often
  bool coalesce_reads = true;   // one row per caller, integration and minute, with a count
};

struct LogConfig {
  std::string level = "info";
  log::LogFormat format = log::LogFormat::json;
};

// The whole configuration, validated once at start-up and immutable afterwards.
struct Config {
  ServerConfig server;
  DatabaseConfig database;
  RedisConfig redis;
  CryptoConfig crypto;
  AuthConfig auth;
  RateLimitConfig rate_limit;
  std::vector<providers::Provider> providers;  // the enabled ones, from [providers.<id>]
  NetConfig net;
  TokensConfig tokens;
  AuditConfig audit;
  WebhooksConfig webhooks;
  OutboxConfig outbox;
  ConnectConfig connect;
  DemoConfig demo;
  LogConfig log;
};

// One thing wrong with the configuration: which key, and what to do about it.
struct ConfigProblem {
  std::string key;  // "section.key", or the environment variable's name
  std::string message;
};

struct ConfigLoad {
  std::optional<Config> config;  // set only when `problems` is empty
  std::vector<ConfigProblem> problems;
};

using Environment = std::map<std::string, std::string>;

// What is valid but probably not what the operator wants (check-config and serve print these).
std::vector<ConfigProblem> config_warnings(const Config& config);

// Reads the TOML file (when given), applies OAUTH_MANAGER_<SECTION>_<KEY> overrides from `env`,
// and validates everything, collecting every problem rather than stopping at the first.
ConfigLoad load_config(const std::optional<std::filesystem::path>& file, const Environment& env);

// The process environment as a map.
Environment process_environment();

}  // namespace oauth_manager::config
