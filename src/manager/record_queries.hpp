#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/blocking_pool.hpp"
#include "core/caller.hpp"
#include "events/audit_writer.hpp"
#include "manager/acting_user.hpp"
#include "store/audit_chain.hpp"
#include "store/store.hpp"

namespace oauth_manager::manager {

// An integration as its owner sees it: the record plus when its access token expires (never the
// token itself).
struct IntegrationView {
  core::Integration integration;
  std::optional<core::Timestamp> expires_at;
};

struct AuditPage {
  std::vector<core::AuditEvent> events;
  std::optional<std::int64_t> next_after_seq;  // set when more events may follow
};

// The read-only use cases: integrations, consents and the audit trail, as far as the caller may
// see them. A caller without users:any sees only its own records; asking for another user's
// is not_found, exactly as if the record did not exist, so ids never leak.
class RecordQueries {
 public:
  // `audit` is flushed before the trail is read, so a caller sees its own token reads at once.
  RecordQueries(store::Store& store, core::BlockingPool& blocking, events::AuditWriter& audit)
      : store_(store), blocking_(blocking), audit_(audit) {}

  boost::asio::awaitable<core::Result<std::vector<IntegrationView>>> integrations(
      const core::Caller& caller, const std::optional<std::string>& user_id);
  boost::asio::awaitable<core::Result<IntegrationView>> integration(const core::Caller& caller,
                                                                    const std::string& id);
  boost::asio::awaitable<core::Result<std::vector<core::Consent>>> consents(
      const core::Caller& caller, const std::optional<std::string>& user_id);
  // Without users:any the query is narrowed to the caller's own user id.
  boost::asio::awaitable<core::Result<AuditPage>> audit(const core::Caller& caller,
                                                        store::AuditQuery query);
  // The whole chain spans every user: only for callers with users:any.
  boost::asio::awaitable<core::Result<store::ChainVerification>> verify_audit(
      const core::Caller& caller);

 private:
  core::Result<IntegrationView> view_of(core::Integration integration);

  store::Store& store_;
  core::BlockingPool& blocking_;
  events::AuditWriter& audit_;
};

}  // namespace oauth_manager::manager
