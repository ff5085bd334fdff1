#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "providers/oauth_client.hpp"
#include "providers/provider_spec.hpp"

// The protocol rules a connect callback applies to what a provider sends back, written once here
// so every use case (connect, reconnect) applies them the same way.
namespace oauth_manager::providers {

// A provider's `error` code, limited to RFC 6749's character set (and 64 characters) before it
// goes anywhere: a log line, an audit entry, a redirect.
std::string sanitized_error_code(const std::string& code);

// RFC 9207: an `iss` in the authorization response must be the provider's (its issuer, an
// accepted issuer, or one tenant of a {tenantid} template); a provider that always sends it must.
core::Status check_callback_issuer(const ProviderSpec& spec, const std::optional<std::string>& iss);

// The account field at the catalog's JSON pointer (id, email, name): a non-empty string, or an
// integer as its decimal text.
std::optional<std::string> account_field(const nlohmann::json& source, const std::string& pointer);

// The provider's immutable id of the account (AccountMapping: "<tenant>/<id>" when the catalog
// names a tenant); nullopt when a part is missing.
std::optional<std::string> account_id(const nlohmann::json& source, const AccountMapping& mapping);

// The scopes a token response says were granted, else the `requested` ones.
std::vector<std::string> granted_scopes(const TokenResponse& response,
                                        const std::vector<std::string>& requested);

}  // namespace oauth_manager::providers
