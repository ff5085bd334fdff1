#include "http/server.hpp"

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/text.hpp"
#include "crypto/openssl_random.hpp"
#include "log/logger.hpp"

namespace oauth_manager::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// What shutdown and the deadline sweep need to reach a connection: its socket, whether a request
// is in flight, and when its current read or write must have finished. Only touched on the
// connection's strand, except `deadline`, which the sweep reads from another thread.
struct Server::Connection {
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::rep kNoDeadline = std::numeric_limits<Clock::rep>::max();

  asio::any_io_executor executor;  // the connection's strand; set before it is shared
  tcp::socket* socket = nullptr;
  bool busy = false;
  bool closing = false;
  std::atomic<Clock::rep> deadline{kNoDeadline};  // steady ticks

  void expires_after(Clock::duration timeout) {
    deadline.store((Clock::now() + timeout).time_since_epoch().count(), std::memory_order_relaxed);
  }
  void no_deadline() { deadline.store(kNoDeadline, std::memory_order_relaxed); }
  bool overdue(Clock::time_point now) const {
    return deadline.load(std::memory_order_relaxed) <= now.time_since_epoch().count();
  }
};

namespace {

constexpr std::size_t kMaxRequestIdLength = 128;

bool valid_request_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxRequestIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                  c == ':';
         });
}

// SplitMix64's finaliser: a bijection on 64 bits, so distinct counters give distinct outputs.
std::uint64_t mix64(std::uint64_t value) {
  value = (value ^ (value >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27U)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31U);
}

// 32 hex digits: 16 drawn once per thread, then a counter offset by a random value and mixed
// (unique, and it does not tell a client how many requests the service has served). Drawing 16
// random bytes for every request cost more than a /healthz answer.
std::string new_request_id(core::RandomSource& random) {
  thread_local const std::string prefix = core::hex_encode(random.bytes(8));
  thread_local std::uint64_t counter = [&random] {
    std::uint64_t start = 0;
    const auto bytes = random.bytes(sizeof start);
    std::memcpy(&start, bytes.data(), sizeof start);
    return start;
  }();
  return fmt::format("{}{:016x}", prefix, mix64(++counter));
}

// A malformed request earns an error response and a closed connection; a vanished or too slow
// client just a closed connection (there is nobody to answer).
std::optional<core::Error> error_for_read_failure(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    return core::make_error(core::Code::headers_too_large,
                            "the request's headers are larger than this server accepts");
  }
  if (ec == bhttp::error::body_limit) {
    return core::make_error(core::Code::payload_too_large,
                            "the request's body is larger than this server accepts");
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return core::make_error(core::Code::invalid_request,
                            fmt::format("the request is not valid HTTP/1.1 ({})", ec.message()));
  }
  return std::nullopt;
}

Request to_request(const bhttp::request<bhttp::string_body>& message, std::string remote_ip,
                   core::RandomSource& random) {
  Request request;
  request.method = std::string(message.method_string());
  const std::string_view target = message.target();
  const auto question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  for (const auto& field : message) {
    request.headers.emplace_back(core::ascii_lowercase(field.name_string()),
                                 std::string(field.value()));
  }
  request.body = message.body();
  request.remote_ip = std::move(remote_ip);
  const auto incoming_id = request.header("x-request-id");
  request.request_id = incoming_id && valid_request_id(*incoming_id) ? std::string(*incoming_id)
                                                                     : new_request_id(random);
  return request;
}

bhttp::response<bhttp::string_body> to_message(const Response& response, unsigned version,
                                               bool keep_alive, std::string_view request_id,
                                               bool head) {
  bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(response.status), version};
  if (!response.body.empty() || !response.content_type.empty()) {
    message.set(bhttp::field::content_type, response.content_type);
  }
  for (const auto& [name, value] : response.headers) message.insert(name, value);
  message.set("X-Request-Id", request_id);
  // API answers are per caller and may be secret: not cached unless a handler says otherwise.
  if (message.find(bhttp::field::cache_control) == message.end()) {
    message.set(bhttp::field::cache_control, "no-store");
  }
  message.keep_alive(keep_alive);
  message.body() = head ? std::string() : response.body;
  message.prepare_payload();
  if (head) message.content_length(response.body.size());
  return message;
}

}  // namespace

Server::Server(asio::io_context& io, ServerOptions options, const Router& router,
               ErrorResponder respond_error)
    : io_(io),
      options_(std::move(options)),
      router_(router),
      respond_error_(std::move(respond_error)),
      random_(options_.random != nullptr ? *options_.random : os_random_),
      acceptor_(asio::make_strand(io)),
      sweep_timer_(acceptor_.get_executor()) {}

Server::~Server() = default;

core::Status Server::listen() {
  beast::error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    return core::make_error(core::Code::invalid_request,
                            fmt::format("\"{}\" is not an IP address", options_.host));
  }
  const tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::make_error(
        core::Code::unavailable,
        fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
  }
  bound_port_ = acceptor_.local_endpoint().port();
  return {};
}

void Server::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
  asio::co_spawn(acceptor_.get_executor(), sweep_overdue(), asio::detached);
}

// Timeouts by one sweep a second over all connections instead of a timer per read and write:
// Beast's tcp_stream armed and cancelled a timer around every operation, two more handlers to
// run per read or write, a measurable share of a small request's cost. A connection's deadline
// is a number it moves; a timeout fires up to a second late, which is fine at 15 and 60 s.
asio::awaitable<void> Server::sweep_overdue() {
  beast::error_code ec;
  while (true) {
    std::vector<std::shared_ptr<Connection>> overdue;
    {
      std::lock_guard lock(mutex_);
      // Drained: forget() cancels the wait below on this strand, so no wake-up is missed.
      if (shutting_down_ && connections_.empty()) co_return;
      const auto now = Connection::Clock::now();
      for (const auto& connection : connections_) {
        if (connection->overdue(now)) overdue.push_back(connection);
      }
    }
    for (auto& connection : overdue) {
      // On the connection's strand, and only if it did not move on meanwhile.
      asio::post(connection->executor, [connection] {
        if (connection->socket != nullptr && connection->overdue(Connection::Clock::now())) {
          // Shut down, not only cancelled: an operation whose bytes had arrived but whose
          // handler had not run yet escapes a cancel, and the next one would wait untimed.
          beast::error_code ignored;
          connection->socket->shutdown(tcp::socket::shutdown_both, ignored);
          connection->socket->cancel(ignored);
        }
      });
    }
    sweep_timer_.expires_after(kSweepInterval);
    co_await sweep_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // cancelled: drained, or the server is going away
  }
}

// Counts connections that have started serving; a burst accepted in the same instant may pass
// the cap by the few not yet started, which is harmless: the cap is about floods, not exactness.
bool Server::at_capacity() {
  std::lock_guard lock(mutex_);
  return connections_.size() >= options_.max_connections;
}

namespace {

constexpr std::chrono::milliseconds kFirstAcceptPause{10};
constexpr std::chrono::milliseconds kLongestAcceptPause{1000};

// Beyond max_connections: a short 503 and the connection closed, without reading the request.
asio::awaitable<void> refuse_connection(tcp::socket socket) {
  static constexpr std::string_view kBody =
      R"({"type":"urn:oauth-manager:problem:unavailable","title":"The service is temporarily )"
      R"(unavailable","status":503,"code":"unavailable","detail":"too many open connections; )"
      R"(try again shortly"})";
  static const std::string kResponse = fmt::format(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
      "Retry-After: 1\r\nCache-Control: no-store\r\nConnection: close\r\n"
      "Content-Length: {}\r\n\r\n{}",
      kBody.size(), kBody);
  beast::error_code ec;
  co_await asio::async_write(socket, asio::buffer(kResponse),
                             asio::redirect_error(asio::use_awaitable, ec));
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

}  // namespace

asio::awaitable<void> Server::accept_loop() {
  asio::steady_timer pause(acceptor_.get_executor());
  auto next_pause = kFirstAcceptPause;
  while (true) {
    beast::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::make_strand(io_),
                                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // Out of file descriptors and the like: retrying at once would spin the CPU and flood the
      // log, so pause (10 ms doubling to 1 s) and keep serving the connections we have.
      log::warn("http.accept_failed", {{"error", ec.message()}, {"pause_ms", next_pause.count()}});
      pause.expires_after(next_pause);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      next_pause = std::min(next_pause * 2, kLongestAcceptPause);
      continue;
    }
    next_pause = kFirstAcceptPause;
    const auto executor = socket.get_executor();
    if (at_capacity()) {
      asio::co_spawn(executor, refuse_connection(std::move(socket)), asio::detached);
      continue;
    }
    asio::co_spawn(executor, serve_connection(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Server::serve_connection(tcp::socket socket) {
  auto connection = std::make_shared<Connection>();
  connection->executor = socket.get_executor();
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) co_return;
    connections_.insert(connection);
  }
  beast::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  const std::string remote_ip = ec ? std::string() : remote.address().to_string();
  connection->socket = &socket;
  try {
    co_await serve_requests(*connection, socket, remote_ip);
  } catch (const std::exception& error) {
    // A bug (or memory running out): this connection ends, the server and its sweep go on,
    // and the sweep never reaches this socket again.
    log::error("http.connection_failed", {{"remote_ip", remote_ip}, {"error", error.what()}});
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
  connection->socket = nullptr;
  forget(connection);
}

asio::awaitable<void> Server::serve_requests(Connection& connection, tcp::socket& socket,
                                             const std::string& remote_ip) {
  beast::error_code ec;
  // The buffer's cap backs up the parser's header limit for requests that never end their line.
  beast::flat_buffer buffer(options_.max_header_bytes + options_.max_body_bytes + 4096);

  while (!connection.closing) {
    if (buffer.size() == 0) {
      // Idle: wait for the first byte of the next request.
      connection.expires_after(options_.idle_timeout);
      const auto read = co_await socket.async_read_some(
          buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      buffer.commit(read);
    }
    connection.busy = true;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser.body_limit(options_.max_body_bytes);
    connection.expires_after(options_.read_timeout);
    co_await bhttp::async_read(socket, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (auto error = error_for_read_failure(ec)) {
        Request request;
        request.request_id = new_request_id(random_);
        request.remote_ip = remote_ip;
        const auto response = respond_error_(*error, request);
        auto message = to_message(response, 11, false, request.request_id, false);
        connection.expires_after(options_.read_timeout);
        co_await bhttp::async_write(socket, message, asio::redirect_error(asio::use_awaitable, ec));
        log::info("http.rejected", {{"status", response.status},
                                    {"reason", ec ? "write failed" : "malformed request"},
                                    {"request_id", request.request_id},
                                    {"remote_ip", remote_ip}});
      }
      break;
    }
    const auto& message = parser.get();
    auto request = to_request(message, remote_ip, random_);
    const auto started = std::chrono::steady_clock::now();
    connection.no_deadline();  // a handler bounds its own waits
    const auto response = co_await dispatch(request);
    const bool keep_alive = message.keep_alive() && !connection.closing;
    auto reply = to_message(response, message.version(), keep_alive, request.request_id,
                            message.method() == bhttp::verb::head);
    connection.expires_after(options_.read_timeout);
    co_await bhttp::async_write(socket, reply, asio::redirect_error(asio::use_awaitable, ec));
    const auto elapsed =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
    // The path only: query strings can carry codes and states, headers can carry tokens.
    const auto& path = request.logged_path ? *request.logged_path : request.path;
    log::write_fields(log::Level::info, "http.access",
                      {{"duration_ms", std::round(elapsed.count() * 1000) / 1000},
                       {"method", request.method},
                       {"path", path},
                       {"remote_ip", remote_ip},
                       {"request_id", request.request_id},
                       {"status", std::int64_t{response.status}}});
    connection.busy = false;
    if (ec || !keep_alive) break;
  }
}

asio::awaitable<Response> Server::dispatch(Request& request) {
  if (request.path.empty() || request.path.front() != '/') {
    co_return respond_error_(
        core::make_error(core::Code::invalid_request, "the request target must be a path"),
        request);
  }
  auto match = router_.match(request.method, request.path);
  using Outcome = Router::Match::Outcome;
  if (match.outcome == Outcome::not_found) {
    co_return respond_error_(core::make_error(core::Code::not_found, "no resource at this path"),
                             request);
  }
  if (match.outcome == Outcome::method_not_allowed) {
    auto response =
        respond_error_(core::make_error(core::Code::method_not_allowed,
                                        fmt::format("{} is not allowed here", request.method)),
                       request);
    std::string allowed;
    for (const auto& method : match.allowed_methods) {
      allowed += (allowed.empty() ? "" : ", ") + method;
    }
    response.headers.emplace_back("Allow", allowed);
    co_return response;
  }
  request.path_params = std::move(match.params);
  try {
    co_return co_await (*match.handler)(request);
  } catch (const std::exception& error) {
    // A bug, not the client's fault: the details go to the log, not to the client.
    log::error("http.handler_failed", {{"request_id", request.request_id},
                                       {"path", request.logged_path.value_or(request.path)},
                                       {"error", error.what()}});
  }
  co_return respond_error_(
      core::make_error(core::Code::internal, "an internal error occurred; see the server log"),
      request);
}

void Server::shutdown(std::function<void()> on_drained) {
  std::set<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    on_drained_ = std::move(on_drained);
    open = connections_;
  }
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  for (const auto& connection : open) {
    // Hop onto the connection's strand: an idle one is woken by cancel, a busy one finishes its
    // request, answers with Connection: close, and exits.
    asio::post(connection->executor, [connection] {
      connection->closing = true;
      if (!connection->busy && connection->socket != nullptr) {
        beast::error_code ignored;
        connection->socket->cancel(ignored);
      }
    });
  }
  forget(nullptr);
}

void Server::forget(const std::shared_ptr<Connection>& connection) {
  std::function<void()> drained;
  {
    std::lock_guard lock(mutex_);
    if (connection) connections_.erase(connection);
    if (shutting_down_ && connections_.empty() && on_drained_) drained = std::move(on_drained_);
  }
  if (drained) {
    // The sweep ends with the last connection (its timer lives on the acceptor's strand); the
    // callback comes after, so that it may end the server.
    asio::post(acceptor_.get_executor(), [this, drained = std::move(drained)]() mutable {
      sweep_timer_.cancel();
      asio::post(io_, std::move(drained));
    });
  }
}

}  // namespace oauth_manager::http
