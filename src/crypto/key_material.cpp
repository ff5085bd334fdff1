#include "crypto/key_material.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "crypto/encoding.hpp"

namespace oauth_manager::crypto {
namespace {

bool valid_key_id(std::string_view kid) {
  return !kid.empty() && kid.size() <= 64 && std::all_of(kid.begin(), kid.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

core::Result<DataKey> parse_data_key(std::string_view spec) {
  const auto colon = spec.find(':');
  if (colon == std::string_view::npos) {
    return core::make_error(core::Code::invalid_request,
                            "a key must look like \"<kid>:<base64 of 32 bytes>\"");
  }
  const auto kid = spec.substr(0, colon);
  if (!valid_key_id(kid)) {
    return core::make_error(core::Code::invalid_request,
                            "a key id must be 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  auto secret = base64_decode(spec.substr(colon + 1));
  if (!secret || secret->size() != kDataKeyBytes) {
    return core::make_error(
        core::Code::invalid_request,
        fmt::format("key \"{}\" is not the base64 of exactly {} bytes", kid, kDataKeyBytes));
  }
  return DataKey{std::string(kid), SecretBytes::take(std::move(*secret))};
}

core::Result<std::vector<DataKey>> parse_keys_file(std::string_view contents) {
  std::vector<DataKey> keys;
  std::size_t line_number = 0;
  while (!contents.empty()) {
    ++line_number;
    const auto end = contents.find('\n');
    const auto line = trim(contents.substr(0, end));
    contents = end == std::string_view::npos ? std::string_view{} : contents.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    auto key = parse_data_key(line);
    if (!key) {
      return core::make_error(key.error().code,
                              fmt::format("line {}: {}", line_number, key.error().message));
    }
    const bool duplicate = std::any_of(keys.begin(), keys.end(),
                                       [&](const DataKey& other) { return other.id == key->id; });
    if (duplicate) {
      return core::make_error(
          core::Code::invalid_request,
          fmt::format("line {}: key id \"{}\" appears twice", line_number, key->id));
    }
    keys.push_back(std::move(*key));
  }
  return keys;
}

std::string generate_key_spec(core::RandomSource& random, std::string_view kid) {
  return fmt::format("{}:{}", kid, base64_encode(random.bytes(kDataKeyBytes)));
}

}  // namespace oauth_manager::crypto
