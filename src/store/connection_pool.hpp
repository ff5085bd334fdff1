#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "store/sql_connection.hpp"

namespace oauth_manager::store {

// A fixed number of connections, opened lazily and reopened when one breaks. A lease returns its
// connection on destruction.
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<SqlConnection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    SqlConnection& operator*() const { return *connection_; }
    SqlConnection* operator->() const { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<SqlConnection> connection_;
  };

  ConnectionPool(ConnectionFactory factory, int size,
                 std::chrono::milliseconds wait_limit = std::chrono::seconds(10));

  // Waits up to the wait limit for a free connection; unavailable when none comes or the
  // database cannot be reached.
  core::Result<Lease> lease();

 private:
  void give_back(std::unique_ptr<SqlConnection> connection);

  ConnectionFactory factory_;
  int size_;
  std::chrono::milliseconds wait_limit_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<SqlConnection>> idle_;
  int open_ = 0;  // idle + leased
};

}  // namespace oauth_manager::store
