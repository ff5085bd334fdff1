#include "auth/authenticator.hpp"

#include <algorithm>

#include "core/text.hpp"
#include "log/logger.hpp"

namespace oauth_manager::auth {
namespace {

core::Error rejected(std::string reason) {
  return core::make_error(core::Code::unauthenticated, std::move(reason));
}

// RFC 6750 §2.1: "Bearer" (any case), one space, the token.
std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      core::ascii_lowercase(authorization.substr(0, kScheme.size())) != kScheme) {
    return std::nullopt;
  }
  auto token = authorization.substr(kScheme.size());
  if (token.empty() || token.find(' ') != std::string_view::npos) return std::nullopt;
  return token;
}

}  // namespace

Authenticator::Authenticator(AuthSettings settings, std::shared_ptr<crypto::KeySource> keys,
                             SessionStore* sessions, core::BlockingPool& blocking,
                             const core::Clock& clock)
    : settings_(std::move(settings)),
      keys_(std::move(keys)),
      sessions_(sessions),
      blocking_(blocking),
      clock_(clock) {}

boost::asio::awaitable<core::Result<core::Caller>> Authenticator::authenticate(
    std::optional<std::string_view> authorization) {
  if (!authorization) co_return rejected("an Authorization: Bearer <JWT> header is required");
  const auto token = bearer_token(*authorization);
  if (!token) co_return rejected("the Authorization header must be \"Bearer <JWT>\"");
  auto verified = verified_.find(*token, clock_.now());
  if (!verified) {
    auto checked = co_await verify(*token);
    if (!checked) co_return checked.error();
    verified_.put(*token, *checked, clock_.now());
    verified = std::move(*checked);
  }
  // Only a token with a session claim has a session to check (no coroutine frame otherwise).
  if (verified->session_id) {
    if (auto session = co_await check_session(verified->session_id); !session) {
      co_return session.error();
    }
  }
  verified->caller.session_id = verified->session_id;
  co_return std::move(verified->caller);
}

boost::asio::awaitable<core::Result<VerifiedToken>> Authenticator::verify(std::string_view token) {
  auto decoded = crypto::decode_jwt(token, settings_.max_token_bytes);
  if (!decoded) co_return decoded.error();
  auto keys = co_await keys_->keys_for(decoded->key_id);
  if (!keys) co_return keys.error();
  auto claims = crypto::verify_jwt(*decoded, *keys, settings_.claims, clock_.now());
  if (!claims) co_return claims.error();
  auto session_id = session_of(*claims);
  if (!session_id) co_return session_id.error();
  // verify_jwt has checked that exp is there and is a number; remembering it longer than the
  // recheck time is never asked, so a far-off exp is clamped before it is converted.
  const auto exp_seconds = std::min(claims->at("exp").get<double>(), 4102444800.0);  // 2100
  const auto exp_ms = static_cast<std::int64_t>(exp_seconds * 1000);
  co_return VerifiedToken{caller_from_claims(*claims, settings_.permissions, settings_.roles),
                          std::move(*session_id), core::from_unix_ms(exp_ms)};
}

core::Result<std::optional<std::string>> Authenticator::session_of(
    const nlohmann::json& claims) const {
  if (!settings_.session_claim || sessions_ == nullptr) return std::optional<std::string>{};
  const auto sid = claims.find(*settings_.session_claim);
  if (sid == claims.end() || !sid->is_string() || sid->get<std::string>().empty()) {
    return rejected("the token has no " + *settings_.session_claim + " (session) claim");
  }
  return std::optional<std::string>{sid->get<std::string>()};
}

boost::asio::awaitable<core::Status> Authenticator::check_session(
    const std::optional<std::string>& session_id) {
  if (!session_id) co_return core::Status{};
  auto key = settings_.session_key_pattern;
  if (const auto at = key.find("{sid}"); at != std::string::npos) key.replace(at, 5, *session_id);
  auto active = co_await blocking_.run([this, &key] { return sessions_->session_active(key); });
  if (!active) {
    log::warn("auth.session_check_failed",
              {{"error", active.error().message}, {"fail_open", settings_.session_fail_open}});
    if (settings_.session_fail_open) co_return core::Status{};
    co_return core::make_error(core::Code::unavailable,
                               "sessions cannot be checked right now; try again shortly");
  }
  if (!*active) co_return rejected("the session has ended (logged out)");
  co_return core::Status{};
}

}  // namespace oauth_manager::auth
