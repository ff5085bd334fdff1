#include "events/audit_writer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include <exception>
#include <vector>

#include "core/ids.hpp"

namespace oauth_manager::events {

// Clears the writer's "running" flag however write_groups() ends, its frame destroyed at
// shutdown included: the next record() then starts a new one instead of waiting forever.
class StoreAuditWriter::RunningFlag {
 public:
  RunningFlag(std::mutex& mutex, bool& writing) : mutex_(mutex), writing_(writing) {}
  RunningFlag(RunningFlag&& other) noexcept
      : mutex_(other.mutex_),
        writing_(other.writing_),
        armed_(std::exchange(other.armed_, false)) {}
  RunningFlag& operator=(RunningFlag&&) = delete;
  ~RunningFlag() {
    if (!armed_) return;
    const std::lock_guard lock(mutex_);
    writing_ = false;
  }
  void disarm() { armed_ = false; }  // cleared already, under the lock, with the queue empty

 private:
  std::mutex& mutex_;
  bool& writing_;
  bool armed_ = true;
};

boost::asio::awaitable<core::Status> StoreAuditWriter::record(core::AuditEvent event) {
  event.id = core::new_id(random_);
  event.occurred_at = clock_.now();
  const auto executor = co_await boost::asio::this_coro::executor;
  auto queued = [&](core::Completion<core::Status> written) {
    const std::lock_guard lock(mutex_);
    queue_.push_back(Queued{std::move(event), std::move(written)});
    if (writing_) return;  // the running writer takes it with the next group
    writing_ = true;
    boost::asio::co_spawn(executor, write_groups(RunningFlag(mutex_, writing_)),
                          boost::asio::detached);
  };
  auto waiting = core::until_completed<core::Status>(std::move(queued));
  co_return co_await std::move(waiting);
}

void StoreAuditWriter::abandon() {
  std::deque<Queued> dropped;
  const std::lock_guard lock(mutex_);
  dropped.swap(queue_);
}

boost::asio::awaitable<void> StoreAuditWriter::write_groups(RunningFlag running) {
  for (;;) {
    std::vector<Queued> group;
    {
      const std::lock_guard lock(mutex_);
      if (queue_.empty()) {
        writing_ = false;
        running.disarm();
        co_return;
      }
      while (!queue_.empty() && group.size() < kMaxGroup) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    auto written = co_await write_group(group);
    for (std::size_t i = 0; i < group.size(); ++i) group[i].written.complete(written[i]);
  }
}

boost::asio::awaitable<std::vector<core::Status>> StoreAuditWriter::write_group(
    const std::vector<Queued>& group) {
  std::vector<core::AuditEvent> events;
  events.reserve(group.size());
  for (const auto& queued : group) events.push_back(queued.event);
  auto together =
      co_await blocking_.run([this, &events] { return store_.append_audit_batch(events); });
  if (together || group.size() == 1) {
    co_return std::vector<core::Status>(group.size(),
                                        together ? core::Status{} : core::Status(together.error()));
  }
  // One event the store refuses must not take the others down with it: each alone, then.
  std::vector<core::Status> each;
  each.reserve(group.size());
  for (const auto& event : events) {
    auto alone = co_await blocking_.run([this, &event] { return store_.append_audit(event); });
    each.push_back(alone ? core::Status{} : core::Status(alone.error()));
  }
  co_return each;
}

}  // namespace oauth_manager::events
