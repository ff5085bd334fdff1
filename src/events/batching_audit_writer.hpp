#pragma once

#include <utility>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "events/audit_writer.hpp"

namespace oauth_manager::events {

struct AuditBatchSettings {
  std::set<std::string> batched_events{"token.read"};
  std::chrono::milliseconds flush_interval{200};
  bool coalesce = true;  // merge a caller's reads of one integration within a minute
  std::size_t max_batch = 1000;
  // Beyond this many queued events (the database is down or slow), events are written through
  // again: the request waits for its audit row rather than memory growing without bound.
  std::size_t max_pending = 50000;
  std::chrono::milliseconds retry_pause{1000};
  std::chrono::seconds close_timeout{20};  // how long close() keeps trying a failing database
};

// Token reads are the one event a busy backend produces by the thousand, and writing each
// through before answering would make the audit chain's lock the service's bottleneck. This
// writer takes the events named in its settings off the request path: each is stamped with its
// time at once, queued, and written by one thread in batches, one transaction per batch, in
// order, optionally coalesced (see coalesce_audit_events), ids drawn as a batch is written.
// Nothing is dropped: a batch that fails goes back to the front of the queue as it was to be
// written (merged rows, with their ids: after a failure the queue holds rows, some standing for
// many reads) and is retried, past max_pending callers write through, and close() writes what
// is queued before it returns. Other events go straight to `direct`.
class BatchingAuditWriter final : public AuditWriter {
 public:
  BatchingAuditWriter(store::Store& store, AuditWriter& direct, const core::Clock& clock,
                      core::RandomSource& random, AuditBatchSettings settings);
  BatchingAuditWriter(const BatchingAuditWriter&) = delete;
  BatchingAuditWriter& operator=(const BatchingAuditWriter&) = delete;
  ~BatchingAuditWriter() override;

  boost::asio::awaitable<core::Status> record(core::AuditEvent event) override;
  // Writes everything queued so far before returning; the store's error if it failed (the
  // events stay queued).
  core::Status flush() override;
  // Writes what is queued (retrying a failing database up to close_timeout) and stops the
  // writer thread; later events are written through. Idempotent.
  void close();
  std::size_t pending() const;

 private:
  void run();
  bool enqueue(core::AuditEvent& event);
  core::Status write_one_batch();  // with write_mutex_ held
  core::Status write_next_batch();
  void drain_for_close();

  store::Store& store_;
  AuditWriter& direct_;
  const core::Clock& clock_;
  core::RandomSource& random_;
  const AuditBatchSettings settings_;

  mutable std::mutex mutex_;  // guards pending_ and closing_
  std::condition_variable wake_;
  std::deque<core::AuditEvent> pending_;
  bool closing_ = false;
  std::mutex write_mutex_;  // one batch in flight at a time keeps the chain in queue order
  std::thread thread_;
};

}  // namespace oauth_manager::events
