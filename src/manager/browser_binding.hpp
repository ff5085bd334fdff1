#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "core/auth_state.hpp"

namespace oauth_manager::manager {

// The cookie that binds a connect flow to the browser that opened its start link, so that a
// flow cannot be finished in another browser (RFC 6749 §10.12, RFC 9700 §4.7: a user who sends
// their start link or provider URL to someone else cannot get that person's account stored as
// theirs).
struct BindingCookie {
  std::string name;     // one per flow: several flows can be open in one browser
  std::string value;    // 256 random bits, base64url; only its SHA-256 is stored
  std::string path;     // the provider's callback path: the cookie is sent nowhere else
  bool secure = false;  // over https: Secure, and the __Secure- name prefix
  std::chrono::seconds max_age{0};
};

// The cookie's name for the flow whose state hashes to `state_hash`. With `secure`, the name
// carries the __Secure- prefix, which browsers accept only from a secure origin with the
// Secure attribute: an attacker on plain http cannot plant one ("cookie tossing").
std::string binding_cookie_name(std::string_view state_hash, bool secure);

// Whether `cookies` (name → value, as the callback request carried them) hold the cookie that
// `state` was bound to. Compared in constant time; a state never bound matches nothing.
bool browser_matches(const core::AuthState& state,
                     const std::map<std::string, std::string>& cookies, bool secure);

}  // namespace oauth_manager::manager
