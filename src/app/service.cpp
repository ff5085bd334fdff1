#include "app/service.hpp"

#include "api/connect_routes.hpp"
#include "api/health_routes.hpp"
#include "api/openapi.hpp"
#include "api/record_routes.hpp"
#include "api/session_routes.hpp"
#include "api/token_routes.hpp"
#include "demo/demo_routes.hpp"
#include "net/jwks_key_source.hpp"
#include "store/open_store.hpp"
#include "web/connect_page.hpp"

namespace oauth_manager::app {
namespace {

constexpr std::chrono::milliseconds kRedisTimeout{1000};
constexpr int kRedisThreads = 4;

auth::AuthSettings auth_settings(const config::AuthConfig& auth) {
  auth::AuthSettings settings;
  settings.claims.issuer = auth.issuer;
  settings.claims.audience = auth.audience;
  settings.claims.leeway = std::chrono::seconds(auth.leeway_seconds);
  settings.claims.allowed_types = auth.allowed_types;
  settings.permissions.roles_claim = auth.roles_claim;
  settings.permissions.scope_prefix = auth.scope_prefix;
  settings.roles = auth.roles;
  settings.session_claim = auth.session_claim;
  settings.session_key_pattern = auth.session_key_pattern;
  settings.session_fail_open = auth.session_fail_open;
  return settings;
}

net::ClientOptions outbound_options(const config::Config& config) {
  net::ClientOptions options;
  options.proxy = config.net.proxy;
  options.max_connections_per_origin =
      static_cast<std::size_t>(config.net.max_connections_per_host);
  options.idle_timeout = std::chrono::seconds(config.net.idle_connection_seconds);
  return options;
}

net::ClientOptions jwks_client_options(const config::Config& config) {
  auto options = outbound_options(config);
  options.allow_insecure_loopback = config.auth.allow_insecure_loopback;
  return options;
}

manager::TokenSettings token_settings(const config::TokensConfig& tokens) {
  manager::TokenSettings settings;
  settings.assumed_lifetime = std::chrono::seconds(tokens.assumed_lifetime_seconds);
  settings.lease_duration = std::chrono::seconds(tokens.refresh_lease_seconds);
  return settings;
}

events::AuditBatchSettings audit_batch_settings(const config::AuditConfig& audit) {
  events::AuditBatchSettings settings;
  settings.flush_interval = std::chrono::milliseconds(audit.flush_interval_ms);
  settings.coalesce = audit.coalesce_reads;
  return settings;
}

manager::RefresherSettings refresher_settings(const config::TokensConfig& tokens) {
  manager::RefresherSettings settings;
  settings.interval = std::chrono::seconds(tokens.background_interval_seconds);
  settings.refresh_ahead = std::chrono::seconds(tokens.refresh_ahead_seconds);
  settings.concurrency = tokens.background_concurrency;
  return settings;
}

auth::RoleRateLimits role_rate_limits(const config::RateLimitConfig& limits) {
  auth::RoleRateLimits by_role;
  by_role.fallback = {static_cast<double>(limits.requests_per_second), limits.burst};
  for (const auto& [role, per_second] : limits.role_requests_per_second) {
    by_role.by_role[role] = {static_cast<double>(per_second), 2 * per_second};
  }
  return by_role;
}

manager::ConnectSettings connect_settings(const config::Config& config) {
  manager::ConnectSettings settings{config.server.public_url, std::chrono::seconds(600),
                                    config.server.allowed_return_urls};
  // The hosted connect page is where its own flows come back to.
  settings.allowed_return_urls.push_back(config.server.public_url + "/connect");
  return settings;
}

manager::ConnectSessionSettings session_settings(const config::Config& config) {
  manager::ConnectSessionSettings settings;
  settings.public_url = config.server.public_url;
  settings.lifetime = std::chrono::seconds(config.connect.session_seconds);
  settings.allowed_return_urls = config.server.allowed_return_urls;
  settings.flows_confirmed = config.connect.confirm_url.has_value();
  return settings;
}

manager::ConfirmSettings confirm_settings(const config::ConnectConfig& connect) {
  return manager::ConfirmSettings{connect.confirm_url,
                                  std::chrono::seconds(connect.confirm_seconds)};
}

events::OutboxSettings outbox_settings(const config::OutboxConfig& outbox) {
  events::OutboxSettings settings;
  settings.give_up_after = std::chrono::seconds(outbox.give_up_after_seconds);
  settings.lease = std::chrono::seconds(outbox.lease_seconds);
  settings.first_retry = outbox.first_retry;
  settings.max_retry = outbox.max_retry;
  return settings;
}

std::unique_ptr<manager::HandoutCache> make_handout_cache(const config::TokensConfig& tokens) {
  if (!tokens.cache) return nullptr;
  return std::make_unique<manager::HandoutCache>(
      manager::HandoutCacheSettings{static_cast<std::size_t>(tokens.cache_max_entries),
                                    std::chrono::milliseconds(tokens.cache_staleness_ms)});
}

}  // namespace

core::Result<std::unique_ptr<Service>> Service::create(const config::Config& config,
                                                       const core::Clock& clock) {
  auto store = store::open_store(config.database.url, config.database.pool_size);
  if (!store) return store.error();
  return std::unique_ptr<Service>(new Service(config, clock, std::move(*store)));
}

Service::Service(const config::Config& config, const core::Clock& clock,
                 std::unique_ptr<store::Store> store)
    : clock_(clock),
      store_(std::move(store)),
      handout_cache_(make_handout_cache(config.tokens)),
      database_blocking_(config.database.pool_size),
      redis_blocking_(kRedisThreads),
      http_client_(jwks_client_options(config)),
      audit_(*store_, database_blocking_, clock_, random_),
      batched_audit_(*store_, audit_, clock_, random_, audit_batch_settings(config.audit)),
      records_(*store_, database_blocking_, batched_audit_),
      keyring_(config.crypto.keys, random_),
      registry_(config.providers, clock_, outbound_options(config)),
      connection_writer_(keyring_, random_),
      confirmation_(*store_, database_blocking_, keyring_, connection_writer_, audit_, clock_,
                    random_, confirm_settings(config.connect)),
      connect_flow_(*store_, database_blocking_, registry_, keyring_, connection_writer_, audit_,
                    clock_, random_, connect_settings(config)),
      connect_sessions_(*store_, database_blocking_, registry_, clock_, random_,
                        session_settings(config)),
      refresh_engine_(*store_, database_blocking_, registry_, keyring_, audit_, clock_, random_,
                      token_settings(config.tokens)),
      token_service_(*store_, database_blocking_, refresh_engine_, handout_cache_.get()),
      outbox_(*store_, database_blocking_, clock_, random_, outbox_settings(config.outbox)),
      token_revoker_(registry_, keyring_),
      disconnect_(*store_, database_blocking_, registry_, outbox_, clock_),
      refresher_(*store_, database_blocking_, token_service_, clock_, random_,
                 refresher_settings(config.tokens)),
      state_purger_(*store_, database_blocking_, clock_),
      background_refresh_(config.tokens.background_refresh) {
  if (handout_cache_) {
    store_->report_changes_to(handout_cache_.get());
    change_listener_ = store::open_change_listener(config.database.url, *handout_cache_);
  }
  if (config.redis.url) {
    // The URL was validated with the configuration.
    redis_ = std::make_unique<net::RedisClient>(*net::parse_redis_url(*config.redis.url),
                                                kRedisTimeout, kRedisThreads);
    sessions_ = std::make_unique<auth::RedisSessionStore>(*redis_);
  }
  authenticator_ = std::make_unique<auth::Authenticator>(auth_settings(config.auth),
                                                         make_key_source(config.auth),
                                                         sessions_.get(), redis_blocking_, clock_);
  rate_limiter_ = make_rate_limiter(config.rate_limit);
  guard_ = std::make_unique<api::GuardServices>(
      api::GuardServices{*authenticator_, rate_limiter_.get(), redis_blocking_, batched_audit_,
                         role_rate_limits(config.rate_limit)});

  if (config.webhooks.url) {
    auto options = outbound_options(config);
    options.allow_insecure_loopback = config.webhooks.allow_insecure_loopback;
    webhook_http_ = std::make_unique<net::HttpClient>(options);
    webhook_sender_ = std::make_unique<events::WebhookSender>(
        events::WebhookSettings{*config.webhooks.url, config.webhooks.secret}, *webhook_http_,
        clock_);
    outbox_.add_handler(events::kWebhookJob, *webhook_sender_);
    webhook_outbox_ = std::make_unique<events::WebhookOutbox>(outbox_, clock_, random_);
    connection_writer_.set_publisher(webhook_outbox_.get());
    refresh_engine_.set_publisher(webhook_outbox_.get());
    disconnect_.set_publisher(webhook_outbox_.get());
  }
  outbox_.add_handler(manager::kRevocationJob, token_revoker_);
  refresh_engine_.set_outbox(&outbox_);
  connect_flow_.set_outbox(&outbox_);
  confirmation_.set_outbox(&outbox_);
  connect_flow_.set_confirmation(&confirmation_);
  state_purger_.set_confirmation(&confirmation_);

  api::add_health_routes(router_, *store_, database_blocking_);
  api::add_openapi_route(router_);
  api::add_record_routes(router_, *guard_, records_);
  api::add_connect_routes(router_, *guard_, registry_, connect_flow_, confirmation_);
  api::add_token_routes(router_, *guard_, token_service_, disconnect_, records_);
  api::add_session_routes(
      router_, *guard_,
      api::SessionServices{connect_sessions_, registry_, connect_flow_, records_, disconnect_});
  web::add_connect_page_routes(router_);
  if (config.demo.enabled) add_demo(config);
}

void Service::add_demo(const config::Config& config) {
  const auto& public_url = config.server.public_url;
  demo_provider_ = std::make_unique<demo::DemoProvider>(
      demo::DemoSettings{public_url + "/demo", config.demo.client_id, config.demo.client_secret,
                         public_url + "/v1/oauth/callback/demo"},
      clock_, random_);
  std::optional<std::string> secret;
  if (config.auth.hs256_secret) secret = std::string(config.auth.hs256_secret->view());
  demo::add_demo_routes(router_, *demo_provider_, connect_sessions_,
                        demo::DemoRoutesSettings{public_url, config.auth.audience, secret});
}

core::Status Service::sync_scope_catalog() {
  std::vector<core::ScopeInfo> scopes;
  for (const auto& provider : registry_.list()) {
    scopes.insert(scopes.end(), provider->spec.scopes.begin(), provider->spec.scopes.end());
  }
  if (scopes.empty()) return core::Status{};
  return store_->upsert_scopes(scopes);
}

Service::~Service() {
  join();
  change_listener_.reset();
  store_->report_changes_to(nullptr);
}

void Service::start_background(boost::asio::io_context& io) {
  if (background_refresh_) refresher_.start(io);
  state_purger_.start(io);
  outbox_.start(io);
}

void Service::stop_background() {
  refresher_.stop();
  state_purger_.stop();
  outbox_.stop();
}

void Service::release_background() {
  refresher_.release();
  state_purger_.release();
  outbox_.release();
}

core::Status Service::flush_audit() { return batched_audit_.flush(); }

void Service::join() {
  // After the last request: the queued token reads are written before the store goes away.
  batched_audit_.close();
  redis_blocking_.join();
  database_blocking_.join();
  audit_.abandon();  // nothing is left to write them, and their io_context is about to go
}

std::shared_ptr<crypto::KeySource> Service::make_key_source(const config::AuthConfig& auth) {
  // Keys were validated with the configuration, so these cannot fail here.
  if (auth.hs256_secret) {
    return std::make_shared<crypto::StaticKeySource>(
        std::vector{*crypto::VerificationKey::hmac(auth.hs256_secret->view())});
  }
  if (auth.public_key_pem) {
    return std::make_shared<crypto::StaticKeySource>(
        std::vector{*crypto::VerificationKey::from_pem(*auth.public_key_pem)});
  }
  return std::make_shared<net::JwksKeySource>(*auth.jwks_url, http_client_, clock_);
}

std::unique_ptr<auth::RateLimiter> Service::make_rate_limiter(
    const config::RateLimitConfig& limits) {
  if (!limits.enabled) return nullptr;
  const auth::RateLimit limit{static_cast<double>(limits.requests_per_second), limits.burst};
  if (limits.store == config::RateLimitStore::redis && redis_) {
    return std::make_unique<auth::RedisRateLimiter>(limit, *redis_);
  }
  return std::make_unique<auth::LocalRateLimiter>(limit, clock_);
}

}  // namespace oauth_manager::app
