#pragma once

#include <utility>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "core/outbox_job.hpp"
#include "core/random_source.hpp"
#include "store/store.hpp"

namespace oauth_manager::events {

// What one delivery attempt came to. `message` says why it failed, for the log and the audit;
// it never holds a secret.
struct Delivery {
  enum class Outcome { delivered, retry, give_up };
  Outcome outcome = Outcome::delivered;
  std::string message;

  static Delivery done() { return {}; }
  static Delivery failed(std::string why) { return {Outcome::retry, std::move(why)}; }
  // Retrying cannot help (the job can no longer be carried out): stop now.
  static Delivery hopeless(std::string why) { return {Outcome::give_up, std::move(why)}; }
};

// Whom a job concerns, for the audit event of a job given up.
struct OutboxSubject {
  std::optional<std::string> user_id;
  std::optional<std::string> integration_id;
};

// Carries out the jobs of one kind. Delivery is at least once: a job whose worker died after
// delivering is delivered again, so a handler's effect must be safe to repeat (revoking a token
// twice is, RFC 7009 §2.2; a webhook carries an id the receiver deduplicates on).
class OutboxHandler {
 public:
  virtual ~OutboxHandler() = default;
  virtual boost::asio::awaitable<Delivery> deliver(const core::OutboxJob& job) = 0;
  virtual OutboxSubject subject_of(const core::OutboxJob& job) const = 0;
};

struct OutboxSettings {
  std::chrono::milliseconds first_retry{2000};
  std::chrono::milliseconds max_retry{std::chrono::minutes(15)};
  // A job still failing this long after it was written is given up: deleted, audited
  // (outbox.gave_up) and counted.
  std::chrono::seconds give_up_after{std::chrono::hours(72)};
  // How long a claim holds a job; a worker that died lets it go after this. Jobs are claimed
  // one at a time, so the lease covers one delivery, never a queue of them.
  std::chrono::seconds lease{60};
  // The longest sleep: the outbox is looked at this often even when nothing woke the worker,
  // and the pause after the database refused a claim.
  std::chrono::milliseconds poll_interval{std::chrono::seconds(30)};
};

// Runs the outbox: claims due jobs with a lease, hands each to the handler of its kind, deletes
// it once delivered, and otherwise retries it with backoff until give_up_after. Every replica
// runs one; a job goes to one worker at a time. It sleeps until the next job is due, and wake()
// (after a commit that wrote a job) cuts the sleep short.
class OutboxWorker {
 public:
  OutboxWorker(store::Store& store, core::BlockingPool& blocking, const core::Clock& clock,
               core::RandomSource& random, OutboxSettings settings);

  void add_handler(const std::string& kind, OutboxHandler& handler);
  bool handles(const std::string& kind) const { return handlers_.count(kind) != 0; }

  // A new job of `kind`, due now. Leased to this worker when `leased` (the caller delivers it
  // itself, with deliver(), right after the commit that writes it), else up for any worker.
  core::OutboxJob new_job(const std::string& kind, std::string payload, bool leased);
  // Writes `jobs` inside the transaction `tx` of the change that causes them.
  static core::Status enqueue(store::Store& tx, const std::vector<core::OutboxJob>& jobs);
  // Writes `jobs` in a transaction of their own (a side effect with no change of ours to ride
  // with) and wakes the worker.
  boost::asio::awaitable<core::Status> enqueue_now(const std::vector<core::OutboxJob>& jobs);
  // One attempt at a job this worker holds, then its bookkeeping: deleted when delivered,
  // released for a later attempt, or given up. What the attempt came to.
  boost::asio::awaitable<Delivery> deliver(const core::OutboxJob& job);

  void wake();  // safe from any thread
  void start(boost::asio::io_context& io);
  void stop();     // safe from any thread
  void release();  // after the io_context stopped, before it is destroyed

  int delivered() const { return delivered_; }
  int failed_attempts() const { return failed_attempts_; }
  int given_up() const { return given_up_; }

 private:
  boost::asio::awaitable<void> loop(std::shared_ptr<boost::asio::steady_timer> timer);
  // The next due job, if any; nullopt also when the claim failed (`failed` says so).
  boost::asio::awaitable<std::optional<core::OutboxJob>> claim(bool& failed);
  // deliver(), with whatever it throws logged and the job left to its lease: one bad job never
  // stops the worker.
  boost::asio::awaitable<void> deliver_safely(const core::OutboxJob& job);
  std::vector<std::string> kinds() const;
  boost::asio::awaitable<std::chrono::milliseconds> time_to_next();
  boost::asio::awaitable<void> settle(const core::OutboxJob& job, const Delivery& delivery);
  boost::asio::awaitable<void> give_up(const core::OutboxJob& job, const std::string& why);

  store::Store& store_;
  core::BlockingPool& blocking_;
  const core::Clock& clock_;
  core::RandomSource& random_;
  OutboxSettings settings_;
  std::string owner_;  // this worker's lease name
  std::map<std::string, OutboxHandler*> handlers_;
  std::mutex timer_mutex_;
  std::shared_ptr<boost::asio::steady_timer> timer_;  // the loop's sleep; guarded: wake() is
                                                      // called from any thread
  std::atomic<bool> woken_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int> delivered_{0};
  std::atomic<int> failed_attempts_{0};
  std::atomic<int> given_up_{0};
};

}  // namespace oauth_manager::events
