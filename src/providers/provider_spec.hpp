#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/scope_info.hpp"

namespace oauth_manager::providers {

// How the token endpoint wants the client to authenticate.
enum class ClientAuth {
  client_secret_basic,       // RFC 6749 §2.3.1: HTTP Basic, form body
  client_secret_post,        // client_id and client_secret in the form body
  client_secret_basic_json,  // Notion: HTTP Basic, JSON body
};

// Where the connected account's id, email and name are read from.
enum class AccountSource { id_token, userinfo, token_response };

// RFC 9207 `iss` in the authorization response.
enum class CallbackIssuer {
  required,  // the provider advertises it: it must be present and equal the issuer
  optional,  // may be present (Google, Microsoft): when present it must equal the issuer
  never,     // not an OpenID provider: ignored
};

// JSON pointers (RFC 6901) into the account source.
struct AccountMapping {
  std::string id = "/sub";
  // When set, `id` is unique only within this tenant (Microsoft's oid within tid): the stored
  // account id is "<tenant>/<id>", so the same oid in two tenants is two accounts.
  std::optional<std::string> tenant;
  std::string email = "/email";
  std::string name = "/name";
};

// What one provider's documentation says about its OAuth endpoints: one providers/<id>.toml
// file, or what OIDC discovery returned for a provider described by its issuer alone.
struct ProviderSpec {
  std::string id;
  std::string display_name;
  // OpenID Connect; may contain {tenantid}, filled from the id_token's `tid`.
  std::optional<std::string> issuer;
  std::vector<std::string> accepted_issuers;  // besides `issuer` (Google's legacy form)
  std::optional<std::string> tenant;          // fills {tenant} in the endpoints
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::optional<std::string> revocation_endpoint;
  std::optional<std::string> userinfo_endpoint;
  std::optional<std::string> jwks_uri;
  ClientAuth client_auth = ClientAuth::client_secret_basic;
  bool pkce = true;
  std::string scope_separator = " ";
  std::vector<std::string> default_scopes;
  std::vector<std::string> id_token_algorithms = {"RS256"};
  bool refresh_token_rotates = false;
  CallbackIssuer issuer_in_callback = CallbackIssuer::optional;
  AccountSource account_source = AccountSource::id_token;
  AccountMapping account;
  std::vector<std::pair<std::string, std::string>> authorization_params;
  std::vector<std::pair<std::string, std::string>> token_request_headers;
  std::vector<core::ScopeInfo> scopes;  // the known scopes, with descriptions

  bool is_openid() const { return issuer.has_value(); }
};

}  // namespace oauth_manager::providers
