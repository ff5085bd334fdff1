#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/random_source.hpp"
#include "crypto/rsa_signing_key.hpp"

namespace oauth_manager::demo {

struct DemoSettings {
  std::string issuer;  // {public_url}/demo
  std::string client_id;
  std::string client_secret;
  std::string redirect_uri;  // the one redirect URI its client may use
  std::chrono::seconds access_token_lifetime{600};
};

// The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636, OIDC Core §3.1.2.1).
struct AuthorizationParams {
  std::string response_type;
  std::string client_id;
  std::string redirect_uri;
  std::string scope;
  std::string state;
  std::string nonce;
  std::string code_challenge;
  std::string code_challenge_method;
};

// What the consent page shows.
struct Interaction {
  std::string name;  // empty until the person logged in
  std::vector<std::string> scopes;
};

// An OAuth error for the token and revocation endpoints (RFC 6749 §5.2).
struct OAuthError {
  int status = 400;
  std::string error;
  std::string description;
};

template <typename T>
struct OAuthResult {
  std::optional<T> value;
  OAuthError error;
};

// A small OpenID Connect provider for trying oauth-manager without an account anywhere: any name
// logs in, consent is one button, id_tokens are RS256 with a key made at start-up, refresh
// tokens rotate (a rotated one used again ends the grant, RFC 9700 §4.14.2), and tokens can be
// revoked (RFC 7009). Everything lives in memory, in one process, on loopback (config refuses
// anything else): it is a demo, not an identity provider.
class DemoProvider {
 public:
  DemoProvider(DemoSettings settings, const core::Clock& clock, core::RandomSource& random);

  nlohmann::json discovery() const;
  nlohmann::json jwks() const;

  // A valid request becomes an interaction (its id goes into the login form); an invalid client
  // or redirect URI is an error to show (never a redirect, RFC 6749 §4.1.2.1).
  core::Result<std::string> begin(const AuthorizationParams& params);
  core::Result<Interaction> interaction(const std::string& id);
  core::Status log_in(const std::string& id, const std::string& name);
  // The person allowed (a code) or refused (access_denied): where the browser goes next.
  core::Result<std::string> decide(const std::string& id, bool allowed);

  // POST /token: `form` is the request body's parameters, `authorization` its header.
  OAuthResult<nlohmann::json> token(const std::map<std::string, std::string>& form,
                                    const std::optional<std::string>& authorization);
  // POST /revoke (RFC 7009): unknown tokens are fine too.
  OAuthResult<bool> revoke(const std::map<std::string, std::string>& form,
                           const std::optional<std::string>& authorization);

 private:
  struct Pending {
    AuthorizationParams params;
    std::string name;
    core::Timestamp expires_at;
  };
  struct Grant {
    std::string name;
    std::vector<std::string> scopes;
    bool alive = true;
  };
  struct Code {
    std::string grant_id;
    AuthorizationParams params;
    core::Timestamp expires_at;
  };
  struct Token {
    std::string grant_id;
    std::optional<core::Timestamp> expires_at;  // access tokens
    bool rotated = false;                       // a refresh token already exchanged
  };

  bool client_authenticated(const std::map<std::string, std::string>& form,
                            const std::optional<std::string>& authorization) const;
  OAuthResult<nlohmann::json> exchange_code(const std::map<std::string, std::string>& form);
  OAuthResult<nlohmann::json> exchange_refresh(const std::map<std::string, std::string>& form);
  // New access and refresh tokens (and an id_token for a new login) for `grant_id`.
  nlohmann::json issue(const std::string& grant_id, const std::optional<std::string>& nonce);
  void end_grant(const std::string& grant_id);
  std::string subject_of(const std::string& name) const;
  void forget_expired(core::Timestamp now);

  DemoSettings settings_;
  const core::Clock& clock_;
  core::RandomSource& random_;
  crypto::RsaSigningKey key_;
  std::mutex mutex_;
  std::map<std::string, Pending> pending_;
  std::map<std::string, Grant> grants_;
  std::map<std::string, Code> codes_;
  std::map<std::string, Token> tokens_;  // access and refresh tokens, by value
};

}  // namespace oauth_manager::demo
