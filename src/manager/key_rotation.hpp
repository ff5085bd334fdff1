#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/clock.hpp"
#include "core/random_source.hpp"
#include "crypto/keyring.hpp"
#include "crypto/pkce.hpp"
#include "manager/token_vault.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

struct RotationProgress {
  std::int64_t reencrypted = 0;
  std::int64_t remaining = 0;  // still under another key after the last batch
};

// Re-encrypts every stored token set under the keyring's primary key, in batches, while the
// service keeps running: each batch reads records sealed under an older key, re-seals them, and
// writes them back with the version check, so a token refreshed meanwhile (already sealed with
// the new primary by a service that has it) is left alone. Old keys must stay loaded until it is
// done; afterwards they can be removed.
//
// Each record is re-sealed under its refresh lease, like a refresh: a refresh in flight (whose
// provider may be rotating the refresh token right now) is never raced; its row is skipped and
// comes back in a later batch.
class KeyRotation {
 public:
  KeyRotation(store::Store& store, const crypto::Keyring& keyring, core::RandomSource& random,
              const core::Clock& clock,
              std::chrono::milliseconds busy_pause = std::chrono::seconds(1))
      : store_(store),
        keyring_(keyring),
        vault_(keyring),
        owner_("rotate-keys:" + crypto::new_random_token(random)),
        clock_(clock),
        busy_pause_(busy_pause) {}

  // `on_batch` sees progress after every batch. Stops when nothing is left under an old key, or
  // fails (a record that does not decrypt: its key is not loaded).
  core::Result<RotationProgress> run(int batch_size,
                                     const std::function<void(const RotationProgress&)>& on_batch);

 private:
  enum class Outcome { rotated, busy, gone };
  core::Result<Outcome> rotate(const core::TokenRecord& listed);
  core::Result<Outcome> reseal_holding_lease(const std::string& integration_id);

  store::Store& store_;
  const crypto::Keyring& keyring_;
  TokenVault vault_;
  std::string owner_;  // of the leases this rotation takes
  const core::Clock& clock_;
  std::chrono::milliseconds busy_pause_;  // before looking again at rows a refresh holds
};

}  // namespace oauth_manager::manager
