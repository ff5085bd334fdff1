#include "support/running_service.hpp"

#include <regex>
#include <thread>

#include "support/api_harness.hpp"
#include "support/raw_http.hpp"
#include "support/signing_keys.hpp"

namespace oauth_manager::testing {

RunningService::RunningService(const std::string& binary, const TempDir& dir,
                               std::map<std::string, std::string> environment,
                               const std::vector<std::string>& launcher) {
  environment.emplace("OAUTH_MANAGER_SERVER_LISTEN", "127.0.0.1:0");
  environment.emplace("OAUTH_MANAGER_CRYPTO_KEYS", kHarnessDataKey);
  environment.emplace("OAUTH_MANAGER_AUTH_HS256_SECRET", kHarnessJwtSecret);
  environment.emplace("OAUTH_MANAGER_AUTH_AUDIENCE", kHarnessAudience);
  environment.emplace("OAUTH_MANAGER_SERVER_THREADS", "2");
  auto argv = launcher;
  argv.insert(argv.end(), {binary, "serve"});
  process_ = std::make_unique<ChildProcess>(argv, environment, dir.path());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const std::regex listening(R"re("address":"127\.0\.0\.1:(\d+)")re");
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    const auto log = process_->stderr_text();
    if (std::regex_search(log, match, listening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
      return;
    }
    if (process_->wait_for_exit(std::chrono::milliseconds(0))) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string RunningService::post(const std::string& target, const std::string& bearer,
                                 const std::string& json_body,
                                 std::chrono::milliseconds limit) const {
  return http_exchange(port_,
                       "POST " + target +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: "
                           "application/json\r\nAuthorization: Bearer " +
                           bearer + "\r\nContent-Length: " + std::to_string(json_body.size()) +
                           "\r\n\r\n" + json_body,
                       limit);
}

std::string RunningService::remove(const std::string& target, const std::string& bearer) const {
  return http_exchange(port_,
                       "DELETE " + target +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                           "Authorization: Bearer " +
                           bearer + "\r\n\r\n",
                       std::chrono::seconds(30));
}

std::string RunningService::get(const std::string& target, const std::string& bearer,
                                const std::string& cookie) const {
  std::string request = "GET " + target +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                        "Authorization: Bearer " +
                        bearer + "\r\n";
  if (!cookie.empty()) request += "Cookie: " + cookie + "\r\n";
  return http_exchange(port_, request + "\r\n");
}

std::string service_caller_token(const std::string& subject, const std::string& role) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return sign_hs256({{"sub", subject},
                     {"aud", kHarnessAudience},
                     {"roles", {role}},
                     {"iat", now},
                     {"exp", now + 600}},
                    kHarnessJwtSecret);
}

}  // namespace oauth_manager::testing
