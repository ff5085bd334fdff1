#pragma once

#include <optional>
#include <string>

#include "core/clock.hpp"

namespace oauth_manager::core {

// A side effect that must happen once a change has committed: a token revocation at the
// provider, a webhook to the application. It is written in the same transaction as the change
// that causes it, so a crash can delay it but never lose it, and any replica carries it out
// (at least once) by claiming it with a lease.
struct OutboxJob {
  std::string id;
  std::string kind;     // which handler delivers it: "revocation", "webhook"
  std::string payload;  // JSON the handler reads; a secret in it is ciphertext only
  int attempts = 0;     // failed deliveries so far
  Timestamp created_at;
  Timestamp due_at;  // not delivered before
  // Set while a worker holds the job; a lease that expired (its worker died) may be taken over.
  std::optional<std::string> lease_owner;
  std::optional<Timestamp> lease_until;
  std::optional<std::string> last_error;  // what the last failed delivery said (no secrets)
};

}  // namespace oauth_manager::core
