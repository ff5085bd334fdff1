#include "store/audit_chain.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "crypto/hash.hpp"
#include "store/store.hpp"

namespace oauth_manager::store {
namespace {

nlohmann::json optional_json(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

std::string chain_hash(std::string_view prev_hash, const core::AuditEvent& event) {
  // nlohmann::json objects keep keys sorted, which makes the form canonical.
  const nlohmann::json canonical = {
      {"id", event.id},
      {"occurred_at", core::to_unix_ms(event.occurred_at)},
      {"actor", event.actor},
      {"event", event.event},
      {"user_id", optional_json(event.user_id)},
      {"integration_id", optional_json(event.integration_id)},
      {"outcome", event.outcome},
      {"request_id", optional_json(event.request_id)},
      {"ip", optional_json(event.ip)},
      {"details", event.details},
  };
  return crypto::sha256_hex(fmt::format("{}\n{}", prev_hash, canonical.dump()));
}

core::Result<ChainVerification> verify_audit_chain(Store& store) {
  ChainVerification verification;
  std::string expected_prev(kGenesisHash);
  AuditQuery query;
  query.limit = 1000;
  while (true) {
    auto page = store.list_audit(query);
    if (!page) return page.error();
    for (const auto& event : *page) {
      ++verification.events_checked;
      const char* problem = nullptr;
      if (event.prev_hash != expected_prev) {
        problem =
            "prev_hash does not match the previous event's hash (a row was removed or "
            "reordered)";
      } else if (chain_hash(event.prev_hash, event) != event.hash) {
        problem = "hash does not match the event's contents (the row was changed)";
      }
      if (problem != nullptr) {
        verification.intact = false;
        verification.first_broken_seq = event.seq;
        verification.problem = problem;
        return verification;
      }
      expected_prev = event.hash;
      query.after_seq = event.seq;
    }
    if (static_cast<int>(page->size()) < query.limit) return verification;
  }
}

}  // namespace oauth_manager::store
