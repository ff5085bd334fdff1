#include "config/config_builder.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <sstream>

#include "config/suggest.hpp"
#include "core/text.hpp"
#include "providers/catalog.hpp"

namespace oauth_manager::config {
namespace {

constexpr std::string_view kEnvPrefix = "OAUTH_MANAGER_";
// Read by the CLI to find the config file; not a setting itself.
constexpr std::string_view kConfigPathVariable = "OAUTH_MANAGER_CONFIG";

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
    KeySpec{"server", "max_connections", Kind::integer},
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
    KeySpec{"auth", "scope_prefix", Kind::string},
    KeySpec{"auth", "allowed_types", Kind::string_list},
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
    KeySpec{"tokens", "cache", Kind::boolean},
    KeySpec{"tokens", "cache_max_entries", Kind::integer},
    KeySpec{"tokens", "cache_staleness_ms", Kind::integer},
    KeySpec{"audit", "flush_interval_ms", Kind::integer},
    KeySpec{"audit", "coalesce_reads", Kind::boolean},
    KeySpec{"webhooks", "url", Kind::string},
    KeySpec{"webhooks", "secret", Kind::string},
    KeySpec{"webhooks", "secret_file", Kind::string},
    KeySpec{"webhooks", "allow_insecure_loopback", Kind::boolean},
    KeySpec{"outbox", "give_up_after_seconds", Kind::integer},
    KeySpec{"outbox", "lease_seconds", Kind::integer},
    KeySpec{"connect", "confirm_url", Kind::string},
    KeySpec{"connect", "confirm_seconds", Kind::integer},
    KeySpec{"connect", "session_seconds", Kind::integer},
    KeySpec{"demo", "enabled", Kind::boolean},
    KeySpec{"net", "https_proxy", Kind::string},
    KeySpec{"net", "no_proxy", Kind::string_list},
    KeySpec{"net", "max_connections_per_host", Kind::integer},
    KeySpec{"net", "idle_connection_seconds", Kind::integer},
    KeySpec{"log", "level", Kind::string},
    KeySpec{"log", "format", Kind::string},
};

// Sections whose keys are names the operator chooses; every value has the same kind.
struct OpenSection {
  std::string_view section;
  Kind kind;
};
constexpr std::array kOpenSections = {
    OpenSection{"roles", Kind::string_list},         // role name = ["permission", ...]
    OpenSection{"role_rate_limits", Kind::integer},  // role name = requests per second
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
    std::pair<std::string_view, Kind>{"allowed_scopes", Kind::string_list},
    std::pair<std::string_view, Kind>{"allow_insecure_loopback", Kind::boolean},
};

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

std::string dotted(const KeySpec& spec) { return fmt::format("{}.{}", spec.section, spec.key); }

std::string env_name(const KeySpec& spec) {
  return core::ascii_uppercase(fmt::format("{}{}_{}", kEnvPrefix, spec.section, spec.key));
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

}  // namespace

std::string with_suggestion(std::string message, std::string_view wrong,
                            const std::vector<std::string>& candidates) {
  if (auto closest = closest_match(wrong, candidates)) {
    message += fmt::format("; did you mean \"{}\"?", *closest);
  }
  return message;
}

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
    const auto upper = core::ascii_uppercase(variable);
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
    const auto prefix = core::ascii_uppercase(fmt::format("{}{}_", kEnvPrefix, open.section));
    if (variable.size() <= prefix.size() || variable.rfind(prefix, 0) != 0) continue;
    const auto key = core::ascii_lowercase(variable.substr(prefix.size()));
    read_env_value(fmt::format("{}.{}", open.section, key), open.kind, variable, text);
    return true;
  }
  return false;
}

// OAUTH_MANAGER_PROVIDERS_<ID>_<KEY>: the id is whatever precedes a known key, so ids may
// contain underscores ("OAUTH_MANAGER_PROVIDERS_MY_IDP_CLIENT_ID" is my_idp's client_id).
bool ConfigBuilder::read_provider_env_value(const std::string& variable, const std::string& text) {
  const auto prefix = core::ascii_uppercase(fmt::format("{}{}_", kEnvPrefix, kProvidersSection));
  if (variable.rfind(prefix, 0) != 0) return false;
  const auto rest = variable.substr(prefix.size());
  auto keys = all_provider_keys();
  // Longest first: CLIENT_SECRET_FILE before anything it ends with.
  std::sort(keys.begin(), keys.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& key : keys) {
    const auto suffix = "_" + core::ascii_uppercase(key);
    if (rest.size() <= suffix.size() ||
        rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const auto id = core::ascii_lowercase(rest.substr(0, rest.size() - suffix.size()));
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

}  // namespace oauth_manager::config
