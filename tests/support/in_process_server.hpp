#pragma once

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "http/server.hpp"

namespace oauth_manager::testing {

// An http::Server on 127.0.0.1 and an ephemeral port, on its own I/O threads.
class InProcessServer {
 public:
  // Serves `router` (which must outlive the server) at once.
  explicit InProcessServer(const http::Router& router, int threads = 2);
  // Binds an ephemeral port now and serves nothing until serve(): for a service whose
  // configuration names its own URL (public URL, redirect URI), which is only known once the
  // port is bound. Connections that arrive in between wait in the listen backlog.
  static std::unique_ptr<InProcessServer> bound(int threads = 2);
  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;
  ~InProcessServer();

  // Starts serving a copy of `router` on a server made by bound().
  void serve(const http::Router& router);
  std::uint16_t port() const { return server_->port(); }
  // Stops serving and joins the I/O threads, keeping the io_context alive: whatever still holds
  // its executors (a blocking pool finishing a call) must be joined before it is destroyed.
  void stop();
  std::string url(const std::string& path) const;
  boost::asio::io_context& io() { return io_; }

 private:
  explicit InProcessServer(int threads);
  void listen(const http::Router& router);
  void start();

  int thread_count_;
  boost::asio::io_context io_;
  http::Router routes_;  // what a bound() server serves
  std::unique_ptr<http::Server> server_;
  std::vector<std::thread> threads_;
};

namespace detail {
template <typename T>
boost::asio::awaitable<void> store_result(boost::asio::awaitable<T> work, std::optional<T>* out) {
  out->emplace(co_await std::move(work));
}
}  // namespace detail

// Runs a coroutine on `io` (which some thread must be running) and waits for its result.
template <typename T>
T run_on(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
  std::optional<T> result;
  boost::asio::co_spawn(io, detail::store_result(std::move(work), &result), boost::asio::use_future)
      .get();
  return std::move(*result);
}

}  // namespace oauth_manager::testing
