#include "events/outbox_worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/backoff_policy.hpp"
#include "core/ids.hpp"
#include "log/logger.hpp"

namespace oauth_manager::events {

OutboxWorker::OutboxWorker(store::Store& store, core::BlockingPool& blocking,
                           const core::Clock& clock, core::RandomSource& random,
                           OutboxSettings settings)
    : store_(store),
      blocking_(blocking),
      clock_(clock),
      random_(random),
      settings_(settings),
      owner_("outbox-" + core::new_id(random)) {}

void OutboxWorker::add_handler(const std::string& kind, OutboxHandler& handler) {
  handlers_[kind] = &handler;
}

core::OutboxJob OutboxWorker::new_job(const std::string& kind, std::string payload, bool leased) {
  core::OutboxJob job;
  job.id = core::new_id(random_);
  job.kind = kind;
  job.payload = std::move(payload);
  job.created_at = clock_.now();
  job.due_at = job.created_at;
  if (leased) {
    job.lease_owner = owner_;
    job.lease_until = job.created_at + settings_.lease;
  }
  return job;
}

core::Status OutboxWorker::enqueue(store::Store& tx, const std::vector<core::OutboxJob>& jobs) {
  for (const auto& job : jobs) {
    if (auto enqueued = tx.enqueue_outbox(job); !enqueued) return enqueued;
  }
  return core::Status{};
}

boost::asio::awaitable<core::Status> OutboxWorker::enqueue_now(
    const std::vector<core::OutboxJob>& jobs) {
  auto queued = co_await blocking_.run([this, &jobs] {
    return store_.transact([&](store::Store& tx) { return enqueue(tx, jobs); });
  });
  if (queued) wake();
  co_return queued;
}

boost::asio::awaitable<Delivery> OutboxWorker::deliver(const core::OutboxJob& job) {
  // Another replica may be configured for it (webhooks on there): retried, not given up at once.
  Delivery delivery = Delivery::failed("no handler here for outbox jobs of kind " + job.kind);
  if (const auto handler = handlers_.find(job.kind); handler != handlers_.end()) {
    delivery = co_await handler->second->deliver(job);
  }
  co_await settle(job, delivery);
  co_return delivery;
}

boost::asio::awaitable<void> OutboxWorker::settle(const core::OutboxJob& job,
                                                  const Delivery& delivery) {
  const auto& id = job.id;
  if (delivery.outcome == Delivery::Outcome::delivered) {
    ++delivered_;
    auto finished =
        co_await blocking_.run([this, &id] { return store_.finish_outbox(id, owner_); });
    // Not finished (the database is away, or our lease lapsed): it is delivered again later,
    // which the handlers allow.
    if (!finished)
      log::warn("outbox.finish_failed", {{"job", id}, {"error", finished.error().message}});
    co_return;
  }
  ++failed_attempts_;
  const auto now = clock_.now();
  const int attempts = job.attempts + 1;
  if (delivery.outcome == Delivery::Outcome::give_up ||
      now - job.created_at >= settings_.give_up_after) {
    co_await give_up(job, delivery.message);
    co_return;
  }
  const core::BackoffPolicy policy{settings_.first_retry, settings_.max_retry};
  const auto due = now + core::backoff_delay(policy, attempts - 1, std::nullopt, random_);
  log::warn("outbox.delivery_failed", {{"job", id},
                                       {"kind", job.kind},
                                       {"attempt", attempts},
                                       {"error", delivery.message},
                                       {"retry_at", core::to_rfc3339(due)}});
  const auto& why = delivery.message;
  auto released = co_await blocking_.run([this, &id, attempts, due, &why] {
    return store_.retry_outbox(id, owner_, attempts, due, why);
  });
  if (!released)
    log::warn("outbox.retry_failed", {{"job", id}, {"error", released.error().message}});
}

// Deleted and audited in one transaction: the audit trail says which side effect never happened.
boost::asio::awaitable<void> OutboxWorker::give_up(const core::OutboxJob& job,
                                                   const std::string& why) {
  ++given_up_;
  const auto handler = handlers_.find(job.kind);
  const auto subject =
      handler == handlers_.end() ? OutboxSubject{} : handler->second->subject_of(job);
  core::AuditEvent event;
  event.id = core::new_id(random_);
  event.occurred_at = clock_.now();
  event.actor = "system";
  event.event = "outbox.gave_up";
  event.user_id = subject.user_id;
  event.integration_id = subject.integration_id;
  event.outcome = "gave_up";
  event.details = nlohmann::json{
      {"kind", job.kind},
      {"job", job.id},
      {"attempts", job.attempts + 1},
      {"since", core::to_rfc3339(job.created_at)},
      {"reason", why}}.dump();
  log::error("outbox.gave_up",
             {{"job", job.id}, {"kind", job.kind}, {"attempts", job.attempts + 1}, {"error", why}});
  const auto& id = job.id;
  auto written = co_await blocking_.run([this, &id, &event] {
    return store_.transact([&](store::Store& tx) -> core::Status {
      if (auto finished = tx.finish_outbox(id, owner_); !finished) return finished;
      auto appended = tx.append_audit(event);
      if (!appended) return appended.error();
      return core::Status{};
    });
  });
  if (!written)
    log::warn("outbox.give_up_failed", {{"job", id}, {"error", written.error().message}});
}

void OutboxWorker::wake() {
  woken_ = true;
  std::lock_guard lock(timer_mutex_);
  if (timer_) boost::asio::post(timer_->get_executor(), [timer = timer_] { timer->cancel(); });
}

void OutboxWorker::start(boost::asio::io_context& io) {
  std::shared_ptr<boost::asio::steady_timer> timer;
  {
    std::lock_guard lock(timer_mutex_);
    timer_ = std::make_shared<boost::asio::steady_timer>(boost::asio::make_strand(io));
    timer = timer_;
  }
  // Exceptions of a delivery are caught per job; one escaping the loop itself (a bug) must not
  // end it silently: it is logged as the worker's end.
  boost::asio::co_spawn(timer->get_executor(), loop(timer), [](const std::exception_ptr& failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      log::error("outbox.worker_stopped", {{"error", error.what()}});
    }
  });
}

void OutboxWorker::stop() {
  stopping_ = true;
  wake();
}

void OutboxWorker::release() {
  std::lock_guard lock(timer_mutex_);
  timer_.reset();
}

std::vector<std::string> OutboxWorker::kinds() const {
  std::vector<std::string> kinds;
  for (const auto& [kind, handler] : handlers_) kinds.push_back(kind);
  return kinds;
}

boost::asio::awaitable<std::optional<core::OutboxJob>> OutboxWorker::claim(bool& failed) {
  const auto now = clock_.now();
  const auto until = now + settings_.lease;
  const auto handled = kinds();
  auto claimed = co_await blocking_.run(
      [this, &handled, now, until] { return store_.claim_outbox(handled, owner_, now, until, 1); });
  failed = !claimed;
  if (!claimed) {
    log::warn("outbox.claim_failed", {{"error", claimed.error().message}});
    co_return std::nullopt;
  }
  if (claimed->empty()) co_return std::nullopt;
  co_return std::move(claimed->front());
}

boost::asio::awaitable<void> OutboxWorker::deliver_safely(const core::OutboxJob& job) {
  try {
    co_await deliver(job);
  } catch (const std::exception& error) {
    log::error("outbox.delivery_threw",
               {{"job", job.id}, {"kind", job.kind}, {"error", error.what()}});
  }
}

boost::asio::awaitable<std::chrono::milliseconds> OutboxWorker::time_to_next() {
  const auto handled = kinds();
  auto next = co_await blocking_.run([this, &handled] { return store_.next_outbox_time(handled); });
  if (!next || !*next) co_return settings_.poll_interval;
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(**next - clock_.now());
  co_return std::clamp(wait, std::chrono::milliseconds(0), settings_.poll_interval);
}

// The flag closes the gap between looking at the outbox and starting to sleep: a wake() in that
// gap finds no wait to cancel, but the flag sends the loop round once more. The cancel runs on
// the loop's strand, so it cannot land between the flag check and the wait.
boost::asio::awaitable<void> OutboxWorker::loop(std::shared_ptr<boost::asio::steady_timer> timer) {
  while (!stopping_) {
    woken_ = false;
    bool claim_failed = false;
    if (auto job = co_await claim(claim_failed)) {
      co_await deliver_safely(*job);
      continue;  // more may be due
    }
    // After a refused claim (a database that reads but does not write), no hot loop.
    auto wait = settings_.poll_interval;
    if (!claim_failed) wait = co_await time_to_next();
    if (woken_ || stopping_) continue;
    timer->expires_after(wait);
    boost::system::error_code ignored;
    co_await timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }
}

}  // namespace oauth_manager::events
