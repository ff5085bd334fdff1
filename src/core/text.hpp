#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace oauth_manager::core {

// ASCII-only lowercasing, for protocol tokens (header names, schemes, hosts): never locale-aware.
std::string ascii_lowercase(std::string_view text);

// ASCII-only uppercasing, for names built from config keys (environment variables): never
// locale-aware.
std::string ascii_uppercase(std::string_view text);

// Lowercase hexadecimal, two digits per byte.
std::string hex_encode(std::string_view bytes);

// Escapes & < > " ' for HTML text and attribute values.
std::string html_escape(std::string_view text);

// Decodes %XX escapes (not '+'); nullopt on a malformed escape or a decoded NUL.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace oauth_manager::core
