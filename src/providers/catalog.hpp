#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "providers/provider_spec.hpp"

namespace oauth_manager::providers {

// Parses one catalog file. Unknown keys, wrong types and missing required endpoints are
// invalid_request naming the key, so a typo in a catalog file never passes silently.
core::Result<ProviderSpec> parse_provider_spec(std::string_view toml_text,
                                               std::string_view source_name);

// Every provider the binary knows, by id, from the embedded providers/*.toml.
const std::map<std::string, ProviderSpec>& builtin_catalog();

// The scalar catalog fields a deployment may override in [providers.<id>].
const std::vector<std::string>& overridable_fields();
// Applies one override ("token_endpoint" = "http://127.0.0.1:9/token", ...).
core::Status apply_override(ProviderSpec& spec, const std::string& field, const std::string& value);

}  // namespace oauth_manager::providers
