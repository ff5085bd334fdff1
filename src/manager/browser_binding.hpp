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
  std::string path;     // "/" over https (__Host- demands it), else the callback's path
  bool secure = false;  // over https: Secure, and the __Host- name prefix
  std::chrono::seconds max_age{0};
};

// The cookie's name for the flow whose state hashes to `state_hash`. With `secure`, the name
// carries the __Host- prefix, which browsers accept only from this very host, over https, with
// Secure, Path=/ and no Domain: neither a plain-http page nor a sibling subdomain can plant one
// ("cookie tossing"; __Secure- alone would let evil.example.com set it for example.com).
std::string binding_cookie_name(std::string_view state_hash, bool secure);
// The path a binding cookie is set (and expired) with.
std::string binding_cookie_path(bool secure, const std::string& callback_path);

// Whether `cookies` (name → value, as the callback request carried them) hold the cookie that
// `state` was bound to. Compared in constant time; a state never bound matches nothing.
bool browser_matches(const core::AuthState& state,
                     const std::map<std::string, std::string>& cookies, bool secure);

}  // namespace oauth_manager::manager
