// The fixture of the connect-flow suites: the service on a bound port, a real, independently
// written OpenID Connect server (panva/oidc-provider on 127.0.0.1) that knows its callback, and a
// browser; on SQLite or PostgreSQL (the test parameter).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "net/url.hpp"
#include "support/api_harness.hpp"
#include "support/browser.hpp"
#include "support/in_process_server.hpp"
#include "support/manual_clock.hpp"
#include "support/oidc_provider_peer.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager {

using testing::ApiHarness;
using testing::Browser;
using testing::OidcProviderPeer;

inline constexpr const char* kReturnTo = "https://app.example.test/settings/integrations";

inline std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

class ConnectFlowTest : public ::testing::TestWithParam<std::string> {
 protected:
  // What a suite sets on top of the fixture's configuration.
  virtual config::Environment extra_environment() const { return {}; }

  void SetUp() override {
    // The provider must know the redirect URI and the service its public URL before either
    // starts: bind the service's port first, and serve on it once the service is built.
    auto server = testing::InProcessServer::bound();
    port_ = server->port();
    callback_ = "http://127.0.0.1:" + std::to_string(port_) + "/v1/oauth/callback/testidp";
    OidcProviderPeer::Options options;
    options.redirect_uris = {callback_};
    peer_ = OidcProviderPeer::start(options);
    if (!peer_) {
      if (testing::servers_required()) FAIL() << "the OIDC provider peer cannot start";
      GTEST_SKIP() << "node or tests/peers/oidc-provider/node_modules missing";
    }
    config::Environment env = {
        {"OAUTH_MANAGER_SERVER_PUBLIC_URL", "http://127.0.0.1:" + std::to_string(port_)},
        {"OAUTH_MANAGER_SERVER_ALLOWED_RETURN_URLS", "https://app.example.test/settings"},
        {"OAUTH_MANAGER_PROVIDERS_TESTIDP_ISSUER", peer_->issuer()},
        {"OAUTH_MANAGER_PROVIDERS_TESTIDP_CLIENT_ID", options.client_id},
        {"OAUTH_MANAGER_PROVIDERS_TESTIDP_CLIENT_SECRET", options.client_secret},
        {"OAUTH_MANAGER_PROVIDERS_TESTIDP_ALLOW_INSECURE_LOOPBACK", "true"},
        {"OAUTH_MANAGER_PROVIDERS_TESTIDP_SCOPES", "openid,email,profile,offline_access"},
        {"OAUTH_MANAGER_RATE_LIMIT_ENABLED", "false"},
    };
    for (auto& [name, value] : extra_environment()) env[name] = value;
    OAM_BACKEND_URL(url, GetParam(), "sqlite://" + (dir_ / "api.db").string(), schema_);
    env.emplace("OAUTH_MANAGER_DATABASE_URL", url);
    api_ = std::make_unique<ApiHarness>(dir_, env, clock_, std::move(server));
  }

  void TearDown() override {
    api_.reset();
    schema_.reset();
  }

  // POST authorize as `user`, then a browser through the provider; the page the flow ends on.
  Browser::Page connect(const std::string& user, const nlohmann::json& body,
                        const std::string& login_hint = "") {
    const auto started =
        api_->post("/v1/integrations/testidp/authorize", api_->token(user, {"user"}), body.dump());
    EXPECT_EQ(started.status, 201) << started.raw;
    // Our start link sets the binding cookie and points at the provider.
    const auto start = browser_.visit(started.body.value("authorization_url", ""));
    EXPECT_EQ(start.status, 303) << start.body;
    auto url = start.location.value_or("");
    if (!login_hint.empty()) url = net::with_query(url, {{"login_hint", login_hint}});
    return browser_.open(url);
  }

  // Everything the database holds, as bytes.
  std::string stored_bytes() {
    if (schema_) return testing::postgres_dump(schema_->url());
    return read_bytes(dir_ / "api.db") + read_bytes(dir_ / "api.db-wal");
  }

  testing::TempDir dir_;
  // Real time at the start (the provider's id_tokens are checked against it); tests move it to
  // make tokens expire without waiting.
  testing::ManualClock clock_{core::SystemClock().now()};
  std::uint16_t port_ = 0;
  std::string callback_;
  std::unique_ptr<OidcProviderPeer> peer_;
  std::unique_ptr<testing::PostgresSchema> schema_;
  std::unique_ptr<ApiHarness> api_;
  Browser browser_;
};

}  // namespace oauth_manager
