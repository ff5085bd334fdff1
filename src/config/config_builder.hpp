#pragma once

// Private to src/config/: the builder behind load_config, shared by the files that implement it
// (config_schema.cpp reads, service_sections.cpp and security_sections.cpp build, private_file.cpp
// reads secrets).

#include <fmt/format.h>

#include <toml++/toml.h>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace oauth_manager::config {

enum class Kind { string, integer, boolean, string_list };

using RawValue = std::variant<std::string, std::int64_t, bool, std::vector<std::string>>;

constexpr std::string_view kProvidersSection = "providers";

// `message`, followed by the candidate closest to `wrong` when there is a plausible one.
std::string with_suggestion(std::string message, std::string_view wrong,
                            const std::vector<std::string>& candidates);

// The whole file, or nullopt when it cannot be read.
std::optional<std::string> read_file_text(const std::string& path);

std::string trim_trailing_newlines(std::string text);

// Collects the raw values from TOML and the environment, then turns them into a Config.
class ConfigBuilder {
 public:
  void read_file(const std::filesystem::path& file);
  void read_environment(const Environment& env);
  ConfigLoad build();

 private:
  void read_toml_value(const std::string& name, Kind kind, const toml::node& node);
  void read_env_value(const std::string& name, Kind kind, const std::string& variable,
                      const std::string& text);
  bool read_open_env_value(const std::string& variable, const std::string& text);
  bool read_provider_env_value(const std::string& variable, const std::string& text);
  void read_provider_tables(const toml::table& providers);
  std::optional<std::string> read_private_file(const std::string& key, const std::string& path,
                                               std::string_view hint);
  void problem(std::string key, std::string message) {
    problems_.push_back({std::move(key), std::move(message)});
  }

  template <typename T>
  const T* raw(std::string_view section, std::string_view key) const {
    const auto it = raw_.find(fmt::format("{}.{}", section, key));
    return it == raw_.end() ? nullptr : std::get_if<T>(&it->second);
  }
  int integer_in_range(std::string_view section, std::string_view key, int fallback, int low,
                       int high);

  void build_server(ServerConfig& server);
  void build_database(DatabaseConfig& database);
  void build_redis(RedisConfig& redis);
  void build_crypto(CryptoConfig& crypto);
  void build_auth(AuthConfig& auth, const RedisConfig& redis);
  void build_auth_keys(AuthConfig& auth);
  void build_roles(auth::RoleMap& roles);
  void build_rate_limit(RateLimitConfig& rate_limit, const RedisConfig& redis);
  void build_return_urls(ServerConfig& server);
  void build_providers(std::vector<providers::Provider>& enabled, const ServerConfig& server);
  providers::ProviderSettings provider_settings(const std::string& id);
  void build_log(LogConfig& log);
  void build_net(NetConfig& net);
  void build_tokens(TokensConfig& tokens);
  void build_audit(AuditConfig& audit);
  void build_connect(ConnectConfig& connect);
  // Before build_providers: an enabled demo adds the provider "demo".
  void build_demo(DemoConfig& demo, const ServerConfig& server);
  void build_outbox(OutboxConfig& outbox);
  void build_webhooks(WebhooksConfig& webhooks);
  std::optional<std::string> non_empty_string(std::string_view section, std::string_view key);

  std::map<std::string, RawValue> raw_;
  std::vector<ConfigProblem> problems_;
  // The standard proxy variables (HTTPS_PROXY, NO_PROXY, either case), used when [net] is silent.
  std::map<std::string, std::string> proxy_environment_;
};

}  // namespace oauth_manager::config
