#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace oauth_manager::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadConfig = 2;

// Loads the configuration, or prints every problem (each naming its key and the fix) to stderr
// and returns nullopt.
std::optional<config::Config> load_or_report(const std::optional<std::string>& config_file);

int serve_command(const config::Config& config);
int migrate_command(const config::Config& config);
int check_config_command(const std::optional<std::string>& config_file);
// What `mint-token` puts in a development token.
struct MintTokenOptions {
  std::string subject;
  std::vector<std::string> roles;
  std::vector<std::string> scopes;
  std::optional<std::string> session_id;
  int ttl_seconds = 3600;
};
int mint_token_command(const config::Config& config, const MintTokenOptions& options);
int rotate_keys_command(const config::Config& config, int batch_size);
int gen_key_command(const std::optional<std::string>& out_file, const std::string& kid);

}  // namespace oauth_manager::cli
