#include "manager/key_rotation.hpp"

#include <fmt/format.h>

#include <thread>

namespace oauth_manager::manager {
namespace {

// Longer than a re-seal takes, shorter than any refresh lease: a crashed rotation never blocks
// refreshes for long.
constexpr std::chrono::seconds kRotationLease{15};
// Batches in a row that changed nothing before giving up with a clear message.
constexpr int kMaxIdleBatches = 5;

}  // namespace

core::Result<KeyRotation::Outcome> KeyRotation::reseal_holding_lease(
    const std::string& integration_id) {
  // Re-read under the lease: the version we write over is the one no refresh can change now.
  auto record = store_.get_tokens(integration_id);
  if (!record && record.error().code == core::Code::not_found) return Outcome::gone;
  if (!record) return record.error();
  if (record->key_id == keyring_.primary_id()) return Outcome::rotated;  // done meanwhile
  auto tokens = vault_.open(*record);
  if (!tokens) {
    return core::make_error(tokens.error().code, fmt::format("integration {}: {}", integration_id,
                                                             tokens.error().message));
  }
  auto resealed = vault_.seal(integration_id, *tokens, record->updated_at);
  auto written = store_.update_tokens(resealed, record->version);
  if (written) return Outcome::rotated;
  // not_found: disconnected meanwhile.
  if (written.error().code == core::Code::not_found) return Outcome::gone;
  return written.error();
}

core::Result<KeyRotation::Outcome> KeyRotation::rotate(const core::TokenRecord& listed) {
  const auto& id = listed.integration_id;
  const auto now = clock_.now();
  auto taken = store_.acquire_refresh_lease(id, owner_, now, now + kRotationLease);
  if (!taken) return taken.error();
  if (!*taken) return Outcome::busy;  // a refresh holds it: come back later
  auto outcome = reseal_holding_lease(id);
  if (auto released = store_.release_refresh_lease(id, owner_); !released && outcome) {
    return released.error();
  }
  return outcome;
}

core::Result<RotationProgress> KeyRotation::run(
    int batch_size, const std::function<void(const RotationProgress&)>& on_batch) {
  RotationProgress progress;
  const auto& primary = keyring_.primary_id();
  int idle_batches = 0;
  while (true) {
    auto batch = store_.list_tokens_not_under(primary, batch_size);
    if (!batch) return batch.error();
    if (batch->empty()) break;
    int changed = 0;
    int busy = 0;
    for (const auto& record : *batch) {
      auto outcome = rotate(record);
      if (!outcome) return outcome.error();
      if (*outcome == Outcome::rotated) {
        ++changed;
        ++progress.reencrypted;
      } else if (*outcome == Outcome::busy) {
        ++busy;
      }
    }
    auto remaining = store_.count_tokens_not_under(primary);
    if (!remaining) return remaining.error();
    progress.remaining = *remaining;
    on_batch(progress);
    idle_batches = changed == 0 ? idle_batches + 1 : 0;
    if (idle_batches >= kMaxIdleBatches) {
      // Rows that stay busy, or a service still sealing with the old key, would keep us here
      // forever: give up clearly.
      return core::make_error(core::Code::conflict,
                              fmt::format("{} token set(s) stay under an old key: they are being "
                                          "refreshed, or a running service still seals with the "
                                          "old primary; load the new primary key into every "
                                          "service first, then rotate again",
                                          progress.remaining));
    }
    if (changed == 0 && busy > 0) std::this_thread::sleep_for(busy_pause_);
  }
  return progress;
}

}  // namespace oauth_manager::manager
