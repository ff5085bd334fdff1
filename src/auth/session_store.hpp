#pragma once

#include <string>

#include "core/error.hpp"
#include "net/redis_client.hpp"

namespace oauth_manager::auth {

// Answers whether the application still considers a login session alive. Blocking.
class SessionStore {
 public:
  virtual ~SessionStore() = default;
  // unavailable when the answer cannot be had (Redis down).
  virtual core::Result<bool> session_active(const std::string& key) = 0;
};

// The application keeps a key per live session in Redis and deletes it at logout.
class RedisSessionStore final : public SessionStore {
 public:
  explicit RedisSessionStore(net::RedisClient& redis) : redis_(redis) {}
  core::Result<bool> session_active(const std::string& key) override;

 private:
  net::RedisClient& redis_;
};

}  // namespace oauth_manager::auth
