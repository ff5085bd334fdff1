#include "manager/background_refresher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "log/logger.hpp"

namespace oauth_manager::manager {
namespace {

std::chrono::milliseconds jittered(std::chrono::seconds interval) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(interval).count();
  std::uniform_int_distribution<std::int64_t> spread(ms * 3 / 4, ms * 5 / 4);
  return std::chrono::milliseconds(spread(generator));
}

}  // namespace

BackgroundRefresher::BackgroundRefresher(store::Store& store, core::BlockingPool& blocking,
                                         TokenService& tokens, const core::Clock& clock,
                                         RefresherSettings settings)
    : store_(store), blocking_(blocking), tokens_(tokens), clock_(clock), settings_(settings) {}

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
    timer_->expires_after(jittered(settings_.interval));
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
  auto ids = std::make_shared<std::vector<std::string>>(std::move(*listed));
  auto next = std::make_shared<std::atomic<std::size_t>>(0);
  const int workers = std::min<int>(settings_.concurrency, static_cast<int>(count));
  auto running = std::make_shared<std::atomic<int>>(workers);
  for (int i = 0; i < workers; ++i) {
    boost::asio::co_spawn(*strand_, work_through(ids, next, running), boost::asio::detached);
  }
  // Workers share this strand and yield at every I/O; wait for the last one.
  boost::asio::steady_timer pause(*strand_);
  while (*running > 0) {
    pause.expires_after(std::chrono::milliseconds(10));
    boost::system::error_code ignored;
    co_await pause.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }
  log::info("refresher.round", {{"expiring", count}});
}

boost::asio::awaitable<void> BackgroundRefresher::work_through(
    std::shared_ptr<std::vector<std::string>> ids, std::shared_ptr<std::atomic<std::size_t>> next,
    std::shared_ptr<std::atomic<int>> running) {
  for (auto index = (*next)++; index < ids->size() && !stopping_; index = (*next)++) {
    const auto& id = (*ids)[index];
    if (auto refreshed = co_await tokens_.refresh_if_expiring(id, settings_.refresh_ahead);
        !refreshed) {
      log::warn("refresher.refresh_failed",
                {{"integration_id", id}, {"error", refreshed.error().message}});
    }
  }
  --*running;
}

}  // namespace oauth_manager::manager
