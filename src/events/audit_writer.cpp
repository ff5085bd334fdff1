#include "events/audit_writer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include "core/ids.hpp"

namespace oauth_manager::events {

boost::asio::awaitable<core::Status> StoreAuditWriter::record(core::AuditEvent event) {
  event.id = core::new_id(random_);
  event.occurred_at = clock_.now();
  const auto executor = co_await boost::asio::this_coro::executor;
  auto queued = [&](core::Completion<core::Status> written) {
    const std::lock_guard lock(mutex_);
    queue_.push_back(Queued{std::move(event), std::move(written)});
    if (writing_) return;  // the running writer takes it with the next group
    writing_ = true;
    boost::asio::co_spawn(executor, write_groups(), boost::asio::detached);
  };
  auto waiting = core::until_completed<core::Status>(std::move(queued));
  co_return co_await std::move(waiting);
}

boost::asio::awaitable<void> StoreAuditWriter::write_groups() {
  for (;;) {
    std::vector<Queued> group;
    {
      const std::lock_guard lock(mutex_);
      if (queue_.empty()) {
        writing_ = false;
        co_return;
      }
      while (!queue_.empty() && group.size() < kMaxGroup) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<core::AuditEvent> events;
    events.reserve(group.size());
    for (auto& queued : group) events.push_back(queued.event);
    auto appended =
        co_await blocking_.run([this, &events] { return store_.append_audit_batch(events); });
    const core::Status status = appended ? core::Status{} : core::Status(appended.error());
    for (auto& queued : group) queued.written.complete(status);
  }
}

}  // namespace oauth_manager::events
