#pragma once

#include <optional>
#include <string_view>

namespace oauth_manager::crypto {

// The JWS algorithms we verify. `none` is deliberately absent: it cannot be named, so it cannot
// be accepted.
enum class JwsAlgorithm { hs256, rs256, es256 };

std::string_view algorithm_name(JwsAlgorithm algorithm);
std::optional<JwsAlgorithm> parse_algorithm(std::string_view name);

}  // namespace oauth_manager::crypto
