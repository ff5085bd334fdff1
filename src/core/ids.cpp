#include "core/ids.hpp"

#include "core/text.hpp"

namespace oauth_manager::core {

std::string new_id(RandomSource& random) {
  auto raw = random.bytes(16);
  raw[6] = static_cast<char>((static_cast<unsigned char>(raw[6]) & 0x0f) | 0x40);  // version 4
  raw[8] = static_cast<char>((static_cast<unsigned char>(raw[8]) & 0x3f) | 0x80);  // variant 10
  auto id = hex_encode(raw);  // 8-4-4-4-12 digits once the dashes are in
  for (const std::size_t at : {20U, 16U, 12U, 8U}) id.insert(at, 1, '-');
  return id;
}

}  // namespace oauth_manager::core
