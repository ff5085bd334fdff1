#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/service.hpp"
#include "config/config.hpp"
#include "support/in_process_server.hpp"
#include "support/temp_dir.hpp"

namespace oauth_manager::testing {

// The aud every harness caller JWT carries, as the service requires (auth.audience).
inline constexpr const char* kHarnessAudience = "oauth-manager";
inline constexpr const char* kHarnessJwtSecret = "an-api-test-jwt-secret-of-at-least-32-bytes";
inline constexpr const char* kHarnessDataKey = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

struct Reply {
  int status = 0;
  nlohmann::json body;  // discarded when the body is not JSON
  std::string raw;
  std::optional<std::string> header(const std::string& name) const;
};

// One service wired from a real configuration (the environment `env` on top of a data key, an
// HS256 caller secret and, unless `env` names one, a SQLite file in `dir`), behind a real HTTP
// server: `server` when given (made by InProcessServer::bound(), so `env` could name its port),
// else a new one on an ephemeral port. `adjust` changes the loaded configuration where no key
// reaches (timing a test scales down).
class ApiHarness {
 public:
  ApiHarness(const TempDir& dir, config::Environment env, const core::Clock& clock,
             std::unique_ptr<InProcessServer> server = nullptr,
             const std::function<void(config::Config&)>& adjust = {});
  ~ApiHarness();

  app::Service& service() { return *service_; }
  store::Store& store() { return service_->store(); }
  const http::Router& router() const { return service_->router(); }
  std::uint16_t port() const { return server_->port(); }
  boost::asio::io_context& io() { return server_->io(); }

  // A caller JWT valid for ten minutes from the clock's now. `extra` adds or replaces claims;
  // a null there leaves that claim out.
  std::string token(const std::string& subject, const std::vector<std::string>& roles,
                    const nlohmann::json& extra = nlohmann::json::object()) const;
  Reply get(const std::string& target, const std::optional<std::string>& token,
            const std::vector<std::pair<std::string, std::string>>& headers = {}) const;

  // A browser's first visit of a connect start link (its path, on this server, whatever
  // public_url says): where it is sent on, and the cookie it would send back.
  struct OpenedStartLink {
    int status = 0;
    std::string provider_url;  // the Location
    std::string cookie;        // "name=value" from the Set-Cookie
    std::string raw;
  };
  OpenedStartLink open_start_link(const std::string& start_url) const;
  // The provider's callback as the browser that opened `link` makes it.
  Reply callback(const std::string& provider, const std::string& query,
                 const OpenedStartLink& link) const;
  Reply post(const std::string& target, const std::optional<std::string>& token,
             const std::string& json_body) const;
  Reply del(const std::string& target, const std::optional<std::string>& token) const;
  std::vector<core::AuditEvent> audit_events();

 private:
  Reply exchange(const std::string& request) const;

  const core::Clock& clock_;
  std::unique_ptr<app::Service> service_;
  std::unique_ptr<InProcessServer> server_;
};

}  // namespace oauth_manager::testing
