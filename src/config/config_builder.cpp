#include "config/config_builder.hpp"

namespace oauth_manager::config {

ConfigLoad ConfigBuilder::build() {
  Config config;
  build_server(config.server);
  build_database(config.database);
  build_redis(config.redis);
  build_crypto(config.crypto);
  build_auth(config.auth, config.redis);
  build_rate_limit(config.rate_limit, config.redis);
  build_return_urls(config.server);
  build_demo(config.demo, config.server);
  build_providers(config.providers, config.server);
  build_net(config.net);
  build_tokens(config.tokens);
  build_audit(config.audit);
  build_outbox(config.outbox);
  build_webhooks(config.webhooks);
  build_connect(config.connect);
  build_log(config.log);
  if (!problems_.empty()) return ConfigLoad{std::nullopt, std::move(problems_)};
  return ConfigLoad{std::move(config), {}};
}

int ConfigBuilder::integer_in_range(std::string_view section, std::string_view key, int fallback,
                                    int low, int high) {
  const auto* value = raw<std::int64_t>(section, key);
  if (value == nullptr) return fallback;
  if (*value < low || *value > high) {
    problem(fmt::format("{}.{}", section, key),
            fmt::format("must be between {} and {}, not {}", low, high, *value));
    return fallback;
  }
  return static_cast<int>(*value);
}

std::optional<std::string> ConfigBuilder::non_empty_string(std::string_view section,
                                                           std::string_view key) {
  const auto* value = raw<std::string>(section, key);
  if (value == nullptr) return std::nullopt;
  if (value->empty()) {
    problem(fmt::format("{}.{}", section, key), "must not be empty; remove the key instead");
    return std::nullopt;
  }
  return *value;
}

}  // namespace oauth_manager::config
