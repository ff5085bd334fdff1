#pragma once

#include <string>
#include <string_view>

namespace oauth_manager::core {

// What to do with text that is not valid UTF-8: replace the bad bytes with U+FFFD (a log line
// still gets written), or throw (a credential handed out altered is worse than an error).
enum class InvalidUtf8 { replace, reject };

// Appends `text` to `out` as a JSON string literal, quotes included. For answers and log lines
// written field by field instead of built as a JSON tree first (a tree costs an allocation per
// member and per value). Invalid UTF-8 is never passed through; with `reject` it throws
// std::invalid_argument, whose message says nothing of the text.
void append_json_string(std::string& out, std::string_view text,
                        InvalidUtf8 invalid = InvalidUtf8::replace);

}  // namespace oauth_manager::core
