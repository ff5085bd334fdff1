#include "core/scopes.hpp"

namespace oauth_manager::core {

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string joined;
  for (const auto& scope : scopes) {
    if (!joined.empty()) joined += ' ';
    joined += scope;
  }
  return joined;
}

std::vector<std::string> split_scopes(std::string_view joined) {
  std::vector<std::string> scopes;
  std::size_t start = 0;
  while (start < joined.size()) {
    const auto end = joined.find(' ', start);
    const auto piece = joined.substr(start, end == std::string_view::npos ? end : end - start);
    if (!piece.empty()) scopes.emplace_back(piece);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return scopes;
}

}  // namespace oauth_manager::core
