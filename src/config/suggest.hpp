#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oauth_manager::config {

// The candidate closest to `wrong` by edit distance (case-insensitive), if it is close enough to
// be a plausible typo.
std::optional<std::string> closest_match(std::string_view wrong,
                                         const std::vector<std::string>& candidates);

}  // namespace oauth_manager::config
