#include "net/redis_client.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <charconv>

namespace oauth_manager::net {
namespace {

core::Error unavailable(std::string_view what) {
  return core::make_error(core::Code::unavailable, fmt::format("Redis: {}", what));
}

RedisReply convert(const redisReply* reply) {
  RedisReply out;
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = reply->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::string;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::status;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      for (std::size_t i = 0; i < reply->elements; ++i)
        out.elements.push_back(convert(reply->element[i]));
      break;
    default:
      break;
  }
  return out;
}

redisReply* run_argv(redisContext* context, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
}

timeval to_timeval(std::chrono::milliseconds timeout) {
  return timeval{static_cast<time_t>(timeout.count() / 1000),
                 static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
}

}  // namespace

core::Result<RedisAddress> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.rfind("rediss://", 0) == 0) {
    return core::make_error(core::Code::invalid_request,
                            "rediss:// (TLS) is not supported by this build's hiredis; use "
                            "redis:// through a local TLS proxy such as stunnel");
  }
  if (url.rfind(kScheme, 0) != 0) {
    return core::make_error(core::Code::invalid_request, "a Redis URL starts with redis://");
  }
  RedisAddress address;
  auto rest = url.substr(kScheme.size());
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    auto userinfo = rest.substr(0, at);
    const auto colon = userinfo.find(':');
    address.password =
        std::string(colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    const auto db = rest.substr(slash + 1);
    if (!db.empty() &&
        std::from_chars(db.data(), db.data() + db.size(), address.database).ec != std::errc{}) {
      return core::make_error(core::Code::invalid_request, "the Redis database must be a number");
    }
    rest = rest.substr(0, slash);
  }
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    const auto port = rest.substr(colon + 1);
    if (std::from_chars(port.data(), port.data() + port.size(), address.port).ec != std::errc{}) {
      return core::make_error(core::Code::invalid_request, "the Redis port must be a number");
    }
    rest = rest.substr(0, colon);
  }
  address.host = std::string(rest);
  if (address.host.empty())
    return core::make_error(core::Code::invalid_request, "the Redis URL has no host");
  return address;
}

RedisClient::RedisClient(RedisAddress address, std::chrono::milliseconds timeout, int max_idle)
    : address_(std::move(address)), timeout_(timeout), max_idle_(max_idle) {}

RedisClient::~RedisClient() {
  for (auto* context : idle_) redisFree(context);
}

core::Result<redisContext*> RedisClient::checkout() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto* context = idle_.back();
      idle_.pop_back();
      return context;
    }
  }
  const auto timeout = to_timeval(timeout_);
  redisContext* context = redisConnectWithTimeout(address_.host.c_str(), address_.port, timeout);
  if (context == nullptr || context->err != 0) {
    auto reason = context != nullptr ? std::string(context->errstr) : std::string("out of memory");
    if (context != nullptr) redisFree(context);
    return unavailable(
        fmt::format("cannot connect to {}:{}: {}", address_.host, address_.port, reason));
  }
  redisSetTimeout(context, timeout);
  const auto prepare = [&](const std::vector<std::string>& args) -> bool {
    auto* reply = run_argv(context, args);
    const bool ok = reply != nullptr && reply->type != REDIS_REPLY_ERROR;
    if (reply != nullptr) freeReplyObject(reply);
    return ok;
  };
  if ((!address_.password.empty() && !prepare({"AUTH", address_.password})) ||
      (address_.database != 0 && !prepare({"SELECT", std::to_string(address_.database)}))) {
    redisFree(context);
    return unavailable("authentication or database selection failed");
  }
  return context;
}

void RedisClient::give_back(redisContext* context) {
  std::lock_guard lock(mutex_);
  if (context->err == 0 && static_cast<int>(idle_.size()) < max_idle_) {
    idle_.push_back(context);
  } else {
    redisFree(context);
  }
}

core::Result<RedisReply> RedisClient::command(const std::vector<std::string>& args) {
  auto context = checkout();
  if (!context) return context.error();
  auto* reply = run_argv(*context, args);
  if (reply == nullptr) {
    auto error = unavailable(fmt::format("{} failed: {}", args.front(), (*context)->errstr));
    redisFree(*context);
    return error;
  }
  core::Result<RedisReply> result = convert(reply);
  if (reply->type == REDIS_REPLY_ERROR) {
    result = core::make_error(
        core::Code::internal,
        fmt::format("Redis {} failed: {}", args.front(), std::string(reply->str, reply->len)));
  }
  freeReplyObject(reply);
  give_back(*context);
  return result;
}

}  // namespace oauth_manager::net
