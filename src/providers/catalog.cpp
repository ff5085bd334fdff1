#include "providers/catalog.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <functional>
#include <set>
#include <stdexcept>

#include "log/logger.hpp"
#include "providers/embedded_catalog.hpp"

namespace oauth_manager::providers {
namespace {

core::Error invalid(std::string_view source, std::string_view key, std::string_view message) {
  return core::make_error(core::Code::invalid_request,
                          fmt::format("{}: {}: {}", source, key, message));
}

std::optional<ClientAuth> parse_client_auth(std::string_view text) {
  if (text == "client_secret_basic") return ClientAuth::client_secret_basic;
  if (text == "client_secret_post") return ClientAuth::client_secret_post;
  if (text == "client_secret_basic_json") return ClientAuth::client_secret_basic_json;
  return std::nullopt;
}

std::optional<AccountSource> parse_account_source(std::string_view text) {
  if (text == "id_token") return AccountSource::id_token;
  if (text == "userinfo") return AccountSource::userinfo;
  if (text == "token_response") return AccountSource::token_response;
  return std::nullopt;
}

std::optional<CallbackIssuer> parse_callback_issuer(std::string_view text) {
  if (text == "required") return CallbackIssuer::required;
  if (text == "optional") return CallbackIssuer::optional;
  if (text == "never") return CallbackIssuer::never;
  return std::nullopt;
}

bool parse_bool(std::string_view text, bool& out) {
  if (text == "true") {
    out = true;
  } else if (text == "false") {
    out = false;
  } else {
    return false;
  }
  return true;
}

// A scalar field: settable from a catalog file's string (or boolean) and from a deployment
// override. Returns false when the text is not a valid value.
using FieldSetter = std::function<bool(ProviderSpec&, const std::string&)>;

const std::map<std::string, FieldSetter>& scalar_fields() {
  static const std::map<std::string, FieldSetter> fields = {
      {"display_name",
       [](ProviderSpec& s, const std::string& v) { return !(s.display_name = v).empty(); }},
      {"issuer",
       [](ProviderSpec& s, const std::string& v) {
         s.issuer = v;
         return !v.empty();
       }},
      {"tenant",
       [](ProviderSpec& s, const std::string& v) {
         s.tenant = v;
         return !v.empty();
       }},
      {"authorization_endpoint",
       [](ProviderSpec& s, const std::string& v) {
         return !(s.authorization_endpoint = v).empty();
       }},
      {"token_endpoint",
       [](ProviderSpec& s, const std::string& v) { return !(s.token_endpoint = v).empty(); }},
      {"revocation_endpoint",
       [](ProviderSpec& s, const std::string& v) {
         s.revocation_endpoint = v;
         return !v.empty();
       }},
      {"userinfo_endpoint",
       [](ProviderSpec& s, const std::string& v) {
         s.userinfo_endpoint = v;
         return !v.empty();
       }},
      {"jwks_uri",
       [](ProviderSpec& s, const std::string& v) {
         s.jwks_uri = v;
         return !v.empty();
       }},
      {"token_endpoint_auth",
       [](ProviderSpec& s, const std::string& v) {
         const auto parsed = parse_client_auth(v);
         if (parsed) s.client_auth = *parsed;
         return parsed.has_value();
       }},
      {"scope_separator",
       [](ProviderSpec& s, const std::string& v) { return !(s.scope_separator = v).empty(); }},
      {"issuer_in_callback",
       [](ProviderSpec& s, const std::string& v) {
         const auto parsed = parse_callback_issuer(v);
         if (parsed) s.issuer_in_callback = *parsed;
         return parsed.has_value();
       }},
      {"account_source",
       [](ProviderSpec& s, const std::string& v) {
         const auto parsed = parse_account_source(v);
         if (parsed) s.account_source = *parsed;
         return parsed.has_value();
       }},
      {"pkce", [](ProviderSpec& s, const std::string& v) { return parse_bool(v, s.pkce); }},
      {"refresh_token_rotates",
       [](ProviderSpec& s, const std::string& v) {
         return parse_bool(v, s.refresh_token_rotates);
       }},
  };
  return fields;
}

std::optional<std::vector<std::string>> string_array(const toml::node& node) {
  const auto* array = node.as_array();
  if (array == nullptr || !array->is_homogeneous<std::string>()) {
    if (array != nullptr && array->empty()) return std::vector<std::string>{};
    return std::nullopt;
  }
  std::vector<std::string> items;
  for (const auto& item : *array) items.push_back(*item.value<std::string>());
  return items;
}

std::optional<std::vector<std::pair<std::string, std::string>>> string_table(
    const toml::node& node) {
  const auto* table = node.as_table();
  if (table == nullptr) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& [key, value] : *table) {
    const auto text = value.value<std::string>();
    if (!text || !value.is_string()) return std::nullopt;
    pairs.emplace_back(std::string(key.str()), *text);
  }
  return pairs;
}

core::Status read_account(ProviderSpec& spec, const toml::node& node, std::string_view source) {
  const auto pairs = string_table(node);
  if (!pairs) return invalid(source, "account", "must be a table of JSON pointers");
  for (const auto& [key, pointer] : *pairs) {
    if (pointer.empty() || pointer.front() != '/') {
      return invalid(source, "account." + key, "must be a JSON pointer such as \"/sub\"");
    }
    if (key == "id") {
      spec.account.id = pointer;
    } else if (key == "email") {
      spec.account.email = pointer;
    } else if (key == "name") {
      spec.account.name = pointer;
    } else if (key == "tenant") {
      spec.account.tenant = pointer;
    } else {
      return invalid(source, "account." + key, "unknown; use id, tenant, email or name");
    }
  }
  return core::Status{};
}

core::Status read_scopes(ProviderSpec& spec, const toml::node& node, std::string_view source) {
  const auto* array = node.as_array();
  if (array == nullptr) return invalid(source, "scopes", "must be an array of tables");
  for (const auto& item : *array) {
    const auto* table = item.as_table();
    const auto name = table ? (*table)["name"].value<std::string>() : std::nullopt;
    const auto description = table ? (*table)["description"].value<std::string>() : std::nullopt;
    if (!name || !description || table->size() != 2) {
      return invalid(source, "scopes", "each [[scopes]] needs exactly name and description");
    }
    spec.scopes.push_back(core::ScopeInfo{spec.id, *name, *description});
  }
  return core::Status{};
}

// Keys that are not scalar fields.
core::Status read_structured(ProviderSpec& spec, const std::string& key, const toml::node& node,
                             std::string_view source) {
  const auto list = [&](std::vector<std::string>& out) -> core::Status {
    auto items = string_array(node);
    if (!items) return invalid(source, key, "must be an array of strings");
    out = std::move(*items);
    return core::Status{};
  };
  const auto pairs = [&](std::vector<std::pair<std::string, std::string>>& out) -> core::Status {
    auto table = string_table(node);
    if (!table) return invalid(source, key, "must be a table of strings");
    out = std::move(*table);
    return core::Status{};
  };
  if (key == "accepted_issuers") return list(spec.accepted_issuers);
  if (key == "default_scopes") return list(spec.default_scopes);
  if (key == "id_token_algorithms") return list(spec.id_token_algorithms);
  if (key == "authorization_params") return pairs(spec.authorization_params);
  if (key == "token_request_headers") return pairs(spec.token_request_headers);
  if (key == "account") return read_account(spec, node, source);
  if (key == "scopes") return read_scopes(spec, node, source);
  return invalid(source, key, "unknown catalog key");
}

core::Status check_complete(const ProviderSpec& spec, std::string_view source) {
  if (spec.id.empty()) return invalid(source, "id", "is required");
  if (spec.display_name.empty()) return invalid(source, "display_name", "is required");
  if (spec.authorization_endpoint.empty() || spec.token_endpoint.empty()) {
    return invalid(source, "authorization_endpoint",
                   "authorization_endpoint and token_endpoint are required");
  }
  if (spec.is_openid() && !spec.jwks_uri) {
    return invalid(source, "jwks_uri", "an OpenID Connect provider (issuer set) needs jwks_uri");
  }
  if (!spec.is_openid() && spec.account_source == AccountSource::id_token) {
    return invalid(source, "account_source", "id_token needs an OpenID Connect issuer");
  }
  for (const auto& algorithm : spec.id_token_algorithms) {
    if (algorithm != "RS256" && algorithm != "ES256") {
      return invalid(source, "id_token_algorithms", "only RS256 and ES256 are supported");
    }
  }
  return core::Status{};
}

}  // namespace

core::Result<ProviderSpec> parse_provider_spec(std::string_view toml_text,
                                               std::string_view source_name) {
  toml::table table;
  try {
    table = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    return invalid(source_name, fmt::format("line {}", error.source().begin.line),
                   error.description());
  }
  ProviderSpec spec;
  if (auto id = table["id"].value<std::string>()) spec.id = *id;
  for (const auto& [key_name, node] : table) {
    const std::string key(key_name.str());
    if (key == "id") continue;
    if (const auto field = scalar_fields().find(key); field != scalar_fields().end()) {
      std::string text;
      if (const auto value = node.value<std::string>(); value && node.is_string()) {
        text = *value;
      } else if (const auto flag = node.value<bool>(); flag && node.is_boolean()) {
        text = *flag ? "true" : "false";
      } else {
        return invalid(source_name, key, "must be a string or boolean");
      }
      if (!field->second(spec, text)) return invalid(source_name, key, "has an invalid value");
      continue;
    }
    if (auto read = read_structured(spec, key, node, source_name); !read) return read.error();
  }
  if (auto complete = check_complete(spec, source_name); !complete) return complete.error();
  return spec;
}

const std::map<std::string, ProviderSpec>& builtin_catalog() {
  static const std::map<std::string, ProviderSpec> catalog = [] {
    std::map<std::string, ProviderSpec> specs;
    for (const auto& file : embedded_catalog_files()) {
      auto spec = parse_provider_spec(file.contents, fmt::format("providers/{}", file.name));
      // The files are checked by the unit tests; a broken one is a build defect.
      if (!spec) throw std::logic_error(spec.error().message);
      specs.emplace(spec->id, std::move(*spec));
    }
    return specs;
  }();
  return catalog;
}

const std::vector<std::string>& overridable_fields() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> keys;
    for (const auto& [name, setter] : scalar_fields()) keys.push_back(name);
    return keys;
  }();
  return names;
}

core::Status apply_override(ProviderSpec& spec, const std::string& field,
                            const std::string& value) {
  const auto found = scalar_fields().find(field);
  if (found == scalar_fields().end() || !found->second(spec, value)) {
    return core::make_error(core::Code::invalid_request,
                            fmt::format("\"{}\" is not a valid {}", value, field));
  }
  return core::Status{};
}

}  // namespace oauth_manager::providers
