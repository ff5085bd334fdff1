#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "core/integration.hpp"
#include "core/outbox_job.hpp"
#include "core/token_record.hpp"
#include "events/outbox_worker.hpp"
#include "manager/token_vault.hpp"
#include "providers/registry.hpp"

namespace oauth_manager::manager {

inline constexpr const char* kRevocationJob = "revocation";

// Revocation at the provider (RFC 7009) as outbox jobs, one per token, so a disconnect that
// commits can never leave a grant alive at the provider for want of a retry. A job holds the
// token's ciphertext exactly as it was stored (still sealed to its integration and field) and is
// opened only to be sent.
class TokenRevoker final : public events::OutboxHandler {
 public:
  TokenRevoker(providers::ProviderRegistry& registry, const crypto::Keyring& keyring)
      : registry_(registry), vault_(keyring) {}

  // The jobs that revoke the tokens in `record`: the refresh token first (revoking it ends the
  // grant, and with it, at Google and per RFC 7009 §2.1, the access tokens issued from it), then
  // the access token. Made by `outbox`; `leased` to it when the caller delivers them at once.
  static std::vector<core::OutboxJob> jobs_for(const core::Integration& integration,
                                               const core::TokenRecord& record,
                                               events::OutboxWorker& outbox, bool leased = true);
  // The token hint a revocation job sends: "refresh_token" or "access_token".
  static std::string token_hint_of(const core::OutboxJob& job);

  boost::asio::awaitable<events::Delivery> deliver(const core::OutboxJob& job) override;
  events::OutboxSubject subject_of(const core::OutboxJob& job) const override;

 private:
  providers::ProviderRegistry& registry_;
  TokenVault vault_;
};

}  // namespace oauth_manager::manager
