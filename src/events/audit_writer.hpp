#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <deque>
#include <mutex>
#include <vector>

#include "core/audit_event.hpp"
#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "core/completion.hpp"
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
// really is. (Token reads at high rates go through BatchingAuditWriter instead.) Events recorded
// while a write is in flight wait and go together in the next transaction (group commit): the
// chain's lock is taken once per group rather than once per event, which on PostgreSQL capped
// connects and refreshes at about 850 a second across all replicas.
class StoreAuditWriter final : public AuditWriter {
 public:
  StoreAuditWriter(store::Store& store, core::BlockingPool& blocking, const core::Clock& clock,
                   core::RandomSource& random)
      : store_(store), blocking_(blocking), clock_(clock), random_(random) {}

  boost::asio::awaitable<core::Status> record(core::AuditEvent event) override;
  // Drops the events still waiting (their requests with them) while the io_context they wait on
  // still exists: at shutdown, after it stopped running.
  void abandon();

 private:
  struct Queued {
    core::AuditEvent event;
    core::Completion<core::Status> written;
  };
  static constexpr std::size_t kMaxGroup = 500;

  class RunningFlag;
  boost::asio::awaitable<void> write_groups(RunningFlag running);
  boost::asio::awaitable<std::vector<core::Status>> write_group(const std::vector<Queued>& group);

  std::mutex mutex_;  // guards queue_ and writing_
  std::deque<Queued> queue_;
  bool writing_ = false;  // a write_groups() runs, and will take what is queued
  store::Store& store_;
  core::BlockingPool& blocking_;
  const core::Clock& clock_;
  core::RandomSource& random_;
};

}  // namespace oauth_manager::events
