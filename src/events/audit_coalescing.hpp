#pragma once

#include <vector>

#include "core/audit_event.hpp"

namespace oauth_manager::events {

// Merges events that differ only in when, from where and under which request id they happened:
// same event, actor, user, integration, outcome and details, within the same UTC minute. Each
// group becomes its first event, with details gaining "count", "first_at", "last_at" and up to
// kMaxRequestIds "request_ids". A group of one is left as it is, and the order of first
// occurrences is kept. (Token reads at high rates: one row per caller, integration and minute.)
std::vector<core::AuditEvent> coalesce_audit_events(std::vector<core::AuditEvent> events);

inline constexpr std::size_t kMaxRequestIds = 20;

}  // namespace oauth_manager::events
