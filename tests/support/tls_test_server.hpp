#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "support/temp_dir.hpp"

namespace oauth_manager::testing {

// An HTTPS server on 127.0.0.1 with a certificate made for one test (self-signed, for the name
// "localhost"), answering every request with 200 {"tls":true}. `ca_file()` is the certificate
// to trust; connecting by another name must fail host name verification.
class TlsTestServer {
 public:
  TlsTestServer();
  ~TlsTestServer();

  std::uint16_t port() const { return port_; }
  std::string ca_file() const { return (dir_ / "ca.pem").string(); }
  int requests() const { return requests_; }

 private:
  void serve();

  TempDir dir_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// A forward proxy on 127.0.0.1 that only tunnels (CONNECT host:port), as corporate HTTPS
// proxies do, and remembers what it was asked.
class ConnectProxy {
 public:
  ConnectProxy();
  ~ConnectProxy();

  std::uint16_t port() const { return port_; }
  std::string last_request_head() const;
  int tunnels() const { return tunnels_; }

 private:
  void serve();

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> tunnels_{0};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::string last_head_;
  std::thread thread_;
};

}  // namespace oauth_manager::testing
