#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <variant>

namespace oauth_manager::log {

enum class Level { trace, debug, info, warn, error };
enum class LogFormat { json, text };

// Structured logging: every line is an event name plus fields. Callers pass only values that are
// safe to log: never tokens, secrets, codes, verifiers or header values.
void configure(std::string_view level, LogFormat format);
bool enabled(Level level);
void write(Level level, std::string_view event,
           const nlohmann::json& fields = nlohmann::json::object());
// A field of a line logged on every request, where building a JSON object first would cost more
// than the rest of the line (the access log).
struct Field {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, double> value;
};
void write_fields(Level level, std::string_view event, std::initializer_list<Field> fields);

// Writes the lines still waiting (info and below wait up to 10 ms to be written together;
// warnings and errors go at once). At exit this happens by itself.
void flush();

inline void debug(std::string_view event, const nlohmann::json& fields = nlohmann::json::object()) {
  write(Level::debug, event, fields);
}
inline void info(std::string_view event, const nlohmann::json& fields = nlohmann::json::object()) {
  write(Level::info, event, fields);
}
inline void warn(std::string_view event, const nlohmann::json& fields = nlohmann::json::object()) {
  write(Level::warn, event, fields);
}
inline void error(std::string_view event, const nlohmann::json& fields = nlohmann::json::object()) {
  write(Level::error, event, fields);
}

}  // namespace oauth_manager::log
