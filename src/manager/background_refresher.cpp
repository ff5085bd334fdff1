#include "manager/background_refresher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/async_event.hpp"
#include "log/logger.hpp"

namespace oauth_manager::manager {
// One round's shared state: the ids to refresh, the next one to take, and how many workers are
// still going; the last worker out sets `finished`.
struct BackgroundRefresher::Round {
  std::vector<std::string> ids;
  std::atomic<std::size_t> next{0};
  std::atomic<int> running{0};
  core::AsyncEvent finished;
};

namespace {}  // namespace

// Counts a worker out when it ends, however it ends: normally, by an exception, or with its frame
// destroyed before it ever ran (io_context stopped). It is made before the worker is spawned and
// moved into it as a parameter, which is destroyed even when the body never starts.
class BackgroundRefresher::WorkerExit {
 public:
  explicit WorkerExit(std::shared_ptr<Round> round) : round_(std::move(round)) {}
  WorkerExit(WorkerExit&& other) noexcept = default;
  WorkerExit& operator=(WorkerExit&&) = delete;
  WorkerExit(const WorkerExit&) = delete;
  WorkerExit& operator=(const WorkerExit&) = delete;
  ~WorkerExit() {
    if (round_ && --round_->running == 0) round_->finished.set();
  }

 private:
  std::shared_ptr<Round> round_;
};

BackgroundRefresher::BackgroundRefresher(store::Store& store, core::BlockingPool& blocking,
                                         TokenService& tokens, const core::Clock& clock,
                                         core::RandomSource& random, RefresherSettings settings)
    : store_(store),
      blocking_(blocking),
      tokens_(tokens),
      clock_(clock),
      random_(random),
      settings_(settings) {}

void BackgroundRefresher::start(boost::asio::io_context& io) {
  strand_ = std::make_unique<boost::asio::strand<boost::asio::io_context::executor_type>>(
      boost::asio::make_strand(io));
  timer_ = std::make_unique<boost::asio::steady_timer>(*strand_);
  boost::asio::co_spawn(*strand_, loop(), boost::asio::detached);
}

void BackgroundRefresher::stop() {
  stopping_ = true;
  if (strand_) boost::asio::post(*strand_, [this] { timer_->cancel(); });
}

void BackgroundRefresher::release() {
  timer_.reset();
  strand_.reset();
}

boost::asio::awaitable<void> BackgroundRefresher::loop() {
  while (!stopping_) {
    // Jitter of ±25 %, so replicas started together do not march in step.
    const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.interval);
    timer_->expires_after(core::random_between(interval * 3 / 4, interval * 5 / 4, random_));
    boost::system::error_code ec;
    co_await timer_->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (stopping_) break;
    co_await round();
    ++rounds_;
  }
}

boost::asio::awaitable<void> BackgroundRefresher::round() {
  const auto before = clock_.now() + settings_.refresh_ahead;
  const int batch = settings_.batch;
  auto listed =
      co_await blocking_.run([this, before, batch] { return store_.list_expiring(before, batch); });
  if (!listed) {
    log::warn("refresher.list_failed", {{"error", listed.error().message}});
    co_return;
  }
  if (listed->empty()) co_return;
  const auto count = listed->size();
  auto work = std::make_shared<Round>();
  work->ids = std::move(*listed);
  const int workers = std::min<int>(settings_.concurrency, static_cast<int>(count));
  work->running = workers;
  for (int i = 0; i < workers; ++i) {
    WorkerExit exit(work);
    boost::asio::co_spawn(*strand_, work_through(work, std::move(exit)), boost::asio::detached);
  }
  co_await work->finished.wait();
  log::info("refresher.round", {{"expiring", count}});
}

// `exit` is held for its destructor: it counts this worker out when the frame goes.
boost::asio::awaitable<void> BackgroundRefresher::work_through(std::shared_ptr<Round> work,
                                                               [[maybe_unused]] WorkerExit exit) {
  for (auto index = work->next++; index < work->ids.size() && !stopping_; index = work->next++) {
    co_await refresh_one(work->ids[index]);
  }
}

// One integration's failure, thrown or returned, never stops the others or the next round.
boost::asio::awaitable<void> BackgroundRefresher::refresh_one(const std::string& id) {
  std::optional<std::string> failure;
  try {
    if (auto refreshed = co_await tokens_.refresh_if_expiring(id, settings_.refresh_ahead);
        !refreshed) {
      failure = refreshed.error().message;
    }
  } catch (const std::exception& error) {
    failure = error.what();
  }
  if (failure) log::warn("refresher.refresh_failed", {{"integration_id", id}, {"error", *failure}});
}

}  // namespace oauth_manager::manager
