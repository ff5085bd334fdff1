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
  Reply get(const std::string& target, const std::optional<std::string>& token) const;
  Reply post(const std::string& target, const std::optional<std::string>& token,
             const std::string& json_body) const;
  std::vector<core::AuditEvent> audit_events();

 private:
  Reply exchange(const std::string& request) const;

  const core::Clock& clock_;
  std::unique_ptr<app::Service> service_;
  std::unique_ptr<InProcessServer> server_;
};

}  // namespace oauth_manager::testing
