#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace oauth_manager::testing {

// What a load balancer in front of service processes does, reduced to one TCP hop: listens on
// 127.0.0.1 and an ephemeral port from construction, and from start() on copies each connection
// to and from a target port. The port is bound before the target exists, so a configuration can
// name it (a public URL) before the process it leads to starts.
class TcpForwarder {
 public:
  TcpForwarder();
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;
  ~TcpForwarder();

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Forwards every connection, pending ones included, to 127.0.0.1:`target`.
  void start(std::uint16_t target);
  // Unreachable, the target seems gone, as a database host that went down: every forwarded
  // connection is closed now, and each new one as soon as it arrives. Returns once done.
  void set_reachable(bool reachable);

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> forward(boost::asio::ip::tcp::socket client);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::uint16_t target_ = 0;
  // Touched only on the I/O thread.
  bool reachable_ = true;
  std::vector<std::weak_ptr<boost::asio::ip::tcp::socket>> forwarded_;
  std::thread thread_;
};

}  // namespace oauth_manager::testing
