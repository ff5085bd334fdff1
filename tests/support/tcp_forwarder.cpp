#include "support/tcp_forwarder.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <future>

namespace oauth_manager::testing {
namespace {

using boost::asio::ip::tcp;

// Copies `from` to `to` until `from` ends, then ends `to`'s sending side.
boost::asio::awaitable<void> copy(std::shared_ptr<tcp::socket> from,
                                  std::shared_ptr<tcp::socket> to) {
  std::array<char, 16 << 10> buffer;
  boost::system::error_code ec;
  for (;;) {
    const auto size = co_await from->async_read_some(
        boost::asio::buffer(buffer), boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) break;
    co_await boost::asio::async_write(*to, boost::asio::buffer(buffer.data(), size),
                                      boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) break;
  }
  to->shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

TcpForwarder::TcpForwarder()
    : acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
      port_(acceptor_.local_endpoint().port()) {}

TcpForwarder::~TcpForwarder() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void TcpForwarder::start(std::uint16_t target) {
  target_ = target;
  boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

void TcpForwarder::set_reachable(bool reachable) {
  std::promise<void> done;
  boost::asio::post(io_, [&] {
    reachable_ = reachable;
    if (!reachable_) {
      boost::system::error_code ignored;
      for (const auto& socket : forwarded_) {
        if (auto open = socket.lock()) open->close(ignored);
      }
      forwarded_.clear();
    }
    done.set_value();
  });
  done.get_future().wait();
}

boost::asio::awaitable<void> TcpForwarder::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    auto client = co_await acceptor_.async_accept(
        boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) co_return;
    boost::asio::co_spawn(io_, forward(std::move(client)), boost::asio::detached);
  }
}

boost::asio::awaitable<void> TcpForwarder::forward(tcp::socket client) {
  if (!reachable_) co_return;  // `client` closes as it goes
  auto downstream = std::make_shared<tcp::socket>(std::move(client));
  auto upstream = std::make_shared<tcp::socket>(io_);
  boost::system::error_code ec;
  co_await upstream->async_connect(
      tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), target_),
      boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  if (ec || !reachable_) co_return;
  std::erase_if(forwarded_, [](const auto& socket) { return socket.expired(); });
  forwarded_.push_back(downstream);
  forwarded_.push_back(upstream);
  boost::asio::co_spawn(io_, copy(downstream, upstream), boost::asio::detached);
  boost::asio::co_spawn(io_, copy(upstream, downstream), boost::asio::detached);
}

}  // namespace oauth_manager::testing
