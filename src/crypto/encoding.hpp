#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace oauth_manager::crypto {

std::string base64_encode(std::string_view bytes);
// Strict: rejects characters outside the alphabet and wrong padding.
std::optional<std::string> base64_decode(std::string_view text);
// RFC 4648 §5 without padding, as JOSE and PKCE use it.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace oauth_manager::crypto
