#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "net/http_client.hpp"
#include "providers/provider.hpp"

namespace oauth_manager::providers {

// What goes into one authorization URL.
struct AuthorizationRequest {
  std::string state;
  std::optional<std::string> code_challenge;  // S256
  std::optional<std::string> nonce;           // OpenID providers
  std::vector<std::string> scopes;
};

std::string authorization_url(const Provider& provider, const AuthorizationRequest& request);

// A token endpoint's successful answer (RFC 6749 §5.1), read leniently: unknown members are kept
// in `raw` (Notion's workspace and owner fields), expires_in may be missing.
struct TokenResponse {
  std::string access_token;
  std::string token_type = "Bearer";
  std::optional<std::int64_t> expires_in;
  std::optional<std::string> refresh_token;
  std::optional<std::string> scope;  // granted scopes, when the provider says
  std::optional<std::string> id_token;
  nlohmann::json raw;
};

// What a failed refresh means for the integration (RFC 6749 §5.2 error codes).
enum class RefreshFailure {
  transient,       // network, timeout, 5xx, 429, an unreadable answer: try again later
  grant_refused,   // invalid_grant: the grant is dead, the user must connect again
  client_refused,  // invalid_client, unauthorized_client: our client id or secret is refused
};

struct RefreshResult {
  core::Result<TokenResponse> response;
  RefreshFailure failure = RefreshFailure::transient;  // meaningful only when !response
};

// The failure an `error` code of the token endpoint means; unknown codes are transient.
RefreshFailure refresh_failure_of(std::string_view error_code);

// Talks to one provider's endpoints: asynchronously, with the client authentication the catalog
// names. Failures are provider_error whose message carries the provider's `error` code (e.g.
// "invalid_grant") but never a token, code or secret.
class OAuthClient {
 public:
  explicit OAuthClient(net::HttpClient& http) : http_(http) {}

  boost::asio::awaitable<core::Result<TokenResponse>> exchange_code(
      const Provider& provider, const std::string& code,
      const std::optional<std::string>& code_verifier);
  // RFC 6749 §6. A failure is provider_error whose message names the provider's error code,
  // with what it means for the integration (RefreshFailure).
  boost::asio::awaitable<RefreshResult> refresh(const Provider& provider,
                                                const std::string& refresh_token);
  // RFC 7009 token revocation at the catalog's revocation endpoint, with the token endpoint's
  // client authentication. provider_error when the provider does not answer 200.
  boost::asio::awaitable<core::Status> revoke(const Provider& provider, const std::string& token,
                                              const std::string& token_type_hint);
  boost::asio::awaitable<core::Result<nlohmann::json>> userinfo(const Provider& provider,
                                                                const std::string& access_token);
  // OIDC discovery (/.well-known/openid-configuration of `issuer`): the endpoints of a provider
  // configured by its issuer alone. The document's issuer must equal `issuer` exactly, and every
  // endpoint must be https (http only on loopback with `allow_insecure_loopback`).
  boost::asio::awaitable<core::Result<ProviderSpec>> discover(const std::string& id,
                                                              const std::string& issuer,
                                                              bool allow_insecure_loopback);

 private:
  boost::asio::awaitable<core::Result<nlohmann::json>> post_token_endpoint(
      const Provider& provider, std::vector<std::pair<std::string, std::string>> fields);
  // POSTs `fields` to `url` authenticated as the catalog says; the raw answer.
  boost::asio::awaitable<core::Result<net::HttpResponse>> post_as_client(
      const Provider& provider, const std::string& url,
      std::vector<std::pair<std::string, std::string>> fields);

  net::HttpClient& http_;
};

// Reads a token endpoint answer body. provider_error for an error answer or a body without an
// access_token.
core::Result<TokenResponse> parse_token_response(const nlohmann::json& body);

}  // namespace oauth_manager::providers
