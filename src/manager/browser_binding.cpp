#include "manager/browser_binding.hpp"

#include "crypto/hash.hpp"

namespace oauth_manager::manager {
namespace {

constexpr std::string_view kCookiePrefix = "oam_flow_";
// 64 bits of the state's hash tell the flows of one browser apart; the cookie's value, not its
// name, is the secret.
constexpr std::size_t kNameHashChars = 16;

}  // namespace

std::string binding_cookie_name(std::string_view state_hash, bool secure) {
  std::string name = secure ? "__Host-" : "";
  name += kCookiePrefix;
  name += state_hash.substr(0, kNameHashChars);
  return name;
}

std::string binding_cookie_path(bool secure, const std::string& callback_path) {
  return secure ? "/" : callback_path;
}

bool browser_matches(const core::AuthState& state,
                     const std::map<std::string, std::string>& cookies, bool secure) {
  if (!state.browser_hash) return false;
  const auto cookie = cookies.find(binding_cookie_name(state.state_hash, secure));
  if (cookie == cookies.end()) return false;
  return crypto::constant_time_equal(crypto::sha256_hex(cookie->second), *state.browser_hash);
}

}  // namespace oauth_manager::manager
