#include "net/connection_pool.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <optional>
#include <utility>

namespace oauth_manager::net {

namespace asio = boost::asio;

boost::beast::tcp_stream& Connection::lowest() {
  return tls ? boost::beast::get_lowest_layer(*tls) : *plain;
}

bool Connection::nothing_buffered() {
  if (!tls) return true;  // a plain connection's reads leave nothing behind (Beast's buffer)
  // TLS reads ahead: records beyond the answer wait in OpenSSL or in its input BIO, where
  // poll() on the socket cannot see them.
  auto* ssl = tls->native_handle();
  return SSL_pending(ssl) == 0 && BIO_ctrl_pending(SSL_get_rbio(ssl)) == 0;
}

bool Connection::looks_alive() {
  auto& socket = lowest().socket();
  if (!socket.is_open() || !nothing_buffered()) return false;
  pollfd readable{socket.native_handle(), POLLIN, 0};
  return ::poll(&readable, 1, 0) == 0;
}

Lease::Lease(ConnectionPool& pool, std::string origin, std::unique_ptr<Connection> idle)
    : pool_(&pool),
      origin_(std::move(origin)),
      connection_(std::move(idle)),
      reused_(connection_ != nullptr) {}

Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      origin_(std::move(other.origin_)),
      connection_(std::move(other.connection_)),
      reused_(other.reused_),
      keep_(other.keep_) {}

Lease::~Lease() {
  if (pool_ == nullptr) return;
  pool_->give_back(origin_, keep_ && connection_ ? std::move(connection_) : nullptr);
}

void Lease::replace_dead() {
  connection_.reset();
  reused_ = false;
}

struct ConnectionPool::Grant {
  bool granted = false;
  std::unique_ptr<Connection> connection;  // null with `granted`: a place to open one
};

// Someone in line for an origin's connection. `served` is completed once, under the pool's
// lock, by whoever takes it out of the line (a connection given back, or its own deadline).
struct ConnectionPool::Waiter {
  core::Completion<Grant> served;
  std::unique_ptr<asio::steady_timer> deadline;
};

asio::execution_context::id ConnectionPool::id;

ConnectionPool::ConnectionPool(asio::execution_context& context)
    : asio::execution_context::service(context) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool& ConnectionPool::of(const asio::any_io_executor& executor) {
  return asio::use_service<ConnectionPool>(asio::query(executor, asio::execution::context));
}

asio::awaitable<core::Result<Lease>> ConnectionPool::acquire(std::string origin, PoolLimits limits,
                                                             PoolClock::time_point deadline) {
  const auto executor = co_await asio::this_coro::executor;
  auto in_line = [&](core::Completion<Grant> served) {
    enter(origin, limits, std::move(served), executor, deadline);
  };
  auto waiting = core::until_completed<Grant>(std::move(in_line));
  Grant grant = co_await std::move(waiting);
  if (!grant.granted) {
    co_return core::make_error(
        core::Code::unavailable,
        fmt::format("no connection to {} came free in time ({} in use)",
                    origin.substr(origin.find('/') + 1), limits.max_per_origin));
  }
  co_return Lease(*this, std::move(origin), std::move(grant.connection));
}

void ConnectionPool::enter(const std::string& name, const PoolLimits& limits,
                           core::Completion<Grant> served, const asio::any_io_executor& executor,
                           PoolClock::time_point deadline) {
  std::vector<std::unique_ptr<Connection>> closing;  // closed after the lock is released
  const std::lock_guard lock(mutex_);
  close_expired_everywhere(closing);
  auto& origin = origins_[name];
  origin.limits = limits;
  if (origin.waiters.empty()) {  // nobody is in line before us
    if (auto idle = take_idle(origin, closing)) {
      served.complete(Grant{true, std::move(idle)});
      return;
    }
    if (origin.open < limits.max_per_origin) {
      ++origin.open;
      served.complete(Grant{true, nullptr});
      return;
    }
  }
  auto waiter = std::make_shared<Waiter>();
  waiter->served = std::move(served);
  waiter->deadline = std::make_unique<asio::steady_timer>(executor, deadline);
  waiter->deadline->async_wait(
      [this, name, in_line = std::weak_ptr<Waiter>(waiter)](const boost::system::error_code& ec) {
        if (ec) return;  // cancelled: it was served first
        if (auto waiting = in_line.lock()) give_up_waiting(name, waiting);
      });
  origin.waiters.push_back(std::move(waiter));
}

void ConnectionPool::give_back(const std::string& name, std::unique_ptr<Connection> connection) {
  std::vector<std::unique_ptr<Connection>> closing;
  std::shared_ptr<Waiter> next;  // released after the lock, with its timer
  const std::lock_guard lock(mutex_);
  auto& origin = origins_[name];
  if (!origin.waiters.empty()) {
    // Handed straight to the first in line: the place (and the connection, if it is reusable)
    // never looks free to someone who arrived later.
    next = std::move(origin.waiters.front());
    origin.waiters.pop_front();
    next->deadline->cancel();
    next->served.complete(Grant{true, std::move(connection)});
    return;
  }
  if (connection) {
    connection->idle_since = PoolClock::now();
    origin.idle.push_back(std::move(connection));
  } else {
    origin.release_place();
  }
  close_expired_everywhere(closing);
}

void ConnectionPool::give_up_waiting(const std::string& name,
                                     const std::shared_ptr<Waiter>& waiter) {
  const std::lock_guard lock(mutex_);
  auto& waiters = origins_[name].waiters;
  const auto found = std::find(waiters.begin(), waiters.end(), waiter);
  if (found == waiters.end()) return;  // served in the meantime
  waiters.erase(found);
  waiter->served.complete(Grant{false, nullptr});
}

std::unique_ptr<Connection> ConnectionPool::take_idle(
    Origin& origin, std::vector<std::unique_ptr<Connection>>& closing) {
  while (!origin.idle.empty()) {
    auto newest = std::move(origin.idle.back());
    origin.idle.pop_back();
    if (newest->looks_alive()) return newest;
    origin.close(std::move(newest), closing);
  }
  return nullptr;
}

void ConnectionPool::close_expired_everywhere(std::vector<std::unique_ptr<Connection>>& closing) {
  // Every origin, not only the one in use: a provider nobody calls any more, or a client that
  // is gone, must not keep its idle sockets until the io_context ends.
  for (auto& [name, origin] : origins_) close_expired(origin, closing);
}

void ConnectionPool::close_expired(Origin& origin,
                                   std::vector<std::unique_ptr<Connection>>& closing) {
  const auto oldest_kept = PoolClock::now() - origin.limits.idle_timeout;
  while (!origin.idle.empty() && origin.idle.front()->idle_since <= oldest_kept) {
    auto expired = std::move(origin.idle.front());
    origin.idle.pop_front();
    origin.close(std::move(expired), closing);
  }
}

void ConnectionPool::shutdown() {
  std::unordered_map<std::string, Origin> closing;
  {
    const std::lock_guard lock(mutex_);
    closing.swap(origins_);
  }
  // Destroyed here, outside the lock: idle sockets close, and the handlers of those still in
  // line are dropped with the rest of the io_context's pending work.
}

}  // namespace oauth_manager::net
