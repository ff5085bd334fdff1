#include "config/config.hpp"

#include "config/config_builder.hpp"

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
