#pragma once

#include <memory>
#include <optional>
#include <string>

#include "auth/roles.hpp"
#include "auth/session_store.hpp"
#include "auth/verified_tokens.hpp"
#include "core/blocking_pool.hpp"
#include "crypto/jwt.hpp"
#include "crypto/key_source.hpp"

namespace oauth_manager::auth {

struct AuthSettings {
  crypto::ClaimRules claims;
  std::size_t max_token_bytes = 8192;
  PermissionClaims permissions;
  RoleMap roles = default_roles();
  // Session revocation: when set, the claim's value fills {sid} in the pattern, and that Redis
  // key must exist.
  std::optional<std::string> session_claim;
  std::string session_key_pattern = "session:{sid}";
  bool session_fail_open = false;  // when Redis cannot answer: reject (default) or let through
};

// Turns an Authorization header into a Caller, or says exactly why not (without echoing the
// token). unauthenticated for a bad or missing token; unavailable when keys or sessions cannot
// be checked right now.
class Authenticator {
 public:
  Authenticator(AuthSettings settings, std::shared_ptr<crypto::KeySource> keys,
                SessionStore* sessions, core::BlockingPool& blocking, const core::Clock& clock);

  boost::asio::awaitable<core::Result<core::Caller>> authenticate(
      std::optional<std::string_view> authorization);

 private:
  boost::asio::awaitable<core::Result<VerifiedToken>> verify(std::string_view token);
  core::Result<std::optional<std::string>> session_of(const nlohmann::json& claims) const;
  boost::asio::awaitable<core::Status> check_session(const std::optional<std::string>& session_id);

  AuthSettings settings_;
  std::shared_ptr<crypto::KeySource> keys_;
  SessionStore* sessions_;
  core::BlockingPool& blocking_;
  const core::Clock& clock_;
  VerifiedTokens verified_;
};

}  // namespace oauth_manager::auth
