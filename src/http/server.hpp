#pragma once

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "core/error.hpp"
#include "core/random_source.hpp"
#include "crypto/openssl_random.hpp"
#include "http/router.hpp"

namespace oauth_manager::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;  // 0 picks a free port
  std::size_t max_header_bytes = 16 << 10;
  std::size_t max_body_bytes = 1 << 20;
  std::chrono::seconds read_timeout{15};  // to receive a whole request once it has begun
  std::chrono::seconds idle_timeout{60};  // between requests on a kept-alive connection
  core::RandomSource* random = nullptr;   // for request ids; the OS CSPRNG when null
  // Open connections beyond this are answered 503 and closed at once, so a flood of idle
  // connections cannot exhaust file descriptors (and starve the database and providers of them).
  std::size_t max_connections = 10000;
};

// Turns an error into the response the client sees (problem+json, provided by src/api/).
using ErrorResponder = std::function<Response(const core::Error& error, const Request& request)>;

// An HTTP/1.1 server on Beast with one coroutine per connection. It never lets a malformed,
// oversized or slow request crash it or hold a connection forever.
class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, const Router& router,
         ErrorResponder respond_error);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // Binds and listens; unavailable when the address is taken or not local.
  core::Status listen();
  std::uint16_t port() const { return bound_port_; }
  void start();
  // Stops accepting, lets in-flight requests finish, closes idle connections, and calls
  // `on_drained` (on an I/O thread) once no connection is left.
  void shutdown(std::function<void()> on_drained);

 private:
  struct Connection;
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> sweep_overdue();
  bool at_capacity();
  boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<void> serve_requests(Connection& connection,
                                              boost::asio::ip::tcp::socket& socket,
                                              const std::string& remote_ip);
  boost::asio::awaitable<Response> dispatch(Request& request);
  void forget(const std::shared_ptr<Connection>& connection);

  boost::asio::io_context& io_;
  ServerOptions options_;
  const Router& router_;
  ErrorResponder respond_error_;
  crypto::OpenSslRandom os_random_;
  core::RandomSource& random_;
  boost::asio::ip::tcp::acceptor acceptor_;
  static constexpr std::chrono::seconds kSweepInterval{1};
  boost::asio::steady_timer sweep_timer_;  // on the acceptor's strand
  std::uint16_t bound_port_ = 0;

  std::mutex mutex_;
  std::set<std::shared_ptr<Connection>> connections_;
  bool shutting_down_ = false;
  std::function<void()> on_drained_;
};

}  // namespace oauth_manager::http
