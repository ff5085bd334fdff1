#include "events/batching_audit_writer.hpp"

#include <algorithm>
#include <iterator>

#include "core/ids.hpp"
#include "events/audit_coalescing.hpp"
#include "log/logger.hpp"

namespace oauth_manager::events {

namespace {

// A batch that fails goes back to the front of the queue as written: merged, with its ids.
// Those leading rows are never merged again (two merged rows alike would add up to a wrong
// count); the events queued behind them are.
std::vector<core::AuditEvent> coalesce_new_events(std::vector<core::AuditEvent> batch) {
  const auto first_new = std::find_if(
      batch.begin(), batch.end(), [](const core::AuditEvent& event) { return event.id.empty(); });
  std::vector<core::AuditEvent> fresh(std::make_move_iterator(first_new),
                                      std::make_move_iterator(batch.end()));
  batch.erase(first_new, batch.end());
  auto merged = coalesce_audit_events(std::move(fresh));
  batch.insert(batch.end(), std::make_move_iterator(merged.begin()),
               std::make_move_iterator(merged.end()));
  return batch;
}

}  // namespace

BatchingAuditWriter::BatchingAuditWriter(store::Store& store, AuditWriter& direct,
                                         const core::Clock& clock, core::RandomSource& random,
                                         AuditBatchSettings settings)
    : store_(store),
      direct_(direct),
      clock_(clock),
      random_(random),
      settings_(std::move(settings)),
      thread_([this] { run(); }) {}

BatchingAuditWriter::~BatchingAuditWriter() { close(); }

boost::asio::awaitable<core::Status> BatchingAuditWriter::record(core::AuditEvent event) {
  if (settings_.batched_events.count(event.event) != 0 && enqueue(event)) {
    co_return core::Status{};
  }
  co_return co_await direct_.record(std::move(event));
}

// False when the event must be written through: closed, or the queue is full.
// Only the time is stamped here; the id is drawn by the writer thread (write_one_batch), off the
// request path.
bool BatchingAuditWriter::enqueue(core::AuditEvent& event) {
  event.occurred_at = clock_.now();
  std::lock_guard lock(mutex_);
  if (closing_ || pending_.size() >= settings_.max_pending) return false;
  pending_.push_back(std::move(event));
  // Once, as the queue reaches a batch: a wake-up per event past it would be a futex call per
  // request while the writer is busy.
  if (pending_.size() == settings_.max_batch) wake_.notify_one();
  return true;
}

std::size_t BatchingAuditWriter::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

core::Status BatchingAuditWriter::write_one_batch() {
  std::vector<core::AuditEvent> batch;
  {
    std::lock_guard lock(mutex_);
    const auto size = std::min(settings_.max_batch, pending_.size());
    batch.assign(std::make_move_iterator(pending_.begin()),
                 std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(size)));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(size));
  }
  if (batch.empty()) return core::Status{};
  if (settings_.coalesce) batch = coalesce_new_events(std::move(batch));
  // Ids after coalescing: a group keeps one, so a thousand merged reads draw one id, not a
  // thousand (drawing them was most of this thread's work).
  for (auto& event : batch) {
    if (event.id.empty()) event.id = core::new_id(random_);
  }
  auto written = store_.append_audit_batch(batch);
  if (written) return core::Status{};
  log::error("audit.batch_failed", {{"events", batch.size()}, {"error", written.error().message}});
  // Back to the front, in order, to be retried: an audit event is never dropped.
  std::lock_guard lock(mutex_);
  pending_.insert(pending_.begin(), std::make_move_iterator(batch.begin()),
                  std::make_move_iterator(batch.end()));
  return written.error();
}

core::Status BatchingAuditWriter::write_next_batch() {
  std::lock_guard writing(write_mutex_);
  return write_one_batch();
}

core::Status BatchingAuditWriter::flush() {
  // Held across the loop: a batch the writer thread has taken but not yet committed is waited
  // for, so "flushed" really means readable.
  std::lock_guard writing(write_mutex_);
  while (pending() > 0) {
    if (auto written = write_one_batch(); !written) return written;
  }
  return core::Status{};
}

void BatchingAuditWriter::run() {
  std::unique_lock lock(mutex_);
  while (!closing_) {
    wake_.wait_for(lock, settings_.flush_interval,
                   [this] { return closing_ || pending_.size() >= settings_.max_batch; });
    if (closing_) break;
    lock.unlock();
    // One batch per wake-up, not "until the queue is empty": under steady load the queue never
    // is, and writing each trickle that arrived during the last commit made hundreds of tiny
    // transactions a second. What is left is written at the next interval, or at once when a
    // full batch is waiting (the predicate above).
    const bool failed = !write_next_batch();
    lock.lock();
    if (failed) wake_.wait_for(lock, settings_.retry_pause, [this] { return closing_; });
  }
}

void BatchingAuditWriter::drain_for_close() {
  const auto deadline = std::chrono::steady_clock::now() + settings_.close_timeout;
  while (!flush()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      log::error("audit.unwritten",
                 {{"events", pending()},
                  {"why", "the database refused the last audit batches until the close timeout"}});
      return;
    }
    std::this_thread::sleep_for(std::min(settings_.retry_pause, std::chrono::milliseconds(200)));
  }
}

void BatchingAuditWriter::close() {
  {
    std::lock_guard lock(mutex_);
    if (closing_) return;
    closing_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  drain_for_close();
}

}  // namespace oauth_manager::events
