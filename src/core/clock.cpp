#include "core/clock.hpp"

#include <fmt/format.h>
#include <cctype>
#include <ctime>

namespace oauth_manager::core {

Timestamp SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::int64_t to_unix_ms(Timestamp time) { return time.time_since_epoch().count(); }

Timestamp from_unix_ms(std::int64_t ms) { return Timestamp{std::chrono::milliseconds{ms}}; }

std::string to_rfc3339(Timestamp time) {
  const auto ms = to_unix_ms(time);
  const std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const auto millis = static_cast<int>(ms - static_cast<std::int64_t>(seconds) * 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

namespace {

// Reads exactly `digits` decimal digits at `at`, advancing it.
std::optional<int> read_number(std::string_view text, std::size_t& at, std::size_t digits) {
  if (at + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const char c = text[at + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  at += digits;
  return value;
}

bool expect(std::string_view text, std::size_t& at, char wanted) {
  if (at >= text.size() || (text[at] != wanted && std::tolower(text[at]) != wanted)) return false;
  ++at;
  return true;
}

// Fractional seconds after '.', truncated to milliseconds.
std::optional<int> read_millis(std::string_view text, std::size_t& at) {
  if (at >= text.size() || text[at] != '.') return 0;
  ++at;
  int millis = 0;
  std::size_t digits = 0;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
    if (digits < 3) millis = millis * 10 + (text[at] - '0');
    ++digits;
    ++at;
  }
  if (digits == 0) return std::nullopt;
  for (; digits < 3; ++digits) millis *= 10;
  return millis;
}

// "Z" or "±hh:mm" as minutes east of UTC.
std::optional<int> read_offset_minutes(std::string_view text, std::size_t& at) {
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
    return 0;
  }
  if (at >= text.size() || (text[at] != '+' && text[at] != '-')) return std::nullopt;
  const int sign = text[at++] == '-' ? -1 : 1;
  const auto hours = read_number(text, at, 2);
  if (!hours || !expect(text, at, ':')) return std::nullopt;
  const auto minutes = read_number(text, at, 2);
  if (!minutes || *hours > 23 || *minutes > 59) return std::nullopt;
  return sign * (*hours * 60 + *minutes);
}

}  // namespace

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
  std::size_t at = 0;
  const auto year = read_number(text, at, 4);
  if (!year || !expect(text, at, '-')) return std::nullopt;
  const auto month = read_number(text, at, 2);
  if (!month || !expect(text, at, '-')) return std::nullopt;
  const auto day = read_number(text, at, 2);
  if (!day || !expect(text, at, 't')) return std::nullopt;
  const auto hour = read_number(text, at, 2);
  if (!hour || !expect(text, at, ':')) return std::nullopt;
  const auto minute = read_number(text, at, 2);
  if (!minute || !expect(text, at, ':')) return std::nullopt;
  const auto second = read_number(text, at, 2);
  if (!second) return std::nullopt;
  const auto millis = read_millis(text, at);
  const auto offset = read_offset_minutes(text, at);
  if (!millis || !offset || at != text.size()) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  const auto days = std::chrono::sys_days{date};
  return std::chrono::time_point_cast<std::chrono::milliseconds>(days) + std::chrono::hours{*hour} +
         std::chrono::minutes{*minute - *offset} + std::chrono::seconds{*second} +
         std::chrono::milliseconds{*millis};
}

}  // namespace oauth_manager::core
