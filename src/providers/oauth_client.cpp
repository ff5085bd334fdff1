#include "providers/oauth_client.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/scopes.hpp"
#include "crypto/encoding.hpp"
#include "net/url.hpp"

namespace oauth_manager::providers {
namespace {

core::Error provider_error(std::string message) {
  return core::make_error(core::Code::provider_error, std::move(message));
}

// The provider could not be reached: which host and port, and why, go to the log only.
core::Error unreachable(std::string message, const core::Error& network) {
  auto error = provider_error(std::move(message));
  error.cause = network.message;
  return error;
}

// RFC 9110 §10.2.3: Retry-After in its delay-seconds form (the HTTP-date form is left to our
// own backoff), at most an hour: a provider's wish, not a reason to stop for a day.
std::optional<std::chrono::seconds> retry_after_of(const net::HttpResponse& response) {
  const auto value = response.header("retry-after");
  if (!value || value->empty() || value->size() > 9 ||
      value->find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::min(std::chrono::seconds(std::stoll(*value)), std::chrono::seconds(3600));
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string joined;
  for (const auto& item : items) {
    if (!joined.empty()) joined += separator;
    joined += item;
  }
  return joined;
}

// RFC 6749 §2.3.1: the client id and secret are form-encoded before Basic encoding.
std::string basic_credentials(const Provider& provider) {
  return "Basic " + crypto::base64_encode(net::percent_encode(provider.client_id) + ":" +
                                          net::percent_encode(provider.client_secret));
}

// The provider's `error` code, limited to the RFC 6749 character set so nothing else can leak
// into our messages.
std::string error_code_of(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("error") || !body["error"].is_string()) return "";
  std::string code;
  for (char c : body["error"].get<std::string>().substr(0, 64)) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') code += c;
  }
  return code;
}

std::optional<std::string> string_member(const nlohmann::json& body, const char* name) {
  const auto found = body.find(name);
  if (found == body.end() || !found->is_string() || found->get<std::string>().empty()) {
    return std::nullopt;
  }
  return found->get<std::string>();
}

// A member that should be an array of strings; `fallback` when absent or malformed (remote
// documents are not trusted to be well-formed, and must not throw).
std::vector<std::string> string_list_member(const nlohmann::json& body, const char* name,
                                            std::vector<std::string> fallback) {
  const auto found = body.find(name);
  if (found == body.end() || !found->is_array()) return fallback;
  std::vector<std::string> items;
  for (const auto& item : *found) {
    if (item.is_string()) items.push_back(item.get<std::string>());
  }
  return items;
}

}  // namespace

std::string authorization_url(const Provider& provider, const AuthorizationRequest& request) {
  std::vector<std::pair<std::string, std::string>> query = {
      {"response_type", "code"},
      {"client_id", provider.client_id},
      {"redirect_uri", provider.redirect_uri},
      {"state", request.state},
  };
  if (!request.scopes.empty()) {
    query.emplace_back("scope", join(request.scopes, provider.spec.scope_separator));
  }
  if (request.code_challenge) {
    query.emplace_back("code_challenge", *request.code_challenge);
    query.emplace_back("code_challenge_method", "S256");
  }
  if (request.nonce) query.emplace_back("nonce", *request.nonce);
  for (const auto& param : provider.spec.authorization_params) query.push_back(param);
  return net::with_query(provider.spec.authorization_endpoint, query);
}

// RFC 6749 Appendix A.12 and A.17: access and refresh tokens are 1*VSCHAR (%x20-7E). Anything
// else (a byte above 0x7E, a control character) is refused here, at the exchange, with a clear
// error, instead of being stored and breaking every later answer that carries it.
bool visible_ascii(const std::string& token) {
  return !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) <= 0x7E;
  });
}

core::Result<TokenResponse> parse_token_response(const nlohmann::json& body) {
  if (!body.is_object()) return provider_error("the token endpoint did not answer a JSON object");
  TokenResponse response;
  const auto access_token = string_member(body, "access_token");
  if (!access_token) {
    const auto code = error_code_of(body);
    return provider_error(code.empty() ? "the token endpoint answered without an access_token"
                                       : fmt::format("the provider refused: {}", code));
  }
  if (!visible_ascii(*access_token)) {
    return provider_error(
        "the provider's access_token is not printable ASCII (RFC 6749 Appendix A.12)");
  }
  response.access_token = *access_token;
  response.token_type = string_member(body, "token_type").value_or("Bearer");
  if (const auto expires = body.find("expires_in"); expires != body.end()) {
    // Some providers send it as a string; anything unusable counts as missing.
    if (expires->is_number_integer()) {
      response.expires_in = expires->get<std::int64_t>();
    } else if (expires->is_string()) {
      try {
        response.expires_in = std::stoll(expires->get<std::string>());
      } catch (const std::exception&) {
      }
    }
    if (response.expires_in && *response.expires_in <= 0) response.expires_in.reset();
  }
  response.refresh_token = string_member(body, "refresh_token");
  if (response.refresh_token && !visible_ascii(*response.refresh_token)) {
    return provider_error(
        "the provider's refresh_token is not printable ASCII (RFC 6749 Appendix A.17)");
  }
  response.scope = string_member(body, "scope");
  response.id_token = string_member(body, "id_token");
  response.raw = body;
  return response;
}

boost::asio::awaitable<core::Result<net::HttpResponse>> OAuthClient::post_as_client(
    const Provider& provider, const std::string& url,
    std::vector<std::pair<std::string, std::string>> fields) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"Accept", "application/json"}};
  for (const auto& header : provider.spec.token_request_headers) request.headers.push_back(header);
  switch (provider.spec.client_auth) {
    case ClientAuth::client_secret_basic:
      request.headers.emplace_back("Authorization", basic_credentials(provider));
      request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      request.body = net::form_encode(fields);
      break;
    case ClientAuth::client_secret_post:
      fields.emplace_back("client_id", provider.client_id);
      fields.emplace_back("client_secret", provider.client_secret);
      request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      request.body = net::form_encode(fields);
      break;
    case ClientAuth::client_secret_basic_json: {
      request.headers.emplace_back(
          "Authorization",
          "Basic " + crypto::base64_encode(provider.client_id + ":" + provider.client_secret));
      request.headers.emplace_back("Content-Type", "application/json");
      nlohmann::json body = nlohmann::json::object();
      for (const auto& [name, value] : fields) body[name] = value;
      request.body = body.dump();
      break;
    }
  }
  auto response = co_await http_.send(std::move(request));
  if (!response) {
    co_return unreachable(fmt::format("{} cannot be reached", provider.spec.id), response.error());
  }
  co_return std::move(*response);
}

boost::asio::awaitable<core::Result<nlohmann::json>> OAuthClient::post_token_endpoint(
    const Provider& provider, std::vector<std::pair<std::string, std::string>> fields) {
  auto response =
      co_await post_as_client(provider, provider.spec.token_endpoint, std::move(fields));
  if (!response) co_return response.error();
  auto body = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (response->status == 429 || response->status >= 500 || body.is_discarded()) {
    auto error = provider_error(fmt::format("the token endpoint of {} answered HTTP {}",
                                            provider.spec.id, response->status));
    error.retry_after = retry_after_of(*response);
    co_return error;
  }
  co_return body;
}

boost::asio::awaitable<core::Status> OAuthClient::revoke(const Provider& provider,
                                                         const std::string& token,
                                                         const std::string& token_type_hint) {
  if (!provider.spec.revocation_endpoint) {
    co_return provider_error(fmt::format("{} has no revocation endpoint", provider.spec.id));
  }
  std::vector<std::pair<std::string, std::string>> fields = {{"token", token}};
  // Notion's JSON body takes the token alone.
  if (provider.spec.client_auth != ClientAuth::client_secret_basic_json) {
    fields.emplace_back("token_type_hint", token_type_hint);
  }
  auto response =
      co_await post_as_client(provider, *provider.spec.revocation_endpoint, std::move(fields));
  if (!response) co_return response.error();
  if (response->status != 200) {
    const auto body = nlohmann::json::parse(response->body, nullptr, false);
    const auto code = error_code_of(body);
    co_return provider_error(fmt::format("the revocation endpoint answered HTTP {}{}",
                                         response->status, code.empty() ? "" : " " + code));
  }
  co_return core::Status{};
}

RefreshFailure refresh_failure_of(std::string_view error_code) {
  if (error_code == "invalid_grant") return RefreshFailure::grant_refused;
  if (error_code == "invalid_client" || error_code == "unauthorized_client") {
    return RefreshFailure::client_refused;
  }
  return RefreshFailure::transient;
}

boost::asio::awaitable<core::Result<TokenResponse>> OAuthClient::exchange_code(
    const Provider& provider, const std::string& code,
    const std::optional<std::string>& code_verifier) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"grant_type", "authorization_code"},
      {"code", code},
      {"redirect_uri", provider.redirect_uri},
  };
  if (code_verifier) fields.emplace_back("code_verifier", *code_verifier);
  auto body = co_await post_token_endpoint(provider, std::move(fields));
  if (!body) co_return body.error();
  co_return parse_token_response(*body);
}

boost::asio::awaitable<RefreshResult> OAuthClient::refresh(const Provider& provider,
                                                           const std::string& refresh_token) {
  std::vector<std::pair<std::string, std::string>> fields = {{"grant_type", "refresh_token"},
                                                             {"refresh_token", refresh_token}};
  auto body = co_await post_token_endpoint(provider, std::move(fields));
  if (!body) co_return RefreshResult{body.error(), RefreshFailure::transient};
  auto parsed = parse_token_response(*body);
  if (parsed) co_return RefreshResult{std::move(parsed), RefreshFailure::transient};
  co_return RefreshResult{std::move(parsed), refresh_failure_of(error_code_of(*body))};
}

boost::asio::awaitable<core::Result<nlohmann::json>> OAuthClient::userinfo(
    const Provider& provider, const std::string& access_token) {
  if (!provider.spec.userinfo_endpoint) {
    co_return provider_error(fmt::format("{} has no userinfo endpoint", provider.spec.id));
  }
  net::HttpRequest request;
  request.url = *provider.spec.userinfo_endpoint;
  request.headers = {{"Authorization", "Bearer " + access_token}, {"Accept", "application/json"}};
  auto response = co_await http_.send(std::move(request));
  if (!response) co_return unreachable("the userinfo endpoint cannot be reached", response.error());
  auto body = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (response->status != 200 || !body.is_object()) {
    co_return provider_error(
        fmt::format("the userinfo endpoint answered HTTP {}", response->status));
  }
  co_return body;
}

boost::asio::awaitable<core::Result<ProviderSpec>> OAuthClient::discover(
    const std::string& id, const std::string& issuer, bool allow_insecure_loopback) {
  net::HttpRequest request;
  auto base = issuer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + "/.well-known/openid-configuration";
  request.headers = {{"Accept", "application/json"}};
  auto response = co_await http_.send(std::move(request));
  if (!response)
    co_return unreachable(fmt::format("OIDC discovery of {} failed: it cannot be reached", id),
                          response.error());
  const auto document = nlohmann::json::parse(response->body, nullptr, false);
  if (response->status != 200 || !document.is_object()) {
    co_return provider_error(
        fmt::format("OIDC discovery of {} answered HTTP {}", id, response->status));
  }
  // OpenID Connect Discovery §4.3: the issuer in the document must be the one we asked.
  if (string_member(document, "issuer") != issuer) {
    co_return provider_error(
        fmt::format("OIDC discovery of {}: the document's issuer differs", id));
  }
  ProviderSpec spec;
  spec.id = id;
  spec.display_name = id;
  spec.issuer = issuer;
  spec.authorization_endpoint = string_member(document, "authorization_endpoint").value_or("");
  spec.token_endpoint = string_member(document, "token_endpoint").value_or("");
  spec.jwks_uri = string_member(document, "jwks_uri");
  spec.userinfo_endpoint = string_member(document, "userinfo_endpoint");
  spec.revocation_endpoint = string_member(document, "revocation_endpoint");
  if (spec.authorization_endpoint.empty() || spec.token_endpoint.empty() || !spec.jwks_uri) {
    co_return provider_error(fmt::format("OIDC discovery of {}: endpoints are missing", id));
  }
  // Fail closed: a discovered endpoint in plain http (on a non-loopback host, or without the
  // loopback opt-in) would carry codes, tokens and our client secret in the clear.
  for (const auto* endpoint :
       {&spec.authorization_endpoint, &spec.token_endpoint, &*spec.jwks_uri}) {
    if (!endpoint_allowed(*endpoint, allow_insecure_loopback)) {
      co_return provider_error(fmt::format("OIDC discovery of {}: an endpoint is not https", id));
    }
  }
  for (auto* optional : {&spec.userinfo_endpoint, &spec.revocation_endpoint}) {
    if (*optional && !endpoint_allowed(**optional, allow_insecure_loopback)) {
      co_return provider_error(fmt::format("OIDC discovery of {}: an endpoint is not https", id));
    }
  }
  spec.default_scopes = {"openid", "email", "profile"};
  const auto iss_supported = document.find("authorization_response_iss_parameter_supported");
  if (iss_supported != document.end() && iss_supported->is_boolean() &&
      iss_supported->get<bool>()) {
    spec.issuer_in_callback = CallbackIssuer::required;
  }
  const auto methods = string_list_member(document, "token_endpoint_auth_methods_supported",
                                          {"client_secret_basic"});
  if (std::find(methods.begin(), methods.end(), "client_secret_basic") == methods.end() &&
      std::find(methods.begin(), methods.end(), "client_secret_post") != methods.end()) {
    spec.client_auth = ClientAuth::client_secret_post;
  }
  const auto algorithms =
      string_list_member(document, "id_token_signing_alg_values_supported", {"RS256"});
  spec.id_token_algorithms.clear();
  for (const auto& algorithm : algorithms) {
    if (algorithm == "RS256" || algorithm == "ES256") spec.id_token_algorithms.push_back(algorithm);
  }
  if (spec.id_token_algorithms.empty()) {
    co_return provider_error(fmt::format("{} signs id_tokens with no algorithm we accept", id));
  }
  for (const auto& scope : string_list_member(document, "scopes_supported", {})) {
    spec.scopes.push_back(core::ScopeInfo{id, scope, scope});
  }
  co_return spec;
}

}  // namespace oauth_manager::providers
