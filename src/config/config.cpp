#include "config/config.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <toml++/toml.h>
#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <variant>

#include "config/suggest.hpp"
#include "crypto/verification_key.hpp"
#include "net/redis_client.hpp"
#include "net/url.hpp"
#include "providers/catalog.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in a header

namespace oauth_manager::config {
namespace {

constexpr std::string_view kEnvPrefix = "OAUTH_MANAGER_";
// Read by the CLI to find the config file; not a setting itself.
constexpr std::string_view kConfigPathVariable = "OAUTH_MANAGER_CONFIG";

enum class Kind { string, integer, boolean, string_list };

struct KeySpec {
  std::string_view section;
  std::string_view key;
  Kind kind;
};

constexpr std::array kKeys = {
    KeySpec{"server", "listen", Kind::string},
    KeySpec{"server", "public_url", Kind::string},
    KeySpec{"server", "threads", Kind::integer},
    KeySpec{"server", "max_body_bytes", Kind::integer},
    KeySpec{"server", "max_header_bytes", Kind::integer},
    KeySpec{"server", "read_timeout_seconds", Kind::integer},
    KeySpec{"server", "idle_timeout_seconds", Kind::integer},
    KeySpec{"server", "shutdown_timeout_seconds", Kind::integer},
    KeySpec{"server", "allowed_return_urls", Kind::string_list},
    KeySpec{"database", "url", Kind::string},
    KeySpec{"database", "pool_size", Kind::integer},
    KeySpec{"database", "migrate_on_start", Kind::boolean},
    KeySpec{"redis", "url", Kind::string},
    KeySpec{"crypto", "keys", Kind::string_list},
    KeySpec{"crypto", "keys_file", Kind::string},
    KeySpec{"auth", "hs256_secret", Kind::string},
    KeySpec{"auth", "hs256_secret_file", Kind::string},
    KeySpec{"auth", "public_key_file", Kind::string},
    KeySpec{"auth", "jwks_url", Kind::string},
    KeySpec{"auth", "allow_insecure_loopback", Kind::boolean},
    KeySpec{"auth", "issuer", Kind::string},
    KeySpec{"auth", "audience", Kind::string},
    KeySpec{"auth", "leeway_seconds", Kind::integer},
    KeySpec{"auth", "roles_claim", Kind::string},
    KeySpec{"auth", "session_claim", Kind::string},
    KeySpec{"auth", "session_key_pattern", Kind::string},
    KeySpec{"auth", "session_failure", Kind::string},
    KeySpec{"rate_limit", "enabled", Kind::boolean},
    KeySpec{"rate_limit", "requests_per_second", Kind::integer},
    KeySpec{"rate_limit", "burst", Kind::integer},
    KeySpec{"rate_limit", "store", Kind::string},
    KeySpec{"tokens", "assumed_lifetime_seconds", Kind::integer},
    KeySpec{"tokens", "background_refresh", Kind::boolean},
    KeySpec{"tokens", "refresh_ahead_seconds", Kind::integer},
    KeySpec{"tokens", "background_interval_seconds", Kind::integer},
    KeySpec{"tokens", "background_concurrency", Kind::integer},
    KeySpec{"tokens", "refresh_lease_seconds", Kind::integer},
    KeySpec{"audit", "flush_interval_ms", Kind::integer},
    KeySpec{"audit", "coalesce_reads", Kind::boolean},
    KeySpec{"webhooks", "url", Kind::string},
    KeySpec{"webhooks", "secret", Kind::string},
    KeySpec{"webhooks", "secret_file", Kind::string},
    KeySpec{"webhooks", "allow_insecure_loopback", Kind::boolean},
    KeySpec{"net", "https_proxy", Kind::string},
    KeySpec{"net", "no_proxy", Kind::string_list},
    KeySpec{"log", "level", Kind::string},
    KeySpec{"log", "format", Kind::string},
};

// Sections whose keys are names the operator chooses; every value has the same kind.
struct OpenSection {
  std::string_view section;
  Kind kind;
};
constexpr std::array kOpenSections = {
    OpenSection{"roles", Kind::string_list},  // role name = ["permission", ...]
};

const OpenSection* find_open_section(std::string_view section) {
  const auto it = std::find_if(kOpenSections.begin(), kOpenSections.end(),
                               [&](const OpenSection& open) { return open.section == section; });
  return it == kOpenSections.end() ? nullptr : &*it;
}

// [providers.<id>] keys besides the overridable catalog fields (which are strings or booleans).
constexpr std::array kProviderKeys = {
    std::pair<std::string_view, Kind>{"client_id", Kind::string},
    std::pair<std::string_view, Kind>{"client_secret", Kind::string},
    std::pair<std::string_view, Kind>{"client_secret_file", Kind::string},
    std::pair<std::string_view, Kind>{"redirect_uri", Kind::string},
    std::pair<std::string_view, Kind>{"scopes", Kind::string_list},
    std::pair<std::string_view, Kind>{"allow_insecure_loopback", Kind::boolean},
};
constexpr std::string_view kProvidersSection = "providers";

std::optional<Kind> provider_key_kind(std::string_view key) {
  for (const auto& [name, kind] : kProviderKeys) {
    if (name == key) return kind;
  }
  const auto& fields = providers::overridable_fields();
  if (std::find(fields.begin(), fields.end(), key) != fields.end()) return Kind::string;
  return std::nullopt;
}

std::vector<std::string> all_provider_keys() {
  std::vector<std::string> names;
  for (const auto& [name, kind] : kProviderKeys) names.emplace_back(name);
  for (const auto& field : providers::overridable_fields()) names.push_back(field);
  return names;
}

bool valid_provider_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string uppercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

using RawValue = std::variant<std::string, std::int64_t, bool, std::vector<std::string>>;

std::string dotted(const KeySpec& spec) { return fmt::format("{}.{}", spec.section, spec.key); }

std::string env_name(const KeySpec& spec) {
  auto name = fmt::format("{}{}_{}", kEnvPrefix, spec.section, spec.key);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return name;
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::string:
      return "a string";
    case Kind::integer:
      return "an integer";
    case Kind::boolean:
      return "true or false";
    case Kind::string_list:
      return "an array of strings";
  }
  return "a value";
}

const KeySpec* find_spec(std::string_view section, std::string_view key) {
  const auto it = std::find_if(kKeys.begin(), kKeys.end(), [&](const KeySpec& spec) {
    return spec.section == section && spec.key == key;
  });
  return it == kKeys.end() ? nullptr : &*it;
}

std::vector<std::string> all_dotted_keys() {
  std::vector<std::string> names;
  for (const auto& spec : kKeys) names.push_back(dotted(spec));
  return names;
}

std::vector<std::string> all_sections() {
  std::vector<std::string> names;
  names.emplace_back(kProvidersSection);
  for (const auto& open : kOpenSections) names.emplace_back(open.section);
  for (const auto& spec : kKeys) {
    if (std::find(names.begin(), names.end(), spec.section) == names.end()) {
      names.emplace_back(spec.section);
    }
  }
  return names;
}

std::string with_suggestion(std::string message, std::string_view wrong,
                            const std::vector<std::string>& candidates) {
  if (auto closest = closest_match(wrong, candidates)) {
    message += fmt::format("; did you mean \"{}\"?", *closest);
  }
  return message;
}

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
  void build_webhooks(WebhooksConfig& webhooks);
  std::optional<std::string> non_empty_string(std::string_view section, std::string_view key);

  std::map<std::string, RawValue> raw_;
  std::vector<ConfigProblem> problems_;
  // The standard proxy variables (HTTPS_PROXY, NO_PROXY, either case), used when [net] is silent.
  std::map<std::string, std::string> proxy_environment_;
};

void ConfigBuilder::read_file(const std::filesystem::path& file) {
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    problem(file.string(), fmt::format("not valid TOML at line {}, column {}: {}", where.line,
                                       where.column, error.description()));
    return;
  }
  for (const auto& [section_key, section_node] : table) {
    const std::string section(section_key.str());
    const auto* section_table = section_node.as_table();
    if (section_table == nullptr) {
      problem(section, with_suggestion(fmt::format("unknown top-level key \"{}\"", section),
                                       section, all_sections()));
      continue;
    }
    if (section == kProvidersSection) {
      read_provider_tables(*section_table);
      continue;
    }
    const auto* open = find_open_section(section);
    for (const auto& [key_name, node] : *section_table) {
      const std::string key(key_name.str());
      if (open != nullptr) {
        read_toml_value(fmt::format("{}.{}", section, key), open->kind, node);
        continue;
      }
      const auto* spec = find_spec(section, key);
      if (spec == nullptr) {
        const auto name = fmt::format("{}.{}", section, key);
        problem(name,
                with_suggestion(fmt::format("unknown key \"{}\"", name), name, all_dotted_keys()));
        continue;
      }
      read_toml_value(dotted(*spec), spec->kind, node);
    }
  }
}

// [providers.google] client_id = "...": one table per provider id.
void ConfigBuilder::read_provider_tables(const toml::table& providers) {
  const auto known = all_provider_keys();
  for (const auto& [id_name, node] : providers) {
    const std::string id(id_name.str());
    const auto* table = node.as_table();
    if (table == nullptr || !valid_provider_id(id)) {
      problem(fmt::format("providers.{}", id),
              "must be a table [providers.<id>] with an id of a-z, 0-9, _ and -");
      continue;
    }
    for (const auto& [key_name, value] : *table) {
      const std::string key(key_name.str());
      const auto name = fmt::format("providers.{}.{}", id, key);
      const auto kind = provider_key_kind(key);
      if (!kind) {
        problem(name,
                with_suggestion(fmt::format("unknown provider setting \"{}\"", key), key, known));
        continue;
      }
      // Catalog flags (pkce, refresh_token_rotates) may be written as TOML booleans.
      if (const auto flag = value.value<bool>();
          flag && value.is_boolean() && *kind == Kind::string) {
        raw_[name] = std::string(*flag ? "true" : "false");
        continue;
      }
      read_toml_value(name, *kind, value);
    }
  }
}

void ConfigBuilder::read_toml_value(const std::string& name, Kind kind, const toml::node& node) {
  const auto wrong_type = [&] { problem(name, fmt::format("must be {}", kind_name(kind))); };
  switch (kind) {
    case Kind::string:
      if (auto value = node.value<std::string>(); value && node.is_string()) {
        raw_[name] = *value;
      } else {
        wrong_type();
      }
      return;
    case Kind::integer:
      if (auto value = node.value<std::int64_t>(); value && node.is_integer()) {
        raw_[name] = *value;
      } else {
        wrong_type();
      }
      return;
    case Kind::boolean:
      if (auto value = node.value<bool>(); value && node.is_boolean()) {
        raw_[name] = *value;
      } else {
        wrong_type();
      }
      return;
    case Kind::string_list: {
      const auto* array = node.as_array();
      std::vector<std::string> items;
      if (array == nullptr || !array->is_homogeneous<std::string>()) {
        wrong_type();
        return;
      }
      for (const auto& item : *array) items.push_back(*item.value<std::string>());
      raw_[name] = std::move(items);
      return;
    }
  }
}

void ConfigBuilder::read_environment(const Environment& env) {
  std::vector<std::string> known;
  for (const auto& spec : kKeys) known.push_back(env_name(spec));
  for (const auto& [variable, text] : env) {
    const auto upper = uppercase(variable);
    if (upper == "HTTPS_PROXY" || upper == "NO_PROXY") {
      // The lowercase form wins, as curl does, when both are set.
      if (variable != upper || !proxy_environment_.count(upper)) proxy_environment_[upper] = text;
      continue;
    }
    if (variable.rfind(kEnvPrefix, 0) != 0 || variable == kConfigPathVariable) continue;
    const auto it = std::find_if(kKeys.begin(), kKeys.end(),
                                 [&](const KeySpec& spec) { return env_name(spec) == variable; });
    if (it != kKeys.end()) {
      read_env_value(dotted(*it), it->kind, variable, text);
    } else if (!read_open_env_value(variable, text) && !read_provider_env_value(variable, text)) {
      problem(variable, with_suggestion("unknown setting", variable, known));
    }
  }
}

// OAUTH_MANAGER_ROLES_AUDITOR=audit:read sets [roles] auditor.
bool ConfigBuilder::read_open_env_value(const std::string& variable, const std::string& text) {
  for (const auto& open : kOpenSections) {
    std::string prefix = fmt::format("{}{}_", kEnvPrefix, open.section);
    std::transform(prefix.begin(), prefix.end(), prefix.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (variable.size() <= prefix.size() || variable.rfind(prefix, 0) != 0) continue;
    std::string key = variable.substr(prefix.size());
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    read_env_value(fmt::format("{}.{}", open.section, key), open.kind, variable, text);
    return true;
  }
  return false;
}

// OAUTH_MANAGER_PROVIDERS_<ID>_<KEY>: the id is whatever precedes a known key, so ids may
// contain underscores ("OAUTH_MANAGER_PROVIDERS_MY_IDP_CLIENT_ID" is my_idp's client_id).
bool ConfigBuilder::read_provider_env_value(const std::string& variable, const std::string& text) {
  const auto prefix = uppercase(fmt::format("{}{}_", kEnvPrefix, kProvidersSection));
  if (variable.rfind(prefix, 0) != 0) return false;
  const auto rest = variable.substr(prefix.size());
  auto keys = all_provider_keys();
  // Longest first: CLIENT_SECRET_FILE before anything it ends with.
  std::sort(keys.begin(), keys.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& key : keys) {
    const auto suffix = "_" + uppercase(key);
    if (rest.size() <= suffix.size() ||
        rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    std::string id = rest.substr(0, rest.size() - suffix.size());
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!valid_provider_id(id)) return false;
    read_env_value(fmt::format("providers.{}.{}", id, key), *provider_key_kind(key), variable,
                   text);
    return true;
  }
  return false;
}

void ConfigBuilder::read_env_value(const std::string& name, Kind kind, const std::string& variable,
                                   const std::string& text) {
  switch (kind) {
    case Kind::string:
      raw_[name] = text;
      return;
    case Kind::integer: {
      std::int64_t value = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc{} || end != text.data() + text.size()) {
        problem(variable, "must be an integer");
        return;
      }
      raw_[name] = value;
      return;
    }
    case Kind::boolean:
      if (text == "true" || text == "1") {
        raw_[name] = true;
      } else if (text == "false" || text == "0") {
        raw_[name] = false;
      } else {
        problem(variable, "must be true or false");
      }
      return;
    case Kind::string_list: {
      // Comma-separated: "a,b" becomes ["a", "b"].
      std::vector<std::string> items;
      std::stringstream stream(text);
      for (std::string item; std::getline(stream, item, ',');) {
        if (!item.empty()) items.push_back(item);
      }
      raw_[name] = std::move(items);
      return;
    }
  }
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

bool parse_listen(std::string_view listen, std::string& host, std::uint16_t& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto host_part = listen.substr(0, colon);
  if (host_part.front() == '[') {
    if (host_part.back() != ']') return false;
    host_part = host_part.substr(1, host_part.size() - 2);
  }
  const auto port_part = listen.substr(colon + 1);
  unsigned value = 0;
  const auto [end, error] =
      std::from_chars(port_part.data(), port_part.data() + port_part.size(), value);
  if (error != std::errc{} || end != port_part.data() + port_part.size() || value > 65535) {
    return false;
  }
  host = std::string(host_part);
  port = static_cast<std::uint16_t>(value);
  return !host.empty();
}

void ConfigBuilder::build_server(ServerConfig& server) {
  if (const auto* listen = raw<std::string>("server", "listen")) {
    if (!parse_listen(*listen, server.listen_host, server.listen_port)) {
      problem("server.listen",
              fmt::format("\"{}\" is not host:port, e.g. \"127.0.0.1:8000\" or \"[::1]:8000\"",
                          *listen));
    }
  }
  const bool ipv6 = server.listen_host.find(':') != std::string::npos;
  server.public_url = fmt::format("http://{}{}{}:{}", ipv6 ? "[" : "", server.listen_host,
                                  ipv6 ? "]" : "", server.listen_port);
  if (const auto* url = raw<std::string>("server", "public_url")) {
    const bool http = url->rfind("http://", 0) == 0 || url->rfind("https://", 0) == 0;
    if (!http || url->find_first_of("?#") != std::string::npos) {
      problem("server.public_url",
              "must be an http:// or https:// URL without query or fragment, e.g. "
              "\"https://oauth.example.com\"");
    } else {
      server.public_url = *url;
      while (server.public_url.size() > 8 && server.public_url.back() == '/') {
        server.public_url.pop_back();
      }
    }
  }
  const int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  server.threads = integer_in_range("server", "threads", cores, 1, 256);
  server.max_body_bytes = static_cast<std::size_t>(integer_in_range(
      "server", "max_body_bytes", static_cast<int>(server.max_body_bytes), 1024, 64 << 20));
  server.max_header_bytes = static_cast<std::size_t>(integer_in_range(
      "server", "max_header_bytes", static_cast<int>(server.max_header_bytes), 1024, 1 << 20));
  server.read_timeout_seconds =
      integer_in_range("server", "read_timeout_seconds", server.read_timeout_seconds, 1, 3600);
  server.idle_timeout_seconds =
      integer_in_range("server", "idle_timeout_seconds", server.idle_timeout_seconds, 1, 3600);
  server.shutdown_timeout_seconds = integer_in_range("server", "shutdown_timeout_seconds",
                                                     server.shutdown_timeout_seconds, 1, 3600);
}

void ConfigBuilder::build_database(DatabaseConfig& database) {
  if (const auto* url = raw<std::string>("database", "url")) database.url = *url;
  const bool sqlite = database.url.rfind("sqlite://", 0) == 0 && database.url.size() > 9;
  const bool postgres =
      database.url.rfind("postgresql://", 0) == 0 || database.url.rfind("postgres://", 0) == 0;
  if (!sqlite && !postgres) {
    problem("database.url",
            "must be \"sqlite://<path>\" (e.g. \"sqlite://var/oauth-manager.db\", or "
            "\"sqlite:///var/lib/oauth-manager/db.sqlite\" for an absolute path) or "
            "\"postgresql://user:password@host:port/database\"");
  }
  database.pool_size = integer_in_range("database", "pool_size", database.pool_size, 1, 256);
  if (const auto* migrate = raw<bool>("database", "migrate_on_start")) {
    database.migrate_on_start = *migrate;
  }
}

void ConfigBuilder::build_redis(RedisConfig& redis) {
  if (const auto* url = raw<std::string>("redis", "url")) {
    if (auto address = net::parse_redis_url(*url); !address) {
      problem("redis.url", address.error().message);
    } else {
      redis.url = *url;
    }
  }
}

constexpr std::string_view kCreateKeyHint =
    "create one with `oauth-manager gen-key --out var/dev.keys` and set [crypto] keys_file = "
    "\"var/dev.keys\" (or OAUTH_MANAGER_CRYPTO_KEYS_FILE)";

// A file holding a secret: it must exist and must not be readable by every user.
std::optional<std::string> ConfigBuilder::read_private_file(const std::string& key,
                                                            const std::string& path,
                                                            std::string_view hint) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    problem(key, fmt::format("cannot read \"{}\"; {}", path, hint));
    return std::nullopt;
  }
  if ((info.st_mode & S_IROTH) != 0) {
    problem(key, fmt::format("\"{}\" is readable by every user; run `chmod 600 {}`", path, path));
    return std::nullopt;
  }
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  if (!in) {
    problem(key, fmt::format("cannot read \"{}\"; {}", path, hint));
    return std::nullopt;
  }
  return contents.str();
}

void ConfigBuilder::build_crypto(CryptoConfig& crypto) {
  const auto* keys = raw<std::vector<std::string>>("crypto", "keys");
  const auto* keys_file = raw<std::string>("crypto", "keys_file");
  if (keys != nullptr && keys_file != nullptr) {
    problem("crypto.keys", "set either crypto.keys or crypto.keys_file, not both");
    return;
  }
  if (keys != nullptr) {
    for (std::size_t i = 0; i < keys->size(); ++i) {
      auto key = crypto::parse_data_key((*keys)[i]);
      if (!key) {
        problem(fmt::format("crypto.keys[{}]", i), key.error().message);
        continue;
      }
      crypto.keys.push_back(std::move(*key));
    }
  } else if (keys_file != nullptr) {
    const auto contents = read_private_file("crypto.keys_file", *keys_file, kCreateKeyHint);
    if (!contents) return;
    auto parsed = crypto::parse_keys_file(*contents);
    if (!parsed) {
      problem("crypto.keys_file", fmt::format("\"{}\" {}", *keys_file, parsed.error().message));
      return;
    }
    crypto.keys = std::move(*parsed);
  }
  if (crypto.keys.empty() && !std::any_of(problems_.begin(), problems_.end(), [](const auto& p) {
        return p.key.rfind("crypto.", 0) == 0;
      })) {
    problem("crypto.keys", fmt::format("no encryption key is configured; {}", kCreateKeyHint));
  }
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

constexpr std::string_view kAuthKeyHint =
    "for development, create a secret with `head -c 48 /dev/urandom | base64 -w0 > "
    "var/dev-jwt.secret && chmod 600 var/dev-jwt.secret` and set [auth] hs256_secret_file = "
    "\"var/dev-jwt.secret\"; in production set public_key_file or jwks_url to the application's "
    "signing key";

std::string trim_trailing_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// Exactly one of hs256_secret, hs256_secret_file, public_key_file, jwks_url.
void ConfigBuilder::build_auth_keys(AuthConfig& auth) {
  const auto secret = non_empty_string("auth", "hs256_secret");
  const auto secret_file = non_empty_string("auth", "hs256_secret_file");
  const auto public_key_file = non_empty_string("auth", "public_key_file");
  const auto jwks_url = non_empty_string("auth", "jwks_url");
  const int sources = int{secret.has_value()} + int{secret_file.has_value()} +
                      int{public_key_file.has_value()} + int{jwks_url.has_value()};
  if (sources == 0) {
    problem("auth.hs256_secret_file",
            fmt::format("no key to verify callers' JWTs is configured; {}", kAuthKeyHint));
    return;
  }
  if (sources > 1) {
    problem("auth.hs256_secret",
            "set exactly one of auth.hs256_secret, auth.hs256_secret_file, auth.public_key_file "
            "and auth.jwks_url");
    return;
  }
  if (secret || secret_file) {
    auto value =
        secret ? secret : read_private_file("auth.hs256_secret_file", *secret_file, kAuthKeyHint);
    if (!value) return;
    *value = trim_trailing_newlines(std::move(*value));
    if (auto key = crypto::VerificationKey::hmac(*value); !key) {
      problem(secret ? "auth.hs256_secret" : "auth.hs256_secret_file", key.error().message);
      return;
    }
    auth.hs256_secret = std::move(value);
  } else if (public_key_file) {
    std::ifstream in(*public_key_file);
    std::stringstream contents;
    contents << in.rdbuf();
    if (!in) {
      problem("auth.public_key_file", fmt::format("cannot read \"{}\"", *public_key_file));
      return;
    }
    if (auto key = crypto::VerificationKey::from_pem(contents.str()); !key) {
      problem("auth.public_key_file",
              fmt::format("\"{}\": {}", *public_key_file, key.error().message));
      return;
    }
    auth.public_key_pem = contents.str();
  } else {
    const bool https = jwks_url->rfind("https://", 0) == 0;
    const bool http = jwks_url->rfind("http://", 0) == 0;
    if (!https && !(http && auth.allow_insecure_loopback)) {
      problem("auth.jwks_url",
              "must be an https:// URL (http:// only for a loopback address with "
              "auth.allow_insecure_loopback = true)");
      return;
    }
    auth.jwks_url = jwks_url;
  }
}

void ConfigBuilder::build_auth(AuthConfig& auth, const RedisConfig& redis) {
  if (const auto* insecure = raw<bool>("auth", "allow_insecure_loopback")) {
    auth.allow_insecure_loopback = *insecure;
  }
  build_auth_keys(auth);
  auth.issuer = non_empty_string("auth", "issuer");
  auth.audience = non_empty_string("auth", "audience");
  auth.leeway_seconds = integer_in_range("auth", "leeway_seconds", auth.leeway_seconds, 0, 600);
  if (auto claim = non_empty_string("auth", "roles_claim")) auth.roles_claim = *claim;
  auth.session_claim = non_empty_string("auth", "session_claim");
  if (auto pattern = non_empty_string("auth", "session_key_pattern")) {
    if (pattern->find("{sid}") == std::string::npos) {
      problem("auth.session_key_pattern", "must contain {sid}, e.g. \"session:{sid}\"");
    } else {
      auth.session_key_pattern = *pattern;
    }
  }
  if (const auto* failure = raw<std::string>("auth", "session_failure")) {
    if (*failure == "closed" || *failure == "open") {
      auth.session_fail_open = *failure == "open";
    } else {
      problem("auth.session_failure",
              "must be \"closed\" (reject callers while Redis is down; the default) or \"open\"");
    }
  }
  if (auth.session_claim && !redis.url) {
    problem("auth.session_claim",
            "session revocation needs Redis: set [redis] url, or remove auth.session_claim");
  }
  build_roles(auth.roles);
}

// [roles] name = ["integrations:read", ...] replaces that role's permissions or adds a role.
void ConfigBuilder::build_roles(auth::RoleMap& roles) {
  static const auto kPermissionNames = core::permission_names();
  constexpr std::string_view kPrefix = "roles.";
  for (const auto& [name, value] : raw_) {
    if (name.rfind(kPrefix, 0) != 0) continue;
    const auto* permissions = std::get_if<std::vector<std::string>>(&value);
    if (permissions == nullptr) continue;
    std::set<core::Permission> granted;
    for (const auto& permission_text : *permissions) {
      if (auto permission = core::parse_permission(permission_text)) {
        granted.insert(*permission);
      } else {
        problem(name, with_suggestion(fmt::format("unknown permission \"{}\"", permission_text),
                                      permission_text, kPermissionNames));
      }
    }
    roles[name.substr(kPrefix.size())] = std::move(granted);
  }
}

void ConfigBuilder::build_rate_limit(RateLimitConfig& rate_limit, const RedisConfig& redis) {
  if (const auto* enabled = raw<bool>("rate_limit", "enabled")) rate_limit.enabled = *enabled;
  rate_limit.requests_per_second = integer_in_range("rate_limit", "requests_per_second",
                                                    rate_limit.requests_per_second, 1, 1000000);
  rate_limit.burst = integer_in_range("rate_limit", "burst", rate_limit.burst, 1, 1000000);
  rate_limit.store = redis.url ? RateLimitStore::redis : RateLimitStore::memory;
  if (const auto* store = raw<std::string>("rate_limit", "store")) {
    if (*store == "memory") {
      rate_limit.store = RateLimitStore::memory;
    } else if (*store == "redis" && redis.url) {
      rate_limit.store = RateLimitStore::redis;
    } else if (*store == "redis") {
      problem("rate_limit.store", "\"redis\" needs [redis] url; set it or use \"memory\"");
    } else {
      problem("rate_limit.store",
              "must be \"memory\" (per replica) or \"redis\" (shared by every replica)");
    }
  }
}

// Each entry: an absolute http(s) URL; a return_to matches when scheme, host and port are equal
// and its path starts with the entry's path.
void ConfigBuilder::build_return_urls(ServerConfig& server) {
  const auto* urls = raw<std::vector<std::string>>("server", "allowed_return_urls");
  if (urls == nullptr) return;
  for (std::size_t i = 0; i < urls->size(); ++i) {
    const auto& url = (*urls)[i];
    if (!net::parse_url(url) || url.find_first_of("?#") != std::string::npos) {
      problem(fmt::format("server.allowed_return_urls[{}]", i),
              "must be an absolute http(s) URL without query or fragment, e.g. "
              "\"https://app.example.com/settings/integrations\"");
      continue;
    }
    server.allowed_return_urls.push_back(url);
  }
}

providers::ProviderSettings ConfigBuilder::provider_settings(const std::string& id) {
  const auto section = fmt::format("providers.{}", id);
  providers::ProviderSettings settings;
  settings.id = id;
  settings.client_id = non_empty_string(section, "client_id");
  settings.client_secret = non_empty_string(section, "client_secret");
  if (const auto file = non_empty_string(section, "client_secret_file")) {
    if (settings.client_secret) {
      problem(section + ".client_secret", "set client_secret or client_secret_file, not both");
    }
    settings.client_secret = read_private_file(section + ".client_secret_file", *file,
                                               "write the provider's client secret into it");
    if (settings.client_secret)
      *settings.client_secret = trim_trailing_newlines(*settings.client_secret);
  }
  settings.redirect_uri = non_empty_string(section, "redirect_uri");
  if (const auto* scopes = raw<std::vector<std::string>>(section, "scopes"))
    settings.scopes = *scopes;
  if (const auto* insecure = raw<bool>(section, "allow_insecure_loopback")) {
    settings.allow_insecure_loopback = *insecure;
  }
  for (const auto& field : providers::overridable_fields()) {
    if (const auto value = non_empty_string(section, field))
      settings.overrides.emplace_back(field, *value);
  }
  return settings;
}

void ConfigBuilder::build_providers(std::vector<providers::Provider>& enabled,
                                    const ServerConfig& server) {
  std::set<std::string> ids;
  const auto prefix = fmt::format("{}.", kProvidersSection);
  for (const auto& [name, value] : raw_) {
    if (name.rfind(prefix, 0) != 0) continue;
    ids.insert(name.substr(prefix.size(), name.find('.', prefix.size()) - prefix.size()));
  }
  const auto& catalog = providers::builtin_catalog();
  for (const auto& id : ids) {
    const auto entry = catalog.find(id);
    auto [provider, provider_problems] = providers::resolve_provider(
        provider_settings(id), entry == catalog.end() ? nullptr : &entry->second,
        server.public_url);
    for (auto& found : provider_problems) problem(std::move(found.key), std::move(found.message));
    if (provider) enabled.push_back(std::move(*provider));
  }
}

void ConfigBuilder::build_net(NetConfig& net) {
  std::optional<std::string> proxy_url = non_empty_string("net", "https_proxy");
  std::string source = "net.https_proxy";
  if (!proxy_url && proxy_environment_.count("HTTPS_PROXY") &&
      !proxy_environment_["HTTPS_PROXY"].empty()) {
    proxy_url = proxy_environment_["HTTPS_PROXY"];
    source = "HTTPS_PROXY";
  }
  if (!proxy_url) return;
  auto proxy = net::parse_proxy_url(*proxy_url);
  if (!proxy) {
    problem(source, proxy.error().message);  // never the URL: it may hold a password
    return;
  }
  if (const auto* no_proxy = raw<std::vector<std::string>>("net", "no_proxy")) {
    proxy->no_proxy = *no_proxy;
  } else if (proxy_environment_.count("NO_PROXY")) {
    std::stringstream stream(proxy_environment_["NO_PROXY"]);
    for (std::string entry; std::getline(stream, entry, ',');) {
      entry.erase(0, entry.find_first_not_of(' '));
      entry.erase(entry.find_last_not_of(' ') + 1);
      if (!entry.empty()) proxy->no_proxy.push_back(entry);
    }
  }
  net.proxy = std::move(*proxy);
}

void ConfigBuilder::build_tokens(TokensConfig& tokens) {
  tokens.assumed_lifetime_seconds = integer_in_range("tokens", "assumed_lifetime_seconds",
                                                     tokens.assumed_lifetime_seconds, 60, 86400);
  if (const auto* enabled = raw<bool>("tokens", "background_refresh")) {
    tokens.background_refresh = *enabled;
  }
  tokens.refresh_ahead_seconds =
      integer_in_range("tokens", "refresh_ahead_seconds", tokens.refresh_ahead_seconds, 30, 86400);
  tokens.background_interval_seconds = integer_in_range(
      "tokens", "background_interval_seconds", tokens.background_interval_seconds, 1, 3600);
  tokens.background_concurrency =
      integer_in_range("tokens", "background_concurrency", tokens.background_concurrency, 1, 64);
  // Longer than the provider call's total timeout (10 s), so a lease never lapses mid-refresh.
  tokens.refresh_lease_seconds =
      integer_in_range("tokens", "refresh_lease_seconds", tokens.refresh_lease_seconds, 15, 600);
}

void ConfigBuilder::build_audit(AuditConfig& audit) {
  audit.flush_interval_ms =
      integer_in_range("audit", "flush_interval_ms", audit.flush_interval_ms, 10, 10000);
  if (const auto* coalesce = raw<bool>("audit", "coalesce_reads")) audit.coalesce_reads = *coalesce;
}

void ConfigBuilder::build_webhooks(WebhooksConfig& webhooks) {
  const auto url = non_empty_string("webhooks", "url");
  if (const auto* insecure = raw<bool>("webhooks", "allow_insecure_loopback")) {
    webhooks.allow_insecure_loopback = *insecure;
  }
  auto secret = non_empty_string("webhooks", "secret");
  if (const auto file = non_empty_string("webhooks", "secret_file")) {
    secret = read_private_file("webhooks.secret_file", *file, "write the webhook secret into it");
    if (secret) secret = trim_trailing_newlines(*secret);
  }
  if (!url) return;
  if (!providers::endpoint_allowed(*url, webhooks.allow_insecure_loopback)) {
    problem("webhooks.url",
            "must be https:// (http:// only to a loopback address with "
            "webhooks.allow_insecure_loopback = true)");
    return;
  }
  if (!secret || secret->size() < 16) {
    problem("webhooks.secret",
            "a secret of at least 16 characters is required to sign webhooks (secret or "
            "secret_file), e.g. `head -c 32 /dev/urandom | base64`");
    return;
  }
  webhooks.url = url;
  webhooks.secret = *secret;
}

void ConfigBuilder::build_log(LogConfig& log) {
  if (const auto* level = raw<std::string>("log", "level")) {
    static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
    if (std::find(kLevels.begin(), kLevels.end(), *level) == kLevels.end()) {
      problem("log.level",
              with_suggestion("must be one of trace, debug, info, warn, error", *level, kLevels));
    } else {
      log.level = *level;
    }
  }
  if (const auto* format = raw<std::string>("log", "format")) {
    if (*format == "json") {
      log.format = log::LogFormat::json;
    } else if (*format == "text") {
      log.format = log::LogFormat::text;
    } else {
      problem("log.format", "must be \"json\" or \"text\"");
    }
  }
}

ConfigLoad ConfigBuilder::build() {
  Config config;
  build_server(config.server);
  build_database(config.database);
  build_redis(config.redis);
  build_crypto(config.crypto);
  build_auth(config.auth, config.redis);
  build_rate_limit(config.rate_limit, config.redis);
  build_return_urls(config.server);
  build_providers(config.providers, config.server);
  build_net(config.net);
  build_tokens(config.tokens);
  build_audit(config.audit);
  build_webhooks(config.webhooks);
  build_log(config.log);
  if (!problems_.empty()) return ConfigLoad{std::nullopt, std::move(problems_)};
  return ConfigLoad{std::move(config), {}};
}

}  // namespace

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
