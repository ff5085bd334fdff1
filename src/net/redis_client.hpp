#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.hpp"

struct redisContext;

namespace oauth_manager::net {

struct RedisReply {
  enum class Type { nil, integer, string, status, array };
  Type type = Type::nil;
  long long integer = 0;
  std::string text;
  std::vector<RedisReply> elements;
};

struct RedisAddress {
  std::string host;
  int port = 6379;
  std::string password;  // never logged
  int database = 0;
};

// redis://[:password@]host[:port][/db]. rediss:// (TLS) is refused: bookworm's hiredis 0.14 has
// no TLS support.
core::Result<RedisAddress> parse_redis_url(std::string_view url);

// A blocking Redis client over hiredis with a few pooled connections. Calls block for at most
// the timeout: run them on a BlockingPool. A failure (down, timeout) is `unavailable`.
class RedisClient {
 public:
  RedisClient(RedisAddress address, std::chrono::milliseconds timeout, int max_idle = 4);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  core::Result<RedisReply> command(const std::vector<std::string>& args);

 private:
  core::Result<redisContext*> checkout();
  void give_back(redisContext* context);

  RedisAddress address_;
  std::chrono::milliseconds timeout_;
  int max_idle_;
  std::mutex mutex_;
  std::vector<redisContext*> idle_;
};

}  // namespace oauth_manager::net
