#include <utility>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <thread>
#include <vector>

#include "api/problem.hpp"
#include "app/service.hpp"
#include "cli/commands.hpp"
#include "http/server.hpp"
#include "log/logger.hpp"

namespace oauth_manager::cli {
namespace {

http::ServerOptions server_options(const config::ServerConfig& server) {
  http::ServerOptions options;
  options.host = server.listen_host;
  options.port = server.listen_port;
  options.max_header_bytes = server.max_header_bytes;
  options.max_body_bytes = server.max_body_bytes;
  options.read_timeout = std::chrono::seconds(server.read_timeout_seconds);
  options.idle_timeout = std::chrono::seconds(server.idle_timeout_seconds);
  options.max_connections = static_cast<std::size_t>(server.max_connections);
  return options;
}

bool prepare_database(store::Store& store, bool migrate) {
  if (!migrate) return true;
  auto report = store.migrate();
  if (!report) {
    log::error("database.migrate_failed", {{"error", report.error().message}});
    return false;
  }
  log::info("database.migrated", {{"backend", store.backend_name()},
                                  {"version", report->current_version},
                                  {"applied", report->applied}});
  return true;
}

}  // namespace

int serve_command(const config::Config& config) {
  log::configure(config.log.level, config.log.format);
  if (config.demo.enabled) {
    log::warn("demo.enabled",
              {{"open", config.server.public_url + "/demo"},
               {"message",
                "the demo provider signs in anyone who types a name; it is for trying "
                "oauth-manager on this machine ([demo] enabled = false turns it off)"}});
  }
  for (const auto& warning : config::config_warnings(config)) {
    log::warn("config.warning", {{"key", warning.key}, {"message", warning.message}});
  }
  const core::SystemClock clock;
  auto created = app::Service::create(config, clock);
  if (!created) {
    log::error("database.open_failed", {{"error", created.error().message}});
    return kExitFailure;
  }
  auto& service = **created;
  auto& store = service.store();
  if (!prepare_database(store, config.database.migrate_on_start)) return kExitFailure;
  if (auto synced = service.sync_scope_catalog(); !synced) {
    log::warn("providers.scope_sync_failed", {{"error", synced.error().message}});
  }

  boost::asio::io_context io(config.server.threads);
  http::Server server(io, server_options(config.server), service.router(), &api::problem_response);
  if (auto listening = server.listen(); !listening) {
    log::error("server.listen_failed", {{"error", listening.error().message}});
    return kExitFailure;
  }
  server.start();
  service.start_background(io);

  boost::asio::steady_timer deadline(io);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log::info("server.stopping", {{"signal", signal}});
    service.stop_background();
    server.shutdown([&] { deadline.cancel(); });
    deadline.expires_after(std::chrono::seconds(config.server.shutdown_timeout_seconds));
    deadline.async_wait([&](const boost::system::error_code& wait_error) {
      if (wait_error) return;  // cancelled: every connection finished in time
      log::warn("server.shutdown_timeout", {{"seconds", config.server.shutdown_timeout_seconds}});
      io.stop();
    });
  });

  log::info("server.listening",
            {{"address", fmt::format("{}:{}", config.server.listen_host, server.port())},
             {"public_url", config.server.public_url},
             {"threads", config.server.threads},
             {"database", store.backend_name()},
             {"providers", config.providers.size()},
             {"caller_keys", config.auth.jwks_url         ? "jwks"
                             : config.auth.public_key_pem ? "public_key"
                                                          : "hs256_secret"}});
  if (config.demo.enabled) {
    // The first thing a newcomer looks for after `make run`: on a line of its own, last.
    log::info("demo.ready", {{"open", config.server.public_url + "/demo"}});
  }
  std::vector<std::thread> threads;
  for (int i = 1; i < config.server.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : threads) thread.join();
  service.join();
  service.release_background();
  log::info("server.stopped");
  return kExitOk;
}

}  // namespace oauth_manager::cli
