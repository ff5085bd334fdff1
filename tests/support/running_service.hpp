#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace oauth_manager::testing {

// `oauth-manager serve` as a child process on 127.0.0.1 (an ephemeral port unless the
// environment names one), with a data key and a caller secret unless the environment sets them.
// The port is read from the "server.listening" log line. `launcher` is a command the binary runs
// under (`prlimit --nofile=64 --`), none by default.
class RunningService {
 public:
  RunningService(const std::string& binary, const TempDir& dir,
                 std::map<std::string, std::string> environment,
                 const std::vector<std::string>& launcher = {});

  std::uint16_t port() const { return port_; }  // 0 when it did not start
  ChildProcess& process() { return *process_; }

  // One JSON request with a bearer token on a fresh connection; the raw response.
  std::string post(const std::string& target, const std::string& bearer,
                   const std::string& json_body,
                   std::chrono::milliseconds limit = std::chrono::seconds(30)) const;
  // DELETE with a bearer token on a fresh connection; the raw response.
  std::string remove(const std::string& target, const std::string& bearer) const;
  // `cookie`: a Cookie header's value to send ("name=value"), none when empty.
  std::string get(const std::string& target, const std::string& bearer,
                  const std::string& cookie = "") const;

 private:
  std::unique_ptr<ChildProcess> process_;
  std::uint16_t port_ = 0;
};

// A caller JWT for a RunningService (signed with its default secret), valid for ten minutes.
std::string service_caller_token(const std::string& subject, const std::string& role);

}  // namespace oauth_manager::testing
