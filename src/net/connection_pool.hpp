#pragma once

#include <utility>  // before Asio's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/completion.hpp"
#include "core/error.hpp"

namespace oauth_manager::net {

using PoolClock = std::chrono::steady_clock;

// One open HTTP/1.1 connection to an origin: plain TCP (loopback http only) or TLS, directly or
// through a proxy's tunnel.
struct Connection {
  std::unique_ptr<boost::beast::tcp_stream> plain;
  std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls;
  PoolClock::time_point idle_since{};

  boost::beast::tcp_stream& lowest();
  // No bytes of a later answer read already (TLS reads ahead of what Beast asked for).
  bool nothing_buffered();
  // Nothing to read and not closed: a server that closed an idle connection (its keep-alive
  // timeout) makes the socket readable (EOF), and a reply nobody asked for would be out of step.
  bool looks_alive();
};

struct PoolLimits {
  std::size_t max_per_origin = 1024;  // in use and idle together
  std::chrono::milliseconds idle_timeout{30000};
};

class ConnectionPool;

// A place among an origin's connections: an idle connection handed over (`reused()`), or the
// right to open one. Ending the lease gives the place back, and the connection with it when
// `keep()` was called (the exchange left it clean for the next request).
class Lease {
 public:
  Lease(ConnectionPool& pool, std::string origin, std::unique_ptr<Connection> idle);
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  ~Lease();

  std::unique_ptr<Connection>& connection() { return connection_; }
  bool reused() const { return reused_; }
  // Drops a connection that turned out dead; the place is kept, for a new one.
  void replace_dead();
  void keep() { keep_ = true; }

 private:
  ConnectionPool* pool_;
  std::string origin_;
  std::unique_ptr<Connection> connection_;
  bool reused_;
  bool keep_ = false;
};

// Keep-alive connections of every HttpClient running on one io_context, by origin. It is a
// service of the io_context (not a member of the client) because its sockets belong to the
// io_context: they are closed when it shuts down, whichever of the two outlives the other.
// Requests beyond an origin's limit wait in line, first come first served, until their deadline.
// Idle connections are reused newest first, so a quiet origin's older ones age out; expired ones
// are closed at the next request to any origin.
class ConnectionPool : public boost::asio::execution_context::service {
 public:
  using key_type = ConnectionPool;
  static boost::asio::execution_context::id id;  // NOLINT: Asio's service identification

  explicit ConnectionPool(boost::asio::execution_context& context);
  ~ConnectionPool() override;

  static ConnectionPool& of(const boost::asio::any_io_executor& executor);

  // `origin` names the pool: client, scheme, host, port and route (direct or through a proxy).
  boost::asio::awaitable<core::Result<Lease>> acquire(std::string origin, PoolLimits limits,
                                                      PoolClock::time_point deadline);

 private:
  friend class Lease;
  struct Grant;
  struct Waiter;
  struct Origin {
    PoolLimits limits;
    std::size_t open = 0;                          // in use or idle
    std::deque<std::unique_ptr<Connection>> idle;  // oldest first
    std::deque<std::shared_ptr<Waiter>> waiters;   // first come first served

    // A place given up (a lease without a connection, or an idle one closed). `open` is 0 here
    // only after shutdown(), when a lease outlived its origin.
    void release_place() {
      if (open > 0) --open;
    }
    void close(std::unique_ptr<Connection> connection,
               std::vector<std::unique_ptr<Connection>>& closing) {
      closing.push_back(std::move(connection));
      release_place();
    }
  };
  void shutdown() override;
  void enter(const std::string& origin, const PoolLimits& limits, core::Completion<Grant> served,
             const boost::asio::any_io_executor& executor, PoolClock::time_point deadline);
  void give_back(const std::string& origin, std::unique_ptr<Connection> connection);
  void give_up_waiting(const std::string& origin, const std::shared_ptr<Waiter>& waiter);
  std::unique_ptr<Connection> take_idle(Origin& origin,
                                        std::vector<std::unique_ptr<Connection>>& closing);
  static void close_expired(Origin& origin, std::vector<std::unique_ptr<Connection>>& closing);
  void close_expired_everywhere(std::vector<std::unique_ptr<Connection>>& closing);

  std::mutex mutex_;
  std::unordered_map<std::string, Origin> origins_;
};

}  // namespace oauth_manager::net
