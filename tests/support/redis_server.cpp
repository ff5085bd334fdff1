#include "support/redis_server.hpp"

#include <csignal>
#include <filesystem>
#include <random>
#include <thread>

#include "net/redis_client.hpp"

namespace oauth_manager::testing {
namespace {

std::optional<std::string> find_redis_server() {
  for (const char* candidate : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
    if (std::filesystem::exists(candidate)) return std::string(candidate);
  }
  return std::nullopt;
}

bool answers(const std::string& url) {
  net::RedisClient client(*net::parse_redis_url(url), std::chrono::milliseconds(200), 1);
  auto reply = client.command({"PING"});
  return reply && reply->text == "PONG";
}

}  // namespace

std::unique_ptr<OwnRedisServer> OwnRedisServer::start() {
  const auto binary = find_redis_server();
  if (!binary) return nullptr;
  std::random_device seed;
  std::uniform_int_distribution<int> ports(20000, 60000);
  for (int attempt = 0; attempt < 8; ++attempt) {
    const auto port = std::to_string(ports(seed));
    std::unique_ptr<OwnRedisServer> server(new OwnRedisServer());
    server->process_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        *binary, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no"});
    server->url_ = "redis://127.0.0.1:" + port;
    for (int wait = 0; wait < 50; ++wait) {
      if (answers(server->url_)) return server;
      if (server->process_->wait_for_exit(std::chrono::milliseconds(0))) break;  // port taken
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return nullptr;
}

void OwnRedisServer::stop() {
  if (!process_) return;
  process_->send_signal(SIGKILL);
  process_->wait_for_exit(std::chrono::seconds(5));
}

}  // namespace oauth_manager::testing
