#include "manager/key_rotation.hpp"

#include <fmt/format.h>

namespace oauth_manager::manager {

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
    for (const auto& record : *batch) {
      auto tokens = vault_.open(record);
      if (!tokens) {
        return core::make_error(
            tokens.error().code,
            fmt::format("integration {}: {}", record.integration_id, tokens.error().message));
      }
      auto resealed = vault_.seal(record.integration_id, *tokens, record.updated_at);
      resealed.version = record.version;
      auto written = store_.update_tokens(resealed, record.version);
      if (written) {
        ++changed;
        ++progress.reencrypted;
      } else if (written.error().code != core::Code::conflict &&
                 written.error().code != core::Code::not_found) {
        return written.error();
      }
      // conflict: refreshed meanwhile; not_found: disconnected meanwhile. The next batch sees
      // whatever is stored now.
    }
    auto remaining = store_.count_tokens_not_under(primary);
    if (!remaining) return remaining.error();
    progress.remaining = *remaining;
    on_batch(progress);
    // A service still sealing with the old key would keep us busy forever: give up clearly.
    idle_batches = changed == 0 ? idle_batches + 1 : 0;
    if (idle_batches >= 3) {
      return core::make_error(core::Code::conflict,
                              "records keep changing under an old key: load the new primary key "
                              "into every running service first, then rotate again");
    }
  }
  return progress;
}

}  // namespace oauth_manager::manager
