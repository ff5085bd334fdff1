#pragma once

#include <utility>

#include <memory>

#include "api/guard.hpp"
#include "auth/authenticator.hpp"
#include "auth/rate_limiter.hpp"
#include "auth/session_store.hpp"
#include "config/config.hpp"
#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "crypto/keyring.hpp"
#include "crypto/openssl_random.hpp"
#include "demo/demo_provider.hpp"
#include "events/audit_writer.hpp"
#include "events/batching_audit_writer.hpp"
#include "events/outbox_worker.hpp"
#include "events/webhooks.hpp"
#include "http/router.hpp"
#include "manager/background_refresher.hpp"
#include "manager/connect_flow.hpp"
#include "manager/connect_sessions.hpp"
#include "manager/disconnect.hpp"
#include "manager/handout_cache.hpp"
#include "manager/record_queries.hpp"
#include "manager/refresh_engine.hpp"
#include "manager/state_purger.hpp"
#include "manager/token_revoker.hpp"
#include "manager/token_service.hpp"
#include "net/http_client.hpp"
#include "net/redis_client.hpp"
#include "providers/registry.hpp"
#include "store/store.hpp"

namespace oauth_manager::app {

// Every part of the running service, wired from a validated Config: store, clients, caller
// authentication, use cases and routes. `serve` puts an http::Server in front of router();
// tests do the same in-process.
class Service {
 public:
  // Opens the store (lazily: a database that is down makes /readyz fail, not this).
  static core::Result<std::unique_ptr<Service>> create(const config::Config& config,
                                                       const core::Clock& clock);
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  ~Service();

  store::Store& store() { return *store_; }
  const crypto::Keyring& keyring() const { return keyring_; }
  // Records the enabled providers' known scopes in the store's scope catalog.
  core::Status sync_scope_catalog();
  const http::Router& router() const { return router_; }
  // Background work on `io` (the token refresher, when [tokens] background_refresh is on).
  void start_background(boost::asio::io_context& io);
  void stop_background();
  // After the io_context has stopped, before it is destroyed.
  void release_background();
  const manager::BackgroundRefresher& refresher() const { return refresher_; }
  manager::StatePurger& state_purger() { return state_purger_; }
  const events::WebhookSender* webhooks() const { return webhook_sender_.get(); }
  events::OutboxWorker& outbox() { return outbox_; }
  // Writes the token-read audit events still queued (they are batched off the request path).
  core::Status flush_audit();
  // Writes the queued audit events and waits for blocking work still running (after the server
  // has drained).
  void join();

 private:
  Service(const config::Config& config, const core::Clock& clock,
          std::unique_ptr<store::Store> store);
  std::shared_ptr<crypto::KeySource> make_key_source(const config::AuthConfig& auth);
  std::unique_ptr<auth::RateLimiter> make_rate_limiter(const config::RateLimitConfig& limits);
  void add_demo(const config::Config& config);

  const core::Clock& clock_;
  crypto::OpenSslRandom random_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<manager::HandoutCache> handout_cache_;    // [tokens] cache only
  std::unique_ptr<store::ChangeListener> change_listener_;  // PostgreSQL, with the cache
  // One thread per database connection, and a few for Redis, so a slow Redis never takes a
  // database thread.
  core::BlockingPool database_blocking_;
  core::BlockingPool redis_blocking_;
  net::HttpClient http_client_;
  std::unique_ptr<net::RedisClient> redis_;
  std::unique_ptr<auth::RedisSessionStore> sessions_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<auth::RateLimiter> rate_limiter_;
  events::StoreAuditWriter audit_;
  events::BatchingAuditWriter batched_audit_;  // what the guard writes: token reads batched
  std::unique_ptr<api::GuardServices> guard_;
  manager::RecordQueries records_;
  crypto::Keyring keyring_;
  providers::ProviderRegistry registry_;
  manager::ConnectionWriter connection_writer_;
  manager::ConnectConfirmation confirmation_;
  manager::ConnectFlow connect_flow_;
  manager::ConnectSessions connect_sessions_;
  manager::RefreshEngine refresh_engine_;
  manager::TokenService token_service_;
  events::OutboxWorker outbox_;
  manager::TokenRevoker token_revoker_;
  manager::Disconnect disconnect_;
  manager::BackgroundRefresher refresher_;
  manager::StatePurger state_purger_;
  std::unique_ptr<net::HttpClient> webhook_http_;
  std::unique_ptr<events::WebhookSender> webhook_sender_;
  std::unique_ptr<events::WebhookOutbox> webhook_outbox_;
  std::unique_ptr<demo::DemoProvider> demo_provider_;  // [demo] enabled only
  bool background_refresh_ = false;
  http::Router router_;
};

}  // namespace oauth_manager::app
