#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/integration.hpp"
#include "core/random_source.hpp"
#include "crypto/keyring.hpp"
#include "events/webhooks.hpp"
#include "manager/token_vault.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

// A connection the provider granted, in plaintext, as long as one request needs it: the
// integration as it will be stored, its tokens, and what the consent ledger records.
struct NewConnection {
  core::Integration integration;
  TokenSet tokens;
  std::vector<std::string> requested_scopes;
  std::optional<std::string> ip;
  std::optional<std::string> user_agent;
};

// The writes that make a connection active, inside one store transaction: the integration (an
// existing one of the same account is updated and keeps its id), its encrypted tokens, the
// consent and the integration.connected webhook. Shared by a callback and a confirmation.
class ConnectionWriter {
 public:
  ConnectionWriter(const crypto::Keyring& keyring, core::RandomSource& random)
      : vault_(keyring), random_(random) {}

  core::Result<core::Integration> write(store::Store& tx, NewConnection connection,
                                        core::Timestamp now) const;
  void set_publisher(events::EventPublisher* publisher) { publisher_ = publisher; }
  // After the transaction of a write() committed: the webhook it queued may go now.
  void committed() const {
    if (publisher_ != nullptr) publisher_->committed();
  }

 private:
  TokenVault vault_;
  core::RandomSource& random_;
  events::EventPublisher* publisher_ = nullptr;
};

}  // namespace oauth_manager::manager
