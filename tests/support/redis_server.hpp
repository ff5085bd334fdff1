#pragma once

#include <memory>
#include <optional>
#include <string>

#include "support/child_process.hpp"
#include "support/test_servers.hpp"

namespace oauth_manager::testing {

// A redis-server of the test's own, on 127.0.0.1 and a free port, that the test may stop (to
// see how the service behaves when Redis goes away) without disturbing other tests.
class OwnRedisServer {
 public:
  // nullopt when redis-server is not installed.
  static std::unique_ptr<OwnRedisServer> start();
  const std::string& url() const { return url_; }
  void stop();

 private:
  OwnRedisServer() = default;
  std::unique_ptr<ChildProcess> process_;
  std::string url_;
};

}  // namespace oauth_manager::testing

// Skips when redis-server is missing, or fails under with-test-services (which installs it).
#define OAM_START_OWN_REDIS(variable)                                                        \
  auto variable = ::oauth_manager::testing::OwnRedisServer::start();                         \
  if (!variable) {                                                                           \
    if (::oauth_manager::testing::servers_required()) FAIL() << "redis-server cannot start"; \
    GTEST_SKIP() << "redis-server is not installed";                                         \
  }
