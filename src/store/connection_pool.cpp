#include "store/connection_pool.hpp"

namespace oauth_manager::store {

ConnectionPool::Lease::~Lease() {
  if (connection_ && pool_ != nullptr) pool_->give_back(std::move(connection_));
}

ConnectionPool::ConnectionPool(ConnectionFactory factory, int size,
                               std::chrono::milliseconds wait_limit)
    : factory_(std::move(factory)), size_(size), wait_limit_(wait_limit) {}

core::Result<ConnectionPool::Lease> ConnectionPool::lease() {
  std::unique_lock lock(mutex_);
  const bool got_one =
      available_.wait_for(lock, wait_limit_, [&] { return !idle_.empty() || open_ < size_; });
  if (!got_one) {
    return core::make_error(core::Code::unavailable,
                            "every database connection is busy; try again shortly");
  }
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(connection));
  }
  ++open_;
  lock.unlock();
  // Connect outside the lock: a slow database must not stall callers returning connections.
  auto connection = factory_();
  if (!connection) {
    lock.lock();
    --open_;
    available_.notify_one();
    return connection.error();
  }
  return Lease(this, std::move(*connection));
}

void ConnectionPool::give_back(std::unique_ptr<SqlConnection> connection) {
  std::lock_guard lock(mutex_);
  if (connection->healthy()) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;  // dropped; the next lease opens a fresh one
  }
  available_.notify_one();
}

}  // namespace oauth_manager::store
