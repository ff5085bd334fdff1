#include "config/config.hpp"

#include "config/config_builder.hpp"
#include "net/url.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in a header

namespace oauth_manager::config {

ConfigLoad load_config(const std::optional<std::filesystem::path>& file, const Environment& env) {
  ConfigBuilder builder;
  if (file) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(*file, error)) {
      return ConfigLoad{std::nullopt,
                        {{file->string(), "the config file does not exist or is not a file"}}};
    }
    builder.read_file(*file);
  }
  builder.read_environment(env);
  return builder.build();
}

std::vector<ConfigProblem> config_warnings(const Config& config) {
  std::vector<ConfigProblem> warnings;
  const auto public_url = net::parse_url(config.server.public_url);
  if (!config.connect.confirm_url && public_url && !public_url->loopback_host()) {
    warnings.push_back(
        {"connect.confirm_url",
         "not set: a start link forwarded to someone else connects their account to the user "
         "who made the link. Set it to an application page that confirms its logged-in user "
         "(docs/security.md, \"Account linking\")"});
  }
  return warnings;
}

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return env;
}

}  // namespace oauth_manager::config
