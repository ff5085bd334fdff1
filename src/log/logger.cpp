#include "log/logger.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

#include "core/clock.hpp"

namespace oauth_manager::log {
namespace {

std::atomic<Level> g_threshold{Level::info};
std::atomic<LogFormat> g_format{LogFormat::json};

std::string_view level_name(Level level) {
  switch (level) {
    case Level::trace:
      return "trace";
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

spdlog::logger& sink() {
  // Logs go to stderr so that commands printing results (gen-key, check-config) keep stdout clean.
  static const std::shared_ptr<spdlog::logger> logger = [] {
    auto created = spdlog::stderr_logger_mt("oauth-manager");
    created->set_pattern("%v");
    created->set_level(spdlog::level::trace);
    created->flush_on(spdlog::level::trace);
    return created;
  }();
  return *logger;
}

std::string format_json(Level level, std::string_view event, const nlohmann::json& fields) {
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = core::to_rfc3339(core::SystemClock{}.now());
  line["level"] = level_name(level);
  line["event"] = event;
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) line[key] = value;
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string format_text(Level level, std::string_view event, const nlohmann::json& fields) {
  std::string line = core::to_rfc3339(core::SystemClock{}.now());
  line += ' ';
  line += level_name(level);
  line += ' ';
  line += event;
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) {
      line += ' ';
      line += key;
      line += '=';
      line += value.is_string()
                  ? value.get<std::string>()
                  : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return line;
}

}  // namespace

void configure(std::string_view level, LogFormat format) {
  for (auto candidate : {Level::trace, Level::debug, Level::info, Level::warn, Level::error}) {
    if (level_name(candidate) == level) g_threshold = candidate;
  }
  g_format = format;
}

bool enabled(Level level) { return level >= g_threshold.load(); }

void write(Level level, std::string_view event, const nlohmann::json& fields) {
  if (!enabled(level)) return;
  const auto line = g_format == LogFormat::json ? format_json(level, event, fields)
                                                : format_text(level, event, fields);
  sink().info(line);
}

}  // namespace oauth_manager::log
