#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/audit_event.hpp"
#include "core/error.hpp"

namespace oauth_manager::store {

class Store;

// The prev_hash of the first event in the chain.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// SHA-256 (hex) over the previous hash and the event's canonical JSON form (sorted keys, times as
// Unix milliseconds). Changing any stored field, or removing or reordering a row, breaks the chain.
std::string chain_hash(std::string_view prev_hash, const core::AuditEvent& event);

struct ChainVerification {
  bool intact = true;
  std::int64_t events_checked = 0;
  std::optional<std::int64_t> first_broken_seq;
  std::string problem;  // what is wrong at first_broken_seq
};

// Walks the whole chain in order and recomputes every hash.
core::Result<ChainVerification> verify_audit_chain(Store& store);

}  // namespace oauth_manager::store
