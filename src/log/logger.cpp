#include "log/logger.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.hpp"
#include "core/json_text.hpp"

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

// Where lines go: stderr, so that commands printing results (gen-key, check-config) keep stdout
// clean. Lines are collected and written together, at most kFlushInterval apart: one write(2)
// per line (what spdlog's stderr sink does, flushing each line) cost a sixth of a /healthz
// request's CPU. spdlog's async logger was measured too (docs/performance.md): no gain, since its
// queue hands every line to another thread. Warnings and errors are written at once (with what
// was waiting before them, keeping the order), and everything is written at exit.
class LineWriter {
 public:
  static constexpr std::chrono::milliseconds kFlushInterval{10};
  static constexpr std::size_t kFlushBytes = 64 * 1024;

  LineWriter() : thread_([this] { run(); }) { thread_.detach(); }
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;
  ~LineWriter() = delete;

  void add(std::string line, bool at_once) {
    line += '\n';
    std::unique_lock lock(mutex_);
    const bool was_empty = pending_.empty();
    pending_ += line;
    if (at_once || pending_.size() >= kFlushBytes) {
      write_locked();
    } else if (was_empty) {
      lock.unlock();
      wake_.notify_one();
    }
  }

  void flush() {
    const std::lock_guard lock(mutex_);
    write_locked();
  }

 private:
  [[noreturn]] void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return !pending_.empty(); });
      // Let more lines join before writing: at high rates this is what batches them.
      lock.unlock();
      std::this_thread::sleep_for(kFlushInterval);
      lock.lock();
      write_locked();
    }
  }

  // With mutex_ held. Holding it across the write keeps lines whole and in order; a stderr that
  // blocks (a full pipe) blocks logging, as it did with spdlog.
  void write_locked() {
    std::size_t written = 0;
    while (written < pending_.size()) {
      const auto n = ::write(STDERR_FILENO, pending_.data() + written, pending_.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stderr is closed or failing: the lines cannot go anywhere
      written += static_cast<std::size_t>(n);
    }
    pending_.clear();
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::string pending_;
  std::thread thread_;
};

// Never destroyed (a line logged from another static's destructor must still find it); what is
// waiting is written by the exit handler.
LineWriter& writer() {
  static LineWriter* const instance = [] {
    auto* created = new LineWriter();
    std::atexit([] { writer().flush(); });
    // std::terminate (an exception nobody caught) writes what waits before aborting.
    static const std::terminate_handler previous = std::set_terminate([] {
      writer().flush();
      if (previous != nullptr) previous();
      std::abort();
    });
    return created;
  }();
  return *instance;
}

// Appends "2026-11-26T13:52:44.123Z": the part up to the seconds is formatted once a second per
// thread.
void append_timestamp(std::string& out) {
  const auto now = core::SystemClock{}.now();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(now);
  thread_local std::chrono::sys_seconds cached_second{};
  thread_local std::string cached_prefix;
  if (seconds != cached_second || cached_prefix.empty()) {
    cached_second = seconds;
    const auto full = core::to_rfc3339(seconds);      // "...:SS.000Z"
    cached_prefix = full.substr(0, full.size() - 4);  // "...:SS."
  }
  const auto millis = (now - seconds).count();
  fmt::format_to(std::back_inserter(out), "{}{:03}Z", cached_prefix, millis);
}

// The shortest form that reads back as the same double, as nlohmann writes it (a whole number
// keeps its ".0", so a log store never takes a float field for an integer), without building a
// JSON value for it.
void append_json_double(std::string& line, double number) {
  const auto start = line.size();
  fmt::format_to(std::back_inserter(line), "{}", number);
  if (line.find_first_of(".e", start) == std::string::npos) line += ".0";
}

// A line is built in one buffer sized for a typical access line (no regrowth on the way).
constexpr std::size_t kTypicalLineBytes = 256;

std::string line_start(Level level, std::string_view event) {
  std::string line;
  line.reserve(kTypicalLineBytes);
  line += "{\"ts\":\"";
  append_timestamp(line);
  line += "\",\"level\":\"";
  line += level_name(level);
  line += "\",\"event\":";
  core::append_json_string(line, event);
  return line;
}

// The fixed fields first, then the event's own (one JSON object per line). The fields are written
// straight into the line rather than copied into another object first.
std::string format_json(Level level, std::string_view event, const nlohmann::json& fields) {
  auto line = line_start(level, event);
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) {
      if (key == "ts" || key == "level" || key == "event") continue;  // the line's own
      line += ',';
      core::append_json_string(line, key);
      line += ':';
      line += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  line += '}';
  return line;
}

std::string format_text(Level level, std::string_view event, const nlohmann::json& fields) {
  std::string line;
  line.reserve(kTypicalLineBytes);
  append_timestamp(line);
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
  auto line = g_format == LogFormat::json ? format_json(level, event, fields)
                                          : format_text(level, event, fields);
  writer().add(std::move(line), level >= Level::warn);
}

void write_fields(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  if (g_format != LogFormat::json) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& field : fields) {
      std::visit([&](const auto& value) { object[std::string(field.key)] = value; }, field.value);
    }
    write(level, event, object);
    return;
  }
  auto line = line_start(level, event);
  for (const auto& field : fields) {
    line += ',';
    core::append_json_string(line, field.key);
    line += ':';
    if (const auto* text = std::get_if<std::string_view>(&field.value)) {
      core::append_json_string(line, *text);
    } else if (const auto* number = std::get_if<std::int64_t>(&field.value)) {
      line += std::to_string(*number);
    } else if (const double number = std::get<double>(field.value); std::isfinite(number)) {
      append_json_double(line, number);
    } else {
      line += "null";  // JSON has no NaN or infinity
    }
  }
  line += '}';
  writer().add(std::move(line), level >= Level::warn);
}

void flush() { writer().flush(); }

}  // namespace oauth_manager::log
