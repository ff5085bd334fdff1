#pragma once

#include <cstdint>
#include <functional>

#include "crypto/keyring.hpp"
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
class KeyRotation {
 public:
  KeyRotation(store::Store& store, const crypto::Keyring& keyring)
      : store_(store), keyring_(keyring), vault_(keyring) {}

  // `on_batch` sees progress after every batch. Stops when nothing is left under an old key, or
  // fails (a record that does not decrypt: its key is not loaded).
  core::Result<RotationProgress> run(int batch_size,
                                     const std::function<void(const RotationProgress&)>& on_batch);

 private:
  store::Store& store_;
  const crypto::Keyring& keyring_;
  TokenVault vault_;
};

}  // namespace oauth_manager::manager
