// A provider's token endpoint that takes its time: every request (POST /token is the one the
// service calls, for codes and refreshes alike) is answered after a fixed delay, 200 ms by
// default, with a fresh Notion-shaped token response. scripts/bench-concurrency puts thousands
// of callbacks and refreshes through oauth-manager against it: with the provider this slow, the
// service's time is spent waiting, and what is measured is how well it waits (threads, memory,
// sockets), not how fast it computes.
//
// expires_in is 30 s on purpose: below the hand-out's default min_ttl (60 s), so every
// POST /v1/tokens must refresh.
//
// Prints the port as its first line (PORT 0 picks a free one). On SIGTERM or SIGINT prints
// "connections=N requests=M" and exits: requests per connection tells whether the service
// reuses its connections to the provider.
//
// Usage: oauth_manager_bench_slow_provider PORT [DELAY_MS]
#include <utility>  // before Boost.Asio, whose awaitable.hpp uses std::exchange

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

struct Counters {
  std::uint64_t connections = 0;
  std::uint64_t requests = 0;
};

// Unique by the counter, unguessable enough for a benchmark by the random part: the service
// stores what it gets, and equal tokens for different integrations would hide nothing but
// would not look like a provider either.
std::string token_response(std::uint64_t serial, std::mt19937_64& random) {
  return fmt::format(R"({{"access_token":"at-{0}-{1:016x}","token_type":"bearer",)"
                     R"("refresh_token":"rt-{0}-{2:016x}","expires_in":30,"bot_id":"bot-{0}",)"
                     R"("workspace_name":"Bench","owner":{{"type":"user","user":{{"person":)"
                     R"({{"email":"u{0}@bench.example"}}}}}}}})",
                     serial, random(), random());
}

// One connection: requests in turn until the client closes (keep-alive honoured), each answered
// after the delay.
asio::awaitable<void> serve(tcp::socket socket, std::chrono::milliseconds delay, Counters& counters,
                            std::mt19937_64& random) {
  beast::flat_buffer buffer;
  asio::steady_timer timer(socket.get_executor());
  for (;;) {
    http::request<http::string_body> request;
    boost::system::error_code error;
    co_await http::async_read(socket, buffer, request,
                              asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return;
    const auto serial = ++counters.requests;
    timer.expires_after(delay);
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, error));
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::content_type, "application/json");
    response.set(http::field::cache_control, "no-store");
    response.keep_alive(request.keep_alive());
    response.body() = token_response(serial, random);
    response.prepare_payload();
    co_await http::async_write(socket, response, asio::redirect_error(asio::use_awaitable, error));
    if (error || !response.keep_alive()) co_return;
  }
}

asio::awaitable<void> accept(tcp::acceptor& acceptor, std::chrono::milliseconds delay,
                             Counters& counters, std::mt19937_64& random) {
  asio::steady_timer pause(acceptor.get_executor());
  for (;;) {
    boost::system::error_code error;
    auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
    if (error == asio::error::operation_aborted) co_return;
    if (error) {  // out of file descriptors: the backlog waits, the client sees a slow connect
      std::fprintf(stderr, "accept: %s\n", error.message().c_str());
      pause.expires_after(std::chrono::milliseconds(10));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, error));
      continue;
    }
    ++counters.connections;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), delay, counters, random),
                   asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s PORT [DELAY_MS]\n", argv[0]);
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::stoi(argv[1]));
  const std::chrono::milliseconds delay(argc == 3 ? std::stoi(argv[2]) : 200);
  asio::io_context io(1);
  tcp::acceptor acceptor(io);
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  // Thousands of connections arrive at once; the kernel caps this at net.core.somaxconn.
  acceptor.listen(asio::socket_base::max_listen_connections);
  std::printf("%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);

  Counters counters;
  std::mt19937_64 random(std::random_device{}());
  asio::co_spawn(io, accept(acceptor, delay, counters, random), asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    std::printf("connections=%llu requests=%llu\n",
                static_cast<unsigned long long>(counters.connections),
                static_cast<unsigned long long>(counters.requests));
    std::fflush(stdout);
    io.stop();
  });
  io.run();
}
