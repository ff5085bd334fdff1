#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace oauth_manager::auth {

// Signs `claims` as a compact HS256 JWS. Used by `oauth-manager mint-token`, so a developer can
// call the API before the application mints its own tokens; the service itself only verifies.
std::string sign_hs256_jwt(const nlohmann::json& claims, std::string_view secret);

}  // namespace oauth_manager::auth
