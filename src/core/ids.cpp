#include "core/ids.hpp"

namespace oauth_manager::core {

std::string new_id(RandomSource& random) {
  static constexpr std::string_view kHexDigits = "0123456789abcdef";
  auto raw = random.bytes(16);
  raw[6] = static_cast<char>((static_cast<unsigned char>(raw[6]) & 0x0f) | 0x40);  // version 4
  raw[8] = static_cast<char>((static_cast<unsigned char>(raw[8]) & 0x3f) | 0x80);  // variant 10
  std::string id;
  id.reserve(36);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
    const auto byte = static_cast<unsigned char>(raw[i]);
    id += kHexDigits[byte >> 4U];
    id += kHexDigits[byte & 0x0fU];
  }
  return id;
}

}  // namespace oauth_manager::core
