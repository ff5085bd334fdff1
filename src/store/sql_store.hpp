#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/connection_pool.hpp"
#include "store/sql_rows.hpp"
#include "store/store.hpp"

namespace oauth_manager::store {

// The Store contract written once in portable SQL over SqlConnection; each backend contributes
// only its connection (sqlite/, postgres/).
class SqlStore final : public Store {
 public:
  SqlStore(std::string backend, ConnectionFactory factory, int pool_size);

  core::Status transact(const std::function<core::Status(Store& tx)>& work) override;

  std::string_view backend_name() const override { return backend_; }
  core::Status ping() override;
  core::Result<MigrationReport> migrate() override;

  core::Result<core::Integration> upsert_integration(const core::Integration& integration) override;
  core::Result<core::Integration> get_integration(std::string_view id) override;
  core::Result<std::vector<core::Integration>> list_integrations(
      std::string_view user_id, std::optional<std::string_view> provider) override;
  core::Result<std::int64_t> count_live_integrations_of_account(
      std::string_view provider, std::string_view provider_account_id) override;
  core::Status set_integration_status(std::string_view id, core::IntegrationStatus status,
                                      core::Timestamp now) override;

  core::Status put_tokens(const core::TokenRecord& tokens) override;
  core::Result<core::TokenRecord> get_tokens(std::string_view integration_id) override;
  core::Result<core::TokenRecord> update_tokens(const core::TokenRecord& tokens,
                                                std::int64_t expected_version) override;
  core::Result<std::optional<core::TokenRecord>> delete_tokens(
      std::string_view integration_id) override;

  core::Status upsert_scopes(const std::vector<core::ScopeInfo>& scopes) override;
  core::Result<std::vector<core::ScopeInfo>> list_scopes(std::string_view provider) override;

  core::Status append_consent(const core::Consent& consent) override;
  core::Result<std::vector<core::Consent>> list_consents(std::string_view user_id) override;
  core::Result<int> close_consents(std::string_view integration_id,
                                   core::Timestamp revoked_at) override;

  core::Result<core::AuditEvent> append_audit(const core::AuditEvent& event) override;
  core::Result<std::vector<core::AuditEvent>> append_audit_batch(
      const std::vector<core::AuditEvent>& events) override;
  core::Result<std::vector<core::AuditEvent>> list_audit(const AuditQuery& query) override;

  core::Status insert_state(const core::AuthState& state) override;
  core::Result<core::AuthState> consume_state(std::string_view state_hash,
                                              core::Timestamp now) override;
  core::Result<int> delete_expired_states(core::Timestamp before) override;
  core::Result<core::AuthState> bind_state_to_browser(std::string_view flow_hash,
                                                      std::string_view browser_hash,
                                                      core::Timestamp now) override;

  core::Status insert_pending_connection(const core::PendingConnection& pending) override;
  core::Result<core::PendingConnection> take_pending_connection(std::string_view id_hash) override;
  core::Result<std::vector<core::PendingConnection>> take_expired_pending_connections(
      core::Timestamp before, int limit) override;

  core::Status insert_connect_session(const core::ConnectSession& session) override;
  core::Result<core::ConnectSession> get_connect_session(std::string_view id) override;
  core::Result<core::ConnectSession> find_connect_session(std::string_view token_hash) override;
  core::Status revoke_connect_session(std::string_view id, core::Timestamp now) override;
  core::Result<int> delete_expired_connect_sessions(core::Timestamp before) override;

  core::Status mark_refreshed(std::string_view id, core::Timestamp now) override;
  core::Status set_granted_scopes(std::string_view id, const std::vector<std::string>& scopes,
                                  core::Timestamp now) override;
  core::Result<std::vector<std::string>> list_expiring(core::Timestamp before, int limit) override;
  core::Result<std::vector<core::TokenRecord>> list_tokens_not_under(std::string_view key_id,
                                                                     int limit) override;
  core::Result<std::int64_t> count_tokens_not_under(std::string_view key_id) override;
  core::Result<bool> acquire_refresh_lease(std::string_view integration_id, std::string_view owner,
                                           core::Timestamp now,
                                           core::Timestamp expires_at) override;
  core::Status release_refresh_lease(std::string_view integration_id,
                                     std::string_view owner) override;
  core::Result<std::optional<core::RefreshBackoff>> get_refresh_backoff(
      std::string_view integration_id) override;
  core::Status put_refresh_backoff(std::string_view integration_id,
                                   const core::RefreshBackoff& backoff) override;
  core::Status clear_refresh_backoff(std::string_view integration_id) override;
  core::Status enqueue_outbox(const core::OutboxJob& job) override;
  core::Result<std::vector<core::OutboxJob>> claim_outbox(const std::vector<std::string>& kinds,
                                                          std::string_view owner,
                                                          core::Timestamp now,
                                                          core::Timestamp lease_until,
                                                          int limit) override;
  core::Status finish_outbox(std::string_view id, std::string_view owner) override;
  core::Status retry_outbox(std::string_view id, std::string_view owner, int attempts,
                            core::Timestamp due_at, std::string_view last_error) override;
  core::Result<std::optional<core::Timestamp>> next_outbox_time(
      const std::vector<std::string>& kinds) override;
  core::Result<std::int64_t> count_outbox() override;
  core::Result<bool> lookup_uses_index(IndexedLookup lookup) override;
  void report_changes_to(IntegrationWatcher* watcher) override { watcher_->store(watcher); }

 private:
  using Changes = std::vector<IntegrationChange>;

  // Leases a connection, runs `work` on it, and returns its result.
  // A view of the same store bound to `connection`, which is inside a write transaction.
  SqlStore(const SqlStore& root, SqlConnection& connection, Changes& changes)
      : backend_(root.backend_),
        pool_(root.pool_),
        watcher_(root.watcher_),
        bound_(&connection),
        changes_(&changes) {}

  // Leases a connection (or uses the bound one), runs `work` on it, and returns its result.
  template <typename Work>
  auto with_connection(Work&& work) -> decltype(work(std::declval<SqlConnection&>())) {
    if (bound_ != nullptr) return work(*bound_);
    auto lease = pool_->lease();
    if (!lease) return lease.error();
    return work(**lease);
  }

  // `work` in a write transaction of its own, or in the one a bound view is already inside.
  template <typename Work>
  auto atomically(SqlConnection& connection, Work&& work) -> decltype(work()) {
    if (bound_ != nullptr) return work();
    return in_write_transaction(connection, std::forward<Work>(work));
  }

  // A write to an integration or its tokens: reported now, or, inside a transaction, when it ends.
  void changed(IntegrationChange change);
  void report(const Changes& changes) const;

  std::string backend_;
  std::shared_ptr<ConnectionPool> pool_;
  std::shared_ptr<std::atomic<IntegrationWatcher*>> watcher_ =
      std::make_shared<std::atomic<IntegrationWatcher*>>(nullptr);
  SqlConnection* bound_ = nullptr;  // set in a view made by transact()
  Changes* changes_ = nullptr;      // the view's writes, reported by transact() when it ends
};

}  // namespace oauth_manager::store
