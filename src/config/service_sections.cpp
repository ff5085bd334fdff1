#include "config/config_builder.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>
#include <thread>

#include "crypto/openssl_random.hpp"
#include "crypto/pkce.hpp"
#include "net/redis_client.hpp"
#include "net/url.hpp"
#include "providers/provider.hpp"

namespace oauth_manager::config {
namespace {

bool parse_listen(std::string_view listen, std::string& host, std::uint16_t& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto host_part = listen.substr(0, colon);
  if (host_part.front() == '[') {
    if (host_part.back() != ']') return false;
    host_part = host_part.substr(1, host_part.size() - 2);
  }
  const auto port_part = listen.substr(colon + 1);
  unsigned value = 0;
  const auto [end, error] =
      std::from_chars(port_part.data(), port_part.data() + port_part.size(), value);
  if (error != std::errc{} || end != port_part.data() + port_part.size() || value > 65535) {
    return false;
  }
  host = std::string(host_part);
  port = static_cast<std::uint16_t>(value);
  return !host.empty();
}

}  // namespace

void ConfigBuilder::build_server(ServerConfig& server) {
  if (const auto* listen = raw<std::string>("server", "listen")) {
    if (!parse_listen(*listen, server.listen_host, server.listen_port)) {
      problem("server.listen",
              fmt::format("\"{}\" is not host:port, e.g. \"127.0.0.1:8000\" or \"[::1]:8000\"",
                          *listen));
    }
  }
  const bool ipv6 = server.listen_host.find(':') != std::string::npos;
  server.public_url = fmt::format("http://{}{}{}:{}", ipv6 ? "[" : "", server.listen_host,
                                  ipv6 ? "]" : "", server.listen_port);
  if (const auto* url = raw<std::string>("server", "public_url")) {
    const bool http = url->rfind("http://", 0) == 0 || url->rfind("https://", 0) == 0;
    if (!http || url->find_first_of("?#") != std::string::npos) {
      problem("server.public_url",
              "must be an http:// or https:// URL without query or fragment, e.g. "
              "\"https://oauth.example.com\"");
    } else if (!providers::endpoint_allowed(*url, /*allow_insecure_loopback=*/true)) {
      problem("server.public_url",
              "plain http:// is only for a loopback address (127.0.0.1, ::1, localhost): users' "
              "browsers bring authorization codes here, so use https://, e.g. "
              "\"https://oauth.example.com\" behind your TLS proxy");
    } else {
      server.public_url = *url;
      while (server.public_url.size() > 8 && server.public_url.back() == '/') {
        server.public_url.pop_back();
      }
    }
  }
  const int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  server.threads = integer_in_range("server", "threads", cores, 1, 256);
  server.max_body_bytes = static_cast<std::size_t>(integer_in_range(
      "server", "max_body_bytes", static_cast<int>(server.max_body_bytes), 1024, 64 << 20));
  server.max_header_bytes = static_cast<std::size_t>(integer_in_range(
      "server", "max_header_bytes", static_cast<int>(server.max_header_bytes), 1024, 1 << 20));
  server.read_timeout_seconds =
      integer_in_range("server", "read_timeout_seconds", server.read_timeout_seconds, 1, 3600);
  server.idle_timeout_seconds =
      integer_in_range("server", "idle_timeout_seconds", server.idle_timeout_seconds, 1, 3600);
  server.max_connections =
      integer_in_range("server", "max_connections", server.max_connections, 1, 1000000);
  server.shutdown_timeout_seconds = integer_in_range("server", "shutdown_timeout_seconds",
                                                     server.shutdown_timeout_seconds, 1, 3600);
}

// Each entry: an absolute http(s) URL; a return_to matches when scheme, host and port are equal
// and its path starts with the entry's path.
void ConfigBuilder::build_return_urls(ServerConfig& server) {
  const auto* urls = raw<std::vector<std::string>>("server", "allowed_return_urls");
  if (urls == nullptr) return;
  for (std::size_t i = 0; i < urls->size(); ++i) {
    const auto& url = (*urls)[i];
    if (!net::parse_url(url) || url.find_first_of("?#") != std::string::npos) {
      problem(fmt::format("server.allowed_return_urls[{}]", i),
              "must be an absolute http(s) URL without query or fragment, e.g. "
              "\"https://app.example.com/settings/integrations\"");
      continue;
    }
    server.allowed_return_urls.push_back(url);
  }
}

void ConfigBuilder::build_database(DatabaseConfig& database) {
  if (const auto* url = raw<std::string>("database", "url")) database.url = *url;
  const bool sqlite = database.url.rfind("sqlite://", 0) == 0 && database.url.size() > 9;
  const bool postgres =
      database.url.rfind("postgresql://", 0) == 0 || database.url.rfind("postgres://", 0) == 0;
  if (!sqlite && !postgres) {
    problem("database.url",
            "must be \"sqlite://<path>\" (e.g. \"sqlite://var/oauth-manager.db\", or "
            "\"sqlite:///var/lib/oauth-manager/db.sqlite\" for an absolute path) or "
            "\"postgresql://user:password@host:port/database\"");
  }
  database.pool_size = integer_in_range("database", "pool_size", database.pool_size, 1, 256);
  if (const auto* migrate = raw<bool>("database", "migrate_on_start")) {
    database.migrate_on_start = *migrate;
  }
}

void ConfigBuilder::build_redis(RedisConfig& redis) {
  if (const auto* url = raw<std::string>("redis", "url")) {
    if (auto address = net::parse_redis_url(*url); !address) {
      problem("redis.url", address.error().message);
    } else {
      redis.url = *url;
    }
  }
}

void ConfigBuilder::build_rate_limit(RateLimitConfig& rate_limit, const RedisConfig& redis) {
  if (const auto* enabled = raw<bool>("rate_limit", "enabled")) rate_limit.enabled = *enabled;
  rate_limit.requests_per_second = integer_in_range("rate_limit", "requests_per_second",
                                                    rate_limit.requests_per_second, 1, 1000000);
  rate_limit.burst = integer_in_range("rate_limit", "burst", rate_limit.burst, 1, 1000000);
  constexpr std::string_view kRolePrefix = "role_rate_limits.";
  for (const auto& [name, value] : raw_) {
    if (name.rfind(kRolePrefix, 0) != 0) continue;
    const auto role = name.substr(kRolePrefix.size());
    rate_limit.role_requests_per_second[role] = integer_in_range(
        "role_rate_limits", role, rate_limit.role_requests_per_second[role], 1, 1000000);
  }
  rate_limit.store = redis.url ? RateLimitStore::redis : RateLimitStore::memory;
  if (const auto* store = raw<std::string>("rate_limit", "store")) {
    if (*store == "memory") {
      rate_limit.store = RateLimitStore::memory;
    } else if (*store == "redis" && redis.url) {
      rate_limit.store = RateLimitStore::redis;
    } else if (*store == "redis") {
      problem("rate_limit.store", "\"redis\" needs [redis] url; set it or use \"memory\"");
    } else {
      problem("rate_limit.store",
              "must be \"memory\" (per replica) or \"redis\" (shared by every replica)");
    }
  }
}

void ConfigBuilder::build_net(NetConfig& net) {
  net.max_connections_per_host =
      integer_in_range("net", "max_connections_per_host", net.max_connections_per_host, 1, 100000);
  net.idle_connection_seconds =
      integer_in_range("net", "idle_connection_seconds", net.idle_connection_seconds, 1, 3600);
  std::optional<std::string> proxy_url = non_empty_string("net", "https_proxy");
  std::string source = "net.https_proxy";
  if (!proxy_url && proxy_environment_.count("HTTPS_PROXY") &&
      !proxy_environment_["HTTPS_PROXY"].empty()) {
    proxy_url = proxy_environment_["HTTPS_PROXY"];
    source = "HTTPS_PROXY";
  }
  if (!proxy_url) return;
  auto proxy = net::parse_proxy_url(*proxy_url);
  if (!proxy) {
    problem(source, proxy.error().message);  // never the URL: it may hold a password
    return;
  }
  if (const auto* no_proxy = raw<std::vector<std::string>>("net", "no_proxy")) {
    proxy->no_proxy = *no_proxy;
  } else if (proxy_environment_.count("NO_PROXY")) {
    std::stringstream stream(proxy_environment_["NO_PROXY"]);
    for (std::string entry; std::getline(stream, entry, ',');) {
      entry.erase(0, entry.find_first_not_of(' '));
      entry.erase(entry.find_last_not_of(' ') + 1);
      if (!entry.empty()) proxy->no_proxy.push_back(entry);
    }
  }
  net.proxy = std::move(*proxy);
}

void ConfigBuilder::build_tokens(TokensConfig& tokens) {
  tokens.assumed_lifetime_seconds = integer_in_range("tokens", "assumed_lifetime_seconds",
                                                     tokens.assumed_lifetime_seconds, 60, 86400);
  if (const auto* enabled = raw<bool>("tokens", "background_refresh")) {
    tokens.background_refresh = *enabled;
  }
  tokens.refresh_ahead_seconds =
      integer_in_range("tokens", "refresh_ahead_seconds", tokens.refresh_ahead_seconds, 30, 86400);
  tokens.background_interval_seconds = integer_in_range(
      "tokens", "background_interval_seconds", tokens.background_interval_seconds, 1, 3600);
  tokens.background_concurrency =
      integer_in_range("tokens", "background_concurrency", tokens.background_concurrency, 1, 64);
  // Longer than the provider call's total timeout (10 s), so a lease never lapses mid-refresh.
  tokens.refresh_lease_seconds =
      integer_in_range("tokens", "refresh_lease_seconds", tokens.refresh_lease_seconds, 15, 600);
  if (const auto* cache = raw<bool>("tokens", "cache")) tokens.cache = *cache;
  tokens.cache_max_entries =
      integer_in_range("tokens", "cache_max_entries", tokens.cache_max_entries, 1, 10000000);
  // Longer than a minute would make a lost report (a listener reconnecting) a long stale read.
  tokens.cache_staleness_ms =
      integer_in_range("tokens", "cache_staleness_ms", tokens.cache_staleness_ms, 1, 60000);
}

void ConfigBuilder::build_audit(AuditConfig& audit) {
  audit.flush_interval_ms =
      integer_in_range("audit", "flush_interval_ms", audit.flush_interval_ms, 10, 10000);
  if (const auto* coalesce = raw<bool>("audit", "coalesce_reads")) audit.coalesce_reads = *coalesce;
}

void ConfigBuilder::build_outbox(OutboxConfig& outbox) {
  outbox.give_up_after_seconds = integer_in_range("outbox", "give_up_after_seconds",
                                                  outbox.give_up_after_seconds, 60, 30 * 24 * 3600);
  // Longer than one delivery can take (a provider's discovery, then its revocation endpoint: 10 s
  // each at most), so a lease never lapses mid-delivery.
  outbox.lease_seconds = integer_in_range("outbox", "lease_seconds", outbox.lease_seconds, 30, 600);
}

void ConfigBuilder::build_connect(ConnectConfig& connect) {
  if (const auto* url = raw<std::string>("connect", "confirm_url")) {
    if (!net::parse_url(*url) || url->find('#') != std::string::npos) {
      problem("connect.confirm_url",
              "must be an absolute URL of the application without fragment, e.g. "
              "\"https://app.example.com/oauth/confirm\"");
    } else if (!providers::endpoint_allowed(*url, /*allow_insecure_loopback=*/true)) {
      problem("connect.confirm_url",
              "plain http:// is only for a loopback address: the browser carries the flow's "
              "one-time id there, so use https://");
    } else {
      connect.confirm_url = *url;
    }
  }
  // Long enough for a slow application page, short enough that a grant nobody confirms is
  // revoked soon.
  connect.confirm_seconds =
      integer_in_range("connect", "confirm_seconds", connect.confirm_seconds, 30, 3600);
  // A person reading the page, connecting two or three accounts; not a standing credential.
  connect.session_seconds =
      integer_in_range("connect", "session_seconds", connect.session_seconds, 60, 24 * 3600);
}

void ConfigBuilder::build_demo(DemoConfig& demo, const ServerConfig& server) {
  if (const auto* enabled = raw<bool>("demo", "enabled")) demo.enabled = *enabled;
  if (!demo.enabled) return;
  const auto listen = net::parse_url("http://" +
                                     (server.listen_host.find(':') == std::string::npos
                                          ? server.listen_host
                                          : "[" + server.listen_host + "]") +
                                     "/");
  const auto public_url = net::parse_url(server.public_url);
  if (!listen || !listen->loopback_host() || !public_url || !public_url->loopback_host()) {
    problem("demo.enabled",
            "the demo provider signs anyone in who types a name: it runs only when server.listen "
            "and server.public_url are loopback addresses (127.0.0.1, ::1, localhost)");
    demo.enabled = false;
    return;
  }
  if (raw_.count("providers.demo.client_id") != 0) {
    problem("providers.demo", "\"demo\" is the demo provider's id while [demo] is enabled");
    return;
  }
  // Made fresh at each start: nothing outside this process needs it.
  crypto::OpenSslRandom random;
  demo.client_secret = crypto::new_random_token(random);
  // The demo provider as any OpenID provider is configured: by its issuer, discovered.
  raw_["providers.demo.issuer"] = server.public_url + "/demo";
  raw_["providers.demo.display_name"] = std::string("Demo provider");
  raw_["providers.demo.client_id"] = demo.client_id;
  raw_["providers.demo.client_secret"] = demo.client_secret;
  raw_["providers.demo.allow_insecure_loopback"] = true;
  raw_["providers.demo.scopes"] =
      std::vector<std::string>{"openid", "email", "profile", "offline_access"};
}

void ConfigBuilder::build_log(LogConfig& log) {
  if (const auto* level = raw<std::string>("log", "level")) {
    static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
    if (std::find(kLevels.begin(), kLevels.end(), *level) == kLevels.end()) {
      problem("log.level",
              with_suggestion("must be one of trace, debug, info, warn, error", *level, kLevels));
    } else {
      log.level = *level;
    }
  }
  if (const auto* format = raw<std::string>("log", "format")) {
    if (*format == "json") {
      log.format = log::LogFormat::json;
    } else if (*format == "text") {
      log.format = log::LogFormat::text;
    } else {
      problem("log.format", "must be \"json\" or \"text\"");
    }
  }
}

}  // namespace oauth_manager::config
