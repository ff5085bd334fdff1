#include "core/json_text.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace oauth_manager::core {

void append_json_string(std::string& out, std::string_view text) {
  // Printable ASCII without quote or backslash needs no escaping: nearly every token, id and
  // field. Anything else goes through nlohmann's serializer (escapes, UTF-8 checks).
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!plain) {
    out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

}  // namespace oauth_manager::core
