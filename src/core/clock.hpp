#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace oauth_manager::core {

// Every persisted time has millisecond precision, the finest both storage backends keep exactly.
using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

// Injected wherever time matters so tests can pin it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

std::int64_t to_unix_ms(Timestamp time);
Timestamp from_unix_ms(std::int64_t ms);
// RFC 3339 in UTC with millisecond precision, e.g. "2026-11-24T10:00:00.123Z".
std::string to_rfc3339(Timestamp time);
// Parses RFC 3339 date-time ("2026-11-24T10:00:00Z", fractions and ±hh:mm offsets allowed);
// nullopt for anything else, including impossible dates.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

}  // namespace oauth_manager::core
