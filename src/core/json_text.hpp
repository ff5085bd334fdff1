#pragma once

#include <string>
#include <string_view>

namespace oauth_manager::core {

// Appends `text` to `out` as a JSON string literal, quotes included. For answers and log lines
// written field by field instead of built as a JSON tree first (a tree costs an allocation per
// member and per value). Invalid UTF-8 is replaced, never passed through.
void append_json_string(std::string& out, std::string_view text);

}  // namespace oauth_manager::core
