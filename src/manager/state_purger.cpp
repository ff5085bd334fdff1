#include "manager/state_purger.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "log/logger.hpp"

namespace oauth_manager::manager {

boost::asio::awaitable<core::Result<int>> StatePurger::purge_once() {
  const auto now = clock_.now();
  auto states = co_await blocking_.run([this, now]() -> core::Result<int> {
    auto deleted = store_.delete_expired_states(now);
    if (!deleted) return deleted;
    auto sessions = store_.delete_expired_connect_sessions(now);
    if (!sessions) return sessions;
    return *deleted + *sessions;
  });
  if (!states || confirmation_ == nullptr) co_return states;
  auto held = co_await confirmation_->purge_expired();
  if (!held) co_return held.error();
  co_return *states + *held;
}

void StatePurger::start(boost::asio::io_context& io) {
  timer_ = std::make_shared<boost::asio::steady_timer>(boost::asio::make_strand(io));
  boost::asio::co_spawn(timer_->get_executor(), loop(timer_), boost::asio::detached);
}

void StatePurger::stop() {
  stopping_ = true;
  if (timer_) boost::asio::post(timer_->get_executor(), [timer = timer_] { timer->cancel(); });
}

void StatePurger::release() { timer_.reset(); }

boost::asio::awaitable<void> StatePurger::loop(std::shared_ptr<boost::asio::steady_timer> timer) {
  while (!stopping_) {
    timer->expires_after(interval_);
    boost::system::error_code ec;
    co_await timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (stopping_) break;
    auto purged = co_await purge_once();
    if (!purged) {
      log::warn("states.purge_failed", {{"error", purged.error().message}});
    } else if (*purged > 0) {
      log::info("states.purged", {{"count", *purged}});
    }
  }
}

}  // namespace oauth_manager::manager
