#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include "core/audit_event.hpp"
#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/random_source.hpp"
#include "store/store.hpp"

namespace oauth_manager::events {

// Appends to the hash-chained audit trail. The caller describes what happened (actor, event,
// outcome, subject ids, request id, ip, details without secrets); the writer stamps id and time.
class AuditWriter {
 public:
  virtual ~AuditWriter() = default;
  virtual boost::asio::awaitable<core::Status> record(core::AuditEvent event) = 0;
  // Blocks until everything recorded so far can be read from the store.
  virtual core::Status flush() { return core::Status{}; }
};

// Writes each event through to the store before returning, so a request that says "audited"
// really is. (Token reads at high rates go through BatchingAuditWriter instead.)
class StoreAuditWriter final : public AuditWriter {
 public:
  StoreAuditWriter(store::Store& store, core::BlockingPool& blocking, const core::Clock& clock,
                   core::RandomSource& random)
      : store_(store), blocking_(blocking), clock_(clock), random_(random) {}

  boost::asio::awaitable<core::Status> record(core::AuditEvent event) override;

 private:
  store::Store& store_;
  core::BlockingPool& blocking_;
  const core::Clock& clock_;
  core::RandomSource& random_;
};

}  // namespace oauth_manager::events
