#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "core/pending_connection.hpp"
#include "core/random_source.hpp"
#include "crypto/keyring.hpp"
#include "events/audit_writer.hpp"
#include "events/outbox_worker.hpp"
#include "manager/connection_writer.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

struct ConfirmSettings {
  std::optional<std::string> confirm_url;  // off when unset
  std::chrono::seconds lifetime{300};
};

struct ConfirmedConnection {
  core::Integration integration;
  std::optional<std::string> return_to;  // where the application may send the browser now
};

// The second defence against account linking (RFC 9700 §4.7), on with [connect] confirm_url: a
// flow the provider finished is held, encrypted, until the application (which sees its own
// session at confirm_url) confirms the user. Only the user who began the flow can activate it;
// anyone else's confirmation deletes it and revokes its grant, as does its expiry.
class ConnectConfirmation {
 public:
  ConnectConfirmation(store::Store& store, core::BlockingPool& blocking,
                      const crypto::Keyring& keyring, ConnectionWriter& writer,
                      events::AuditWriter& audit, const core::Clock& clock,
                      core::RandomSource& random, ConfirmSettings settings);

  bool enabled() const { return settings_.confirm_url.has_value(); }
  // Holds `connection` until it is confirmed or expires. Returns where the browser goes next:
  // confirm_url?flow=<one-time id>.
  boost::asio::awaitable<core::Result<std::string>> hold(
      const NewConnection& connection, const std::optional<std::string>& return_to);
  // `user_id` (whose session reached confirm_url) confirms the flow `flow_id`: activated when
  // that user began it; otherwise flow_user_mismatch, and the held grant is revoked. Either way
  // the flow is spent.
  // `actor` is who confirms, for the audit (the caller, who may act for `user_id`).
  boost::asio::awaitable<core::Result<ConfirmedConnection>> confirm(const std::string& flow_id,
                                                                    const std::string& user_id,
                                                                    const std::string& actor);
  // Deletes the held flows nobody confirmed in time and revokes their grants; how many.
  boost::asio::awaitable<core::Result<int>> purge_expired();
  void set_outbox(events::OutboxWorker* outbox) { outbox_ = outbox; }

 private:
  struct Held;
  core::Result<Held> open(const core::PendingConnection& pending) const;
  // The revocation jobs of a held grant, written in `tx` (none when someone holds the account
  // in a live integration: revoking would end theirs); `held.revocation` says which.
  core::Result<std::vector<core::OutboxJob>> revoke_in(store::Store& tx, Held& held, bool leased,
                                                       core::Timestamp now);
  boost::asio::awaitable<core::Result<int>> purge_batch();
  boost::asio::awaitable<void> revoke_now(const std::vector<core::OutboxJob>& jobs);
  boost::asio::awaitable<void> audit_refusal(const Held& held, const std::string& outcome,
                                             const std::string& actor);

  store::Store& store_;
  core::BlockingPool& blocking_;
  const crypto::Keyring& keyring_;
  ConnectionWriter& writer_;
  TokenVault vault_;
  events::AuditWriter& audit_;
  const core::Clock& clock_;
  core::RandomSource& random_;
  ConfirmSettings settings_;
  events::OutboxWorker* outbox_ = nullptr;
};

}  // namespace oauth_manager::manager
