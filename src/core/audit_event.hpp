#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.hpp"

namespace oauth_manager::core {

// One entry of the append-only, hash-chained audit trail. `details` is a JSON object and never
// holds a secret.
struct AuditEvent {
  std::int64_t seq = 0;  // assigned by the store, strictly increasing
  std::string id;
  Timestamp occurred_at;
  std::string actor;
  std::string event;
  std::optional<std::string> user_id;
  std::optional<std::string> integration_id;
  std::string outcome;
  std::optional<std::string> request_id;
  std::optional<std::string> ip;
  std::string details = "{}";
  std::string prev_hash;  // hash of the previous event; all zeros for the first
  std::string hash;       // SHA-256 over prev_hash and this event's canonical form
};

}  // namespace oauth_manager::core
