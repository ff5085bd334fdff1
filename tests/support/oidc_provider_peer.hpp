#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/child_process.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager::testing {

// panva/oidc-provider (tests/peers/oidc-provider) as a child process on 127.0.0.1.
class OidcProviderPeer {
 public:
  struct Options {
    std::string client_id = "oauth-manager-test";
    std::string client_secret = "test-client-secret-of-a-reasonable-length";
    std::vector<std::string> redirect_uris;
    int access_token_ttl_seconds = 3600;
  };

  // nullptr when node or the peer's node_modules are missing.
  static std::unique_ptr<OidcProviderPeer> start(const Options& options);
  const std::string& issuer() const { return issuer_; }
  std::uint16_t port() const;
  // {"authorization_code": n, "refresh_token": n, "revoked": n}
  nlohmann::json stats() const;
  // Access tokens issued from now on live this long.
  void set_access_token_ttl(int seconds) const;

 private:
  OidcProviderPeer() = default;
  std::unique_ptr<ChildProcess> process_;
  std::string issuer_;
};

}  // namespace oauth_manager::testing

// Skips when the peer cannot run, or fails under with-test-services (make test installs it).
#define OAM_START_OIDC_PROVIDER(variable, options)                                             \
  auto variable = ::oauth_manager::testing::OidcProviderPeer::start(options);                  \
  if (!variable) {                                                                             \
    if (::oauth_manager::testing::servers_required())                                          \
      FAIL() << "the OIDC provider peer cannot start";                                         \
    GTEST_SKIP()                                                                               \
        << "node or tests/peers/oidc-provider/node_modules missing (make test installs them)"; \
  }
