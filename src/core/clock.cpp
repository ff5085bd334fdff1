#include "core/clock.hpp"

#include <fmt/format.h>
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

}  // namespace oauth_manager::core
