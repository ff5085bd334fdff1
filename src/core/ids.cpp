#include "core/ids.hpp"

#include <fmt/format.h>

namespace oauth_manager::core {

std::string new_id(RandomSource& random) {
  auto raw = random.bytes(16);
  raw[6] = static_cast<char>((static_cast<unsigned char>(raw[6]) & 0x0f) | 0x40);  // version 4
  raw[8] = static_cast<char>((static_cast<unsigned char>(raw[8]) & 0x3f) | 0x80);  // variant 10
  std::string id;
  id.reserve(36);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
    id += fmt::format("{:02x}", static_cast<unsigned char>(raw[i]));
  }
  return id;
}

}  // namespace oauth_manager::core
