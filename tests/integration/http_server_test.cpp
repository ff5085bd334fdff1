// The HTTP server in-process on an ephemeral port, fed well-formed and malformed requests.
#include <utility>

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/problem.hpp"
#include "http/server.hpp"
#include "support/raw_http.hpp"

namespace oauth_manager {
namespace {

using namespace std::chrono_literals;
using testing::body_of;
using testing::header_of;
using testing::http_exchange;
using testing::RawConnection;
using testing::status_of;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add(
        "GET", "/echo/{name}",
        [](http::Request& request) -> boost::asio::awaitable<http::Response> {
          co_return http::json_response(
              200, nlohmann::json{{"name", request.path_params["name"]}, {"query", request.query}}
                       .dump());
        });
    router_.add(
        "POST", "/echo/{name}",
        [](http::Request& request) -> boost::asio::awaitable<http::Response> {
          co_return http::json_response(200, nlohmann::json{{"bytes", request.body.size()}}.dump());
        });
    router_.add("GET", "/slow", [this](http::Request&) -> boost::asio::awaitable<http::Response> {
      slow_started_.set_value();
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 700ms);
      co_await timer.async_wait(boost::asio::use_awaitable);
      co_return http::json_response(200, R"({"slow":true})");
    });
    router_.add("GET", "/throw", [](http::Request&) -> boost::asio::awaitable<http::Response> {
      throw std::runtime_error("secret internal detail");
      co_return http::Response{};
    });
    http::ServerOptions options;
    options.port = 0;
    options.max_header_bytes = 2048;
    options.max_body_bytes = 1024;
    options.read_timeout = 1s;
    options.idle_timeout = 2s;
    adjust(options);
    server_ = std::make_unique<http::Server>(io_, options, router_, &api::problem_response);
    ASSERT_TRUE(server_->listen());
    server_->start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  // What a test case changes in the server's options.
  virtual void adjust(http::ServerOptions&) {}

  void TearDown() override {
    if (!shut_down_) server_->shutdown([] {});
    io_.stop();
    for (auto& thread : threads_) thread.join();
  }

  std::string get(const std::string& target, const std::string& extra_headers = "") {
    return http_exchange(server_->port(), "GET " + target + " HTTP/1.1\r\nHost: test\r\n" +
                                              extra_headers + "Connection: close\r\n\r\n");
  }

  boost::asio::io_context io_{2};
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::vector<std::thread> threads_;
  std::promise<void> slow_started_;
  bool shut_down_ = false;
};

TEST_F(HttpServerTest, RoutesAndDecodesPathParameters) {
  const auto response = get("/echo/a%20b?x=1");
  EXPECT_EQ(status_of(response), 200);
  const auto body = nlohmann::json::parse(body_of(response));
  EXPECT_EQ(body["name"], "a b");
  EXPECT_EQ(body["query"], "x=1");
}

TEST_F(HttpServerTest, EchoesAValidRequestIdAndReplacesAnInvalidOne) {
  const auto kept = get("/echo/x", "X-Request-Id: trace-123\r\n");
  EXPECT_EQ(header_of(kept, "X-Request-Id"), "trace-123");
  const auto replaced = get("/echo/x", "X-Request-Id: <script>\r\n");
  const auto id = header_of(replaced, "X-Request-Id");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->size(), 32U);
  EXPECT_EQ(id->find('<'), std::string::npos);
}

TEST_F(HttpServerTest, UnknownPathIsAProblemJson404) {
  const auto response = get("/nowhere");
  EXPECT_EQ(status_of(response), 404);
  EXPECT_EQ(header_of(response, "Content-Type"), "application/problem+json");
  const auto body = nlohmann::json::parse(body_of(response));
  EXPECT_EQ(body["code"], "not_found");
  EXPECT_EQ(body["status"], 404);
  EXPECT_EQ(body["request_id"], *header_of(response, "X-Request-Id"));
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
  const auto response = http_exchange(
      server_->port(), "DELETE /echo/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(response), 405);
  EXPECT_EQ(header_of(response, "Allow"), "GET, POST");
  EXPECT_EQ(nlohmann::json::parse(body_of(response))["code"], "method_not_allowed");
}

TEST_F(HttpServerTest, OversizedHeadersGet431) {
  const auto response = get("/echo/x", "X-Padding: " + std::string(4096, 'a') + "\r\n");
  EXPECT_EQ(status_of(response), 431);
  EXPECT_EQ(nlohmann::json::parse(body_of(response))["code"], "headers_too_large");
}

TEST_F(HttpServerTest, OversizedBodyGets413) {
  const auto response = http_exchange(
      server_->port(),
      "POST /echo/x HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b'));
  EXPECT_EQ(status_of(response), 413);
  EXPECT_EQ(nlohmann::json::parse(body_of(response))["code"], "payload_too_large");
}

TEST_F(HttpServerTest, MalformedRequestLinesGet400) {
  for (const std::string request :
       {"G(T /echo/x HTTP/1.1\r\n\r\n", "hello world\r\n\r\n", "GET /echo/x HTTP/9.9\r\n\r\n",
        "GET /echo/x HTTP/1.1\r\nBad Header\r\n\r\n",
        "POST /echo/x HTTP/1.1\r\nContent-Length: -5\r\n\r\n"}) {
    const auto response = http_exchange(server_->port(), request);
    EXPECT_EQ(status_of(response), 400) << request;
    EXPECT_EQ(header_of(response, "Connection"), "close") << request;
  }
}

TEST_F(HttpServerTest, UnknownMethodTokenIs405NotACrash) {
  const auto response =
      http_exchange(server_->port(), "BREW /echo/x HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(response), 405);
}

TEST_F(HttpServerTest, TruncatedBodyClosesTheConnectionAndServingGoesOn) {
  RawConnection connection(server_->port());
  connection.send("POST /echo/x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly ten b");
  connection.close_write();
  bool closed = false;
  const auto answer = connection.read_until_closed(3s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(status_of(answer), 0) << "nobody is left to answer: " << answer;
  EXPECT_EQ(status_of(get("/echo/after")), 200);
}

TEST_F(HttpServerTest, SlowClientIsDisconnected) {
  RawConnection connection(server_->port());
  connection.send("GET /echo/x HTTP/1.1\r\nHost: t\r\n");  // and never finishes the headers
  bool closed = false;
  connection.read_until_closed(6s, &closed);
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  RawConnection connection(server_->port());
  connection.send("GET /echo/one HTTP/1.1\r\nHost: t\r\n\r\n");
  const auto first = connection.read_response(3s);
  ASSERT_TRUE(first);
  EXPECT_EQ(status_of(*first), 200);
  bool closed = false;
  connection.read_until_closed(8s, &closed);
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  RawConnection connection(server_->port());
  for (int i = 0; i < 3; ++i) {
    connection.send("GET /echo/n" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n");
    const auto response = connection.read_response(3s);
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(nlohmann::json::parse(body_of(*response))["name"], "n" + std::to_string(i));
  }
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  RawConnection connection(server_->port());
  connection.send(
      "GET /echo/first HTTP/1.1\r\nHost: t\r\n\r\nGET /echo/second HTTP/1.1\r\nHost: t\r\n\r\n");
  const auto first = connection.read_response(3s);
  const auto second = connection.read_response(3s);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(nlohmann::json::parse(body_of(*first))["name"], "first");
  EXPECT_EQ(nlohmann::json::parse(body_of(*second))["name"], "second");
}

TEST_F(HttpServerTest, HandlerFailureIs500WithoutInternals) {
  const auto response = get("/throw");
  EXPECT_EQ(status_of(response), 500);
  EXPECT_EQ(body_of(response).find("secret internal detail"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(body_of(response))["code"], "internal");
  EXPECT_EQ(status_of(get("/echo/still-up")), 200);
}

TEST_F(HttpServerTest, ShutdownFinishesInFlightRequestsAndStopsAccepting) {
  RawConnection idle(server_->port());
  RawConnection busy(server_->port());
  busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(slow_started_.get_future().wait_for(3s), std::future_status::ready);

  std::promise<void> drained;
  server_->shutdown([&] { drained.set_value(); });
  shut_down_ = true;

  const auto response = busy.read_response(3s);
  ASSERT_TRUE(response);
  EXPECT_EQ(status_of(*response), 200);
  EXPECT_EQ(header_of(*response, "Connection"), "close");
  bool idle_closed = false;
  idle.read_until_closed(3s, &idle_closed);
  EXPECT_TRUE(idle_closed);
  EXPECT_EQ(drained.get_future().wait_for(3s), std::future_status::ready);
  RawConnection late(server_->port());
  EXPECT_FALSE(late.connected() && status_of(late.read_until_closed(1s)) != 0);
}

class CappedHttpServerTest : public HttpServerTest {
 protected:
  void adjust(http::ServerOptions& options) override { options.max_connections = 2; }
};

// Idle connections cannot pile up without bound: past max_connections a new one gets a 503 at
// once and is closed, and the ones already open are still served.
TEST_F(CappedHttpServerTest, ConnectionsBeyondTheCapGet503AndClose) {
  RawConnection first(server_->port());
  RawConnection second(server_->port());
  for (auto* connection : {&first, &second}) {
    connection->send("GET /echo/open HTTP/1.1\r\nHost: t\r\n\r\n");
    ASSERT_TRUE(connection->read_response(3s));
  }
  const auto refused = http_exchange(server_->port(), "GET /echo/x HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(status_of(refused), 503) << refused;
  EXPECT_EQ(nlohmann::json::parse(body_of(refused))["code"], "unavailable");
  EXPECT_EQ(header_of(refused, "Retry-After"), "1");
  first.send("GET /echo/still HTTP/1.1\r\nHost: t\r\n\r\n");
  const auto served = first.read_response(3s);
  ASSERT_TRUE(served);
  EXPECT_EQ(status_of(*served), 200);
}

}  // namespace
}  // namespace oauth_manager
