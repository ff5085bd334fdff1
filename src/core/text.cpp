#include "core/text.hpp"

namespace oauth_manager::core {

std::string ascii_lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace oauth_manager::core
