#include "core/json_text.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace oauth_manager::core {

void append_json_string(std::string& out, std::string_view text, InvalidUtf8 invalid) {
  // Printable ASCII without quote or backslash needs no escaping: nearly every token, id and
  // field. Anything else goes through nlohmann's serializer (escapes, UTF-8 checks).
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!plain) {
    const auto on_invalid = invalid == InvalidUtf8::replace
                                ? nlohmann::json::error_handler_t::replace
                                : nlohmann::json::error_handler_t::strict;
    try {
      out += nlohmann::json(text).dump(-1, ' ', false, on_invalid);
    } catch (const nlohmann::json::type_error&) {
      // Only `strict` throws; nlohmann's message quotes the offending byte, which is not for a
      // log line about a secret.
      throw std::invalid_argument("the text is not valid UTF-8");
    }
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

}  // namespace oauth_manager::core
