#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/audit_event.hpp"
#include "core/auth_state.hpp"
#include "core/connect_session.hpp"
#include "core/consent.hpp"
#include "core/error.hpp"
#include "core/integration.hpp"
#include "core/outbox_job.hpp"
#include "core/pending_connection.hpp"
#include "core/refresh_backoff.hpp"
#include "core/scope_info.hpp"
#include "core/token_record.hpp"
#include "store/integration_watcher.hpp"

namespace oauth_manager::store {

struct AuditQuery {
  std::optional<std::string> user_id;
  std::optional<std::string> integration_id;
  std::optional<std::string> event;
  std::optional<core::Timestamp> since;
  std::optional<core::Timestamp> until;
  std::int64_t after_seq = 0;  // cursor: events with a larger seq
  int limit = 100;
};

struct MigrationReport {
  std::vector<std::string> applied;  // "0001_initial_schema", ... applied by this call
  int current_version = 0;
};

// Lookups that must stay O(log n); backends prove it with their query planner.
enum class IndexedLookup { integrations_by_user_provider, state_by_hash };

// Everything oauth-manager persists. Calls block: callers on an I/O thread go through
// BlockingPool. Token and verifier fields are ciphertext; no backend ever sees a plaintext secret.
// Failures: not_found, conflict (unique or version clash), unavailable (database unreachable),
// internal.
class Store {
 public:
  virtual ~Store() = default;

  virtual std::string_view backend_name() const = 0;
  virtual core::Status ping() = 0;
  // Applies the embedded migrations not yet applied, holding a lock so that replicas starting
  // together do not migrate twice.
  virtual core::Result<MigrationReport> migrate() = 0;

  // Inserts, or updates the account details, status and scopes of the integration with the same
  // (user_id, provider, provider_account_id). Returns the stored row (an existing id is kept).
  virtual core::Result<core::Integration> upsert_integration(
      const core::Integration& integration) = 0;
  virtual core::Result<core::Integration> get_integration(std::string_view id) = 0;
  virtual core::Result<std::vector<core::Integration>> list_integrations(
      std::string_view user_id, std::optional<std::string_view> provider) = 0;
  // How many integrations that are not revoked hold `provider_account_id` at `provider`, for
  // any user.
  virtual core::Result<std::int64_t> count_live_integrations_of_account(
      std::string_view provider, std::string_view provider_account_id) = 0;
  virtual core::Status set_integration_status(std::string_view id, core::IntegrationStatus status,
                                              core::Timestamp now) = 0;
  // Notes a successful token refresh (last_refreshed_at and updated_at).
  virtual core::Status mark_refreshed(std::string_view id, core::Timestamp now) = 0;

  // Runs `work` against a view of this store inside one write transaction: everything it writes
  // commits together, or nothing does (an error from `work`, or an exception, rolls it all
  // back). One use case, one transaction. Inside `work`, `transact` on the view just runs.
  virtual core::Status transact(const std::function<core::Status(Store& tx)>& work) = 0;
  // The scopes the provider now says are granted (a refresh answer may narrow them).
  virtual core::Status set_granted_scopes(std::string_view id,
                                          const std::vector<std::string>& scopes,
                                          core::Timestamp now) = 0;

  // Stores the first token set of an integration, or replaces it on reconnect (version + 1).
  // Nothing comes back (read the set with get_tokens), so that inside a transaction the write
  // can travel with the next statement: a connect's tokens go with its commit.
  virtual core::Status put_tokens(const core::TokenRecord& tokens) = 0;
  virtual core::Result<core::TokenRecord> get_tokens(std::string_view integration_id) = 0;
  // Writes `tokens` only if the stored version is still `expected_version`; conflict otherwise.
  virtual core::Result<core::TokenRecord> update_tokens(const core::TokenRecord& tokens,
                                                        std::int64_t expected_version) = 0;
  // Deletes the token set and returns it as it was at the delete (nullopt when there was none),
  // so a concurrent refresh can never slip a newer set in between a read and the delete.
  virtual core::Result<std::optional<core::TokenRecord>> delete_tokens(
      std::string_view integration_id) = 0;

  virtual core::Status upsert_scopes(const std::vector<core::ScopeInfo>& scopes) = 0;
  virtual core::Result<std::vector<core::ScopeInfo>> list_scopes(std::string_view provider) = 0;

  virtual core::Status append_consent(const core::Consent& consent) = 0;
  virtual core::Result<std::vector<core::Consent>> list_consents(std::string_view user_id) = 0;
  // Closes every open ledger entry of the integration. Returns how many were closed.
  virtual core::Result<int> close_consents(std::string_view integration_id,
                                           core::Timestamp revoked_at) = 0;

  // Appends to the hash chain: fills seq, prev_hash and hash atomically with the insert.
  virtual core::Result<core::AuditEvent> append_audit(const core::AuditEvent& event) = 0;
  // Appends `events` in order, in one transaction: all of them or none.
  virtual core::Result<std::vector<core::AuditEvent>> append_audit_batch(
      const std::vector<core::AuditEvent>& events) = 0;
  virtual core::Result<std::vector<core::AuditEvent>> list_audit(const AuditQuery& query) = 0;

  virtual core::Status insert_state(const core::AuthState& state) = 0;
  // Marks the state consumed and returns it, atomically: of concurrent consumers exactly one
  // succeeds. not_found when unknown or already consumed. Expiry is the caller's check.
  virtual core::Result<core::AuthState> consume_state(std::string_view state_hash,
                                                      core::Timestamp now) = 0;
  virtual core::Result<int> delete_expired_states(core::Timestamp before) = 0;
  // Binds the unexpired, unconsumed state whose start link hashes to `flow_hash` to the browser
  // whose cookie hashes to `browser_hash`, once: not_found when unknown, expired, used or bound
  // already. Of concurrent binders exactly one succeeds.
  virtual core::Result<core::AuthState> bind_state_to_browser(std::string_view flow_hash,
                                                              std::string_view browser_hash,
                                                              core::Timestamp now) = 0;

  // Connect flows waiting for the application's confirmation ([connect] confirm_url).
  virtual core::Status insert_pending_connection(const core::PendingConnection& pending) = 0;
  // Deletes the pending connection and returns it, atomically: of concurrent takers exactly one
  // gets it. not_found when unknown or taken already. Expiry is the caller's check.
  virtual core::Result<core::PendingConnection> take_pending_connection(
      std::string_view id_hash) = 0;
  // Deletes up to `limit` pending connections that expired before `before` and returns them (so
  // their grants can be revoked in the same transaction).
  virtual core::Result<std::vector<core::PendingConnection>> take_expired_pending_connections(
      core::Timestamp before, int limit) = 0;

  // Connect sessions (the hosted connect page's grants).
  virtual core::Status insert_connect_session(const core::ConnectSession& session) = 0;
  virtual core::Result<core::ConnectSession> get_connect_session(std::string_view id) = 0;
  // The session whose token hashes to `token_hash`, revoked or expired ones included (the
  // caller decides); not_found when there is none.
  virtual core::Result<core::ConnectSession> find_connect_session(std::string_view token_hash) = 0;
  // Marks the session revoked; not_found when unknown or revoked already.
  virtual core::Status revoke_connect_session(std::string_view id, core::Timestamp now) = 0;
  virtual core::Result<int> delete_expired_connect_sessions(core::Timestamp before) = 0;

  // Token sets sealed under another data key than `key_id` (for re-encryption), and how many.
  virtual core::Result<std::vector<core::TokenRecord>> list_tokens_not_under(
      std::string_view key_id, int limit) = 0;
  virtual core::Result<std::int64_t> count_tokens_not_under(std::string_view key_id) = 0;

  // Active integrations with a refresh token whose access token expires before `before`,
  // soonest first.
  virtual core::Result<std::vector<std::string>> list_expiring(core::Timestamp before,
                                                               int limit) = 0;

  // Takes the refresh lease of an integration for `owner` until `expires_at`, if nobody holds
  // an unexpired one at `now`. Returns whether `owner` holds it now.
  virtual core::Result<bool> acquire_refresh_lease(std::string_view integration_id,
                                                   std::string_view owner, core::Timestamp now,
                                                   core::Timestamp expires_at) = 0;
  // Releases the lease if `owner` still holds it (an expired lease taken over by another owner
  // is left alone).
  virtual core::Status release_refresh_lease(std::string_view integration_id,
                                             std::string_view owner) = 0;

  // The integration's shared refresh backoff; nullopt when its last refresh did not fail.
  virtual core::Result<std::optional<core::RefreshBackoff>> get_refresh_backoff(
      std::string_view integration_id) = 0;
  virtual core::Status put_refresh_backoff(std::string_view integration_id,
                                           const core::RefreshBackoff& backoff) = 0;
  virtual core::Status clear_refresh_backoff(std::string_view integration_id) = 0;

  // The outbox: side effects stored with their cause (see core::OutboxJob).
  virtual core::Status enqueue_outbox(const core::OutboxJob& job) = 0;
  // Leases up to `limit` jobs of `kinds` due at `now` that nobody holds (or whose lease
  // expired) to `owner` until `lease_until`, soonest due first. Of concurrent claimers, each job
  // goes to one.
  virtual core::Result<std::vector<core::OutboxJob>> claim_outbox(
      const std::vector<std::string>& kinds, std::string_view owner, core::Timestamp now,
      core::Timestamp lease_until, int limit) = 0;
  // Deletes a job `owner` holds (delivered, or given up); not_found once its lease was lost.
  virtual core::Status finish_outbox(std::string_view id, std::string_view owner) = 0;
  // Releases a job `owner` holds for another attempt at `due_at`, noting the failure.
  virtual core::Status retry_outbox(std::string_view id, std::string_view owner, int attempts,
                                    core::Timestamp due_at, std::string_view last_error) = 0;
  // When the next job of `kinds` can be claimed (its due time, or the end of its lease); nullopt
  // when there is none.
  virtual core::Result<std::optional<core::Timestamp>> next_outbox_time(
      const std::vector<std::string>& kinds) = 0;
  virtual core::Result<std::int64_t> count_outbox() = 0;

  virtual core::Result<bool> lookup_uses_index(IndexedLookup lookup) = 0;

  // From now on, every write to an integration or its token set in this process is reported to
  // `watcher` (nullptr: to nobody) when its transaction ends. Set before serving; the watcher
  // outlives the store's use.
  virtual void report_changes_to(IntegrationWatcher* watcher) = 0;
};

}  // namespace oauth_manager::store
