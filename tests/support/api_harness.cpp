#include "support/api_harness.hpp"

#include <stdexcept>

#include "net/url.hpp"
#include "support/raw_http.hpp"
#include "support/signing_keys.hpp"

namespace oauth_manager::testing {

std::optional<std::string> Reply::header(const std::string& name) const {
  return header_of(raw, name);
}

ApiHarness::ApiHarness(const TempDir& dir, config::Environment env, const core::Clock& clock,
                       std::unique_ptr<InProcessServer> server,
                       const std::function<void(config::Config&)>& adjust)
    : clock_(clock), server_(std::move(server)) {
  env.emplace("OAUTH_MANAGER_CRYPTO_KEYS", kHarnessDataKey);
  env.emplace("OAUTH_MANAGER_AUTH_HS256_SECRET", kHarnessJwtSecret);
  env.emplace("OAUTH_MANAGER_AUTH_AUDIENCE", kHarnessAudience);
  env.emplace("OAUTH_MANAGER_AUTH_SCOPE_PREFIX", "oauth-manager:");
  env.emplace("OAUTH_MANAGER_DATABASE_URL", "sqlite://" + (dir / "api.db").string());
  auto loaded = config::load_config(std::nullopt, env);
  if (!loaded.config) {
    throw std::runtime_error("bad test config: " + loaded.problems[0].key + ": " +
                             loaded.problems[0].message);
  }
  if (adjust) adjust(*loaded.config);
  auto service = app::Service::create(*loaded.config, clock_);
  if (!service) throw std::runtime_error(service.error().message);
  service_ = std::move(*service);
  if (!service_->store().migrate()) throw std::runtime_error("migration failed");
  if (server_) {
    server_->serve(service_->router());
  } else {
    server_ = std::make_unique<InProcessServer>(service_->router(), 2);
  }
}

ApiHarness::~ApiHarness() {
  // Stop the I/O threads, then join the service's blocking threads (they post completions to
  // the io_context), and only then destroy the io_context.
  server_->stop();
  service_->join();
  service_->release_background();
  server_.reset();
  service_.reset();
}

std::string ApiHarness::token(const std::string& subject, const std::vector<std::string>& roles,
                              const nlohmann::json& extra) const {
  const auto now = core::to_unix_ms(clock_.now()) / 1000;
  nlohmann::json claims = {{"sub", subject},
                           {"aud", kHarnessAudience},
                           {"roles", roles},
                           {"iat", now},
                           {"exp", now + 600}};
  claims.update(extra);
  for (const auto& [name, value] : extra.items()) {
    if (value.is_null()) claims.erase(name);
  }
  return sign_hs256(claims, kHarnessJwtSecret);
}

Reply ApiHarness::exchange(const std::string& request) const {
  const auto raw = http_exchange(server_->port(), request);
  Reply reply{status_of(raw), nullptr, raw};
  reply.body = nlohmann::json::parse(body_of(raw), nullptr, false);
  return reply;
}

Reply ApiHarness::get(const std::string& target, const std::optional<std::string>& token,
                      const std::vector<std::pair<std::string, std::string>>& headers) const {
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n";
  if (token) request += "Authorization: Bearer " + *token + "\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  return exchange(request + "\r\n");
}

ApiHarness::OpenedStartLink ApiHarness::open_start_link(const std::string& start_url) const {
  const auto url = net::parse_url(start_url);
  if (!url) throw std::runtime_error("not a start link: " + start_url);
  const auto reply = get(url->target, std::nullopt);
  OpenedStartLink opened;
  opened.status = reply.status;
  opened.raw = reply.raw;
  opened.provider_url = header_of(reply.raw, "Location").value_or("");
  const auto set_cookie = header_of(reply.raw, "Set-Cookie").value_or("");
  opened.cookie = set_cookie.substr(0, set_cookie.find(';'));
  return opened;
}

Reply ApiHarness::callback(const std::string& provider, const std::string& query,
                           const OpenedStartLink& link) const {
  return get("/v1/oauth/callback/" + provider + "?" + query, std::nullopt,
             {{"Cookie", link.cookie}});
}

Reply ApiHarness::post(const std::string& target, const std::optional<std::string>& token,
                       const std::string& json_body) const {
  std::string request = "POST " + target +
                        " HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: "
                        "application/json\r\nContent-Length: " +
                        std::to_string(json_body.size()) + "\r\n";
  if (token) request += "Authorization: Bearer " + *token + "\r\n";
  return exchange(request + "\r\n" + json_body);
}

Reply ApiHarness::del(const std::string& target, const std::optional<std::string>& token) const {
  std::string request = "DELETE " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n";
  if (token) request += "Authorization: Bearer " + *token + "\r\n";
  return exchange(request + "\r\n");
}

std::vector<core::AuditEvent> ApiHarness::audit_events() {
  // Token reads are written in batches: what is still queued belongs to the trail already.
  if (auto flushed = service_->flush_audit(); !flushed) {
    throw std::runtime_error("audit flush failed: " + flushed.error().message);
  }
  store::AuditQuery query;
  query.limit = 1000;
  return *store().list_audit(query);
}

}  // namespace oauth_manager::testing
