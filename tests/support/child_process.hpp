#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace oauth_manager::testing {

// A child process with its stdout and stderr captured to files. Killed (by its pid, never by
// name) if still running when the object goes away.
class ChildProcess {
 public:
  // `environment` is added to a minimal environment (PATH, HOME); nothing else is inherited, so
  // OAUTH_MANAGER_* variables of the developer's shell cannot leak into a test.
  ChildProcess(const std::vector<std::string>& argv,
               const std::map<std::string, std::string>& environment = {},
               const std::filesystem::path& working_directory = {});
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  void send_signal(int signal);
  // The exit status (or 128 + signal); nullopt if it is still running after `limit`.
  std::optional<int> wait_for_exit(std::chrono::milliseconds limit);
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  TempDir output_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

// Runs a command to completion (at most 60 s) and returns its exit status.
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& environment = {},
                          const std::filesystem::path& working_directory = {});

}  // namespace oauth_manager::testing
